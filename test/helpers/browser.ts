import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { describe } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** Builds a Vite app (harness or demo) to a temp folder; packages resolve to source. */
export async function buildApp(root: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "earshot-app-"));
  await build({
    root,
    logLevel: "warn",
    resolve: { conditions: ["source", "module", "browser", "development|production"] },
    build: { outDir, emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 10_000 },
    optimizeDeps: { exclude: ["@babylonjs/havok"] },
  });
  return outDir;
}

/** A 48 kHz mono WAV with a continuous sine, for --use-file-for-fake-audio-capture. */
export function toneWav(freq: number, seconds = 20): string {
  const rate = 48_000;
  const n = rate * seconds;
  const data = Buffer.alloc(44 + n * 2);
  data.write("RIFF", 0);
  data.writeUInt32LE(36 + n * 2, 4);
  data.write("WAVEfmt ", 8);
  data.writeUInt32LE(16, 16);
  data.writeUInt16LE(1, 20);
  data.writeUInt16LE(1, 22);
  data.writeUInt32LE(rate, 24);
  data.writeUInt32LE(rate * 2, 28);
  data.writeUInt16LE(2, 32);
  data.writeUInt16LE(16, 34);
  data.write("data", 36);
  data.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * freq * i) / rate) * 0.5 * 32767), 44 + i * 2);
  const file = join(mkdtempSync(join(tmpdir(), "earshot-tone-")), `tone-${freq}.wav`);
  writeFileSync(file, data);
  return file;
}

/** Headless Chromium with a fake microphone playing `wav` (flags below: fake media, loopback ICE, software GL). */
export function launch(wav: string, { autoplay = true } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--enable-unsafe-swiftshader",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      ...(autoplay ? ["--autoplay-policy=no-user-gesture-required"] : []),
      "--allow-loopback-in-peer-connection",
      `--use-file-for-fake-audio-capture=${wav}`,
    ],
  });
}

/** Opens a page, grants the microphone, and waits until it says it is ready (`body[data-ready]`). */
export async function open(browser: Browser, url: string, viewport = { width: 160, height: 120 }): Promise<Page> {
  const context = await browser.newContext({ viewport, permissions: ["microphone"] });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url, { timeout: 60_000 }); // a loaded machine builds the world slowly
  try {
    await page.waitForFunction(() => document.body.dataset.ready === "true", undefined, { timeout: 60_000 });
  } catch (err) {
    throw new Error(`page never got ready: ${errors.join("; ")}`, { cause: err });
  }
  return page;
}

/**
 * `describe` for browser tests: runs when Chromium is installed; otherwise a visible skip, or a
 * failure under CI=true (where .ci/run installs it).
 */
export function describeWithChromium(name: string, body: () => void): void {
  if (hasChromium) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") throw new Error(`Chromium is not installed at ${CHROMIUM}, and CI=true requires it`);
  console.warn(`\n  SKIPPED "${name}": Chromium is not installed at ${CHROMIUM} (apt-get install chromium)\n`);
  describe.skip(`${name} [skipped: no Chromium at ${CHROMIUM}]`, body);
}
