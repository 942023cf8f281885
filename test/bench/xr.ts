/**
 * `npm run bench:xr`: one frame's cost of Earshot's XR features in headless Chromium (emulated
 * Quest 3, both eyes), with 8 voices (real wrtc bots) and 50 chat messages on the wrist panel
 * plus 8 chat bubbles. Frames are timed from the first onBeforeRender observer to the last
 * onAfterRender one, first with the XR features, then after disposing them, in one session.
 * `--json` prints one object.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { bootServer } from "../helpers/server.js";
import { buildApp, launch, toneWav } from "../helpers/browser.js";
import { Bot, eventually } from "../helpers/voiceBot.js";

const json = process.argv.includes("--json");
const say = (line: string) => !json && console.log(line);
const IWER = readFileSync(createRequire(import.meta.url).resolve("iwer/build/iwer.min.js"), "utf8");

const dir = await buildApp("demo");
const server = await bootServer({ tickMs: 50 }, { env: { EARSHOT_STATIC_DIR: dir } });
for (let i = 1; i <= 50; i++)
  await server.store.append("events", {
    from: "u",
    name: "Guide",
    content: `Message ${i} of the plaza's history`,
    timestamp: i,
  });
const bots = Array.from({ length: 8 }, (_, i) => new Bot(server.url, `Bot${i}`, 300 + 60 * i));
for (const [i, b] of bots.entries()) await b.enter("events", -12 + 3 * Math.cos(i), 3 * Math.sin(i));
const browser = await launch(toneWav(520));
const context = await browser.newContext({ viewport: { width: 640, height: 400 }, permissions: ["microphone"] });
await context.addInitScript({
  content: `${IWER};(() => { const d = new IWER.XRDevice(IWER.metaQuest3); d.installRuntime({ forceInstall: true }); d.stereoEnabled = true; window.__xr = d; })();`,
});
const page = await context.newPage();
await page.goto(`${server.url}/?name=Vera&zone=events&at=-12,0`);
await page.waitForFunction(() => document.body.dataset.ready === "true", undefined, { timeout: 60_000 });
await eventually(() => page.evaluate(() => (window as any).demo.earshot.stats().voices === 8), 60_000, "8 voices");
await page.click("#vr");
await eventually(() => page.evaluate(() => !!(window as any).demo.xr()?.active), 20_000, "immersive session");
for (const b of bots) b.client.sendChat(`Hello from ${b.client.options.user.name}`);
await eventually(
  () => page.evaluate(() => (window as any).demo.earshot.enableChatBubbles().count === 8),
  20_000,
  "8 bubbles",
);

/** Median and p95 of `frames` frame times (ms), measured in the page. */
const timeFrames = (frames: number) =>
  page.evaluate(
    (n) =>
      new Promise<{ median: number; p95: number; observersMedian: number }>((resolve) => {
        const scene = (window as any).demo.earshot.scene;
        const samples: number[] = [];
        const observers: number[] = [];
        let t0 = 0;
        const first = scene.onBeforeRenderObservable.add(() => (t0 = performance.now()), undefined, true);
        // The per-frame JavaScript: every onBeforeRender observer (Earshot's, the demo's, Babylon's).
        const end = scene.onBeforeRenderObservable.add(() => observers.push(performance.now() - t0));
        const last = scene.onAfterRenderObservable.add(() => {
          samples.push(performance.now() - t0);
          if (samples.length < n) return;
          first.remove();
          end.remove();
          last.remove();
          samples.sort((a, b) => a - b);
          observers.sort((a, b) => a - b);
          resolve({
            median: samples[n >> 1]!,
            p95: samples[Math.floor(n * 0.95)]!,
            observersMedian: observers[n >> 1]!,
          });
        });
      }),
    frames,
  );

await timeFrames(60); // warm-up
const panelLines = await page.evaluate(() => (window as any).demo.xr().panel.texts().length as number);
const withXR = await timeFrames(300);
await page.evaluate(() => {
  const d = (window as any).demo;
  d.xr().dispose();
  d.earshot.enableChatBubbles().dispose();
});
await timeFrames(60);
const without = await timeFrames(300);
const cost = withXR.median - without.median;
const jsCost = withXR.observersMedian - without.observersMedian;
const result = {
  voices: 8,
  panelLines,
  bubbles: 8,
  frameWithXRMs: withXR,
  frameWithoutXRMs: without,
  xrCostMs: Number(cost.toFixed(3)),
  xrJsCostMs: Number(jsCost.toFixed(3)),
};
if (json) console.log(JSON.stringify(result));
say(
  `8 voices, ${panelLines} messages on the wrist panel, 8 bubbles; frame from first onBeforeRender to last onAfterRender:`,
);
say(`  with the XR features:    median ${withXR.median.toFixed(2)} ms, p95 ${withXR.p95.toFixed(2)} ms`);
say(`  without them:            median ${without.median.toFixed(2)} ms, p95 ${without.p95.toFixed(2)} ms`);
say(`  XR features' cost:       ${cost.toFixed(2)} ms per frame (target < 0.5 ms), of which`);
say(
  `  per-frame JavaScript:    ${jsCost.toFixed(3)} ms (observers: ${withXR.observersMedian.toFixed(3)} vs ${without.observersMedian.toFixed(3)} ms); the rest is drawing 10 planes twice in SwiftShader`,
);
await browser.close();
await Promise.all(bots.map((b) => b.close()));
await server.close();
process.exit(0);
