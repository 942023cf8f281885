import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { bootServer } from "../helpers/server.js";
import { buildApp, describeWithChromium, launch, open, toneWav } from "../helpers/browser.js";
import { eventually } from "../helpers/bot.js";

const SHOTS = "test-results";
const IWER = readFileSync(createRequire(import.meta.url).resolve("iwer/build/iwer.min.js"), "utf8");
/** Meta's emulated Quest 3 in the page before its scripts, as `window.__xr`. */
const INSTALL = `${IWER}
;(() => {
  const d = new IWER.XRDevice(IWER.metaQuest3);
  d.installRuntime({ forceInstall: true });
  d.stereoEnabled = true;
  window.__xr = d;
})();`;

type Demo = any;
/** Runs `fn(window.demo, arg)` in the page. */
const on = async <T>(p: Page, fn: (demo: Demo, arg: any) => T, arg?: unknown): Promise<T> =>
  (await p.evaluateHandle(() => (window as any).demo)).evaluate(fn, arg) as Promise<T>;
/** Runs `fn(window.__xr, arg)` in the page: the emulated headset. */
const device = async <T>(p: Page, fn: (d: any, arg: any) => T, arg?: unknown): Promise<T> =>
  (await p.evaluateHandle(() => (window as any).__xr)).evaluate(fn, arg) as Promise<T>;

describeWithChromium("VR: an emulated Quest 3 beside a desktop page", () => {
  let server: Awaited<ReturnType<typeof bootServer>>;
  let vrBrowser: Browser;
  let deskBrowser: Browser;
  let vr: Page;
  let desk: Page;
  let vrSid: string;
  let deskSid: string;
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = await buildApp("demo");
    server = await bootServer({ tickMs: 50 }, { env: { EARSHOT_STATIC_DIR: dir } });
    [vrBrowser, deskBrowser] = await Promise.all([launch(toneWav(520)), launch(toneWav(880))]);
    const context = await vrBrowser.newContext({ viewport: { width: 640, height: 400 }, permissions: ["microphone"] });
    await context.addInitScript({ content: INSTALL });
    vr = await context.newPage();
    vr.on("request", (r) => requests.push(r.url()));
    await vr.goto(`${server.url}/?name=Vera&zone=events&at=-3,8&avatar=violet`);
    await vr.waitForFunction(() => document.body.dataset.ready === "true", undefined, { timeout: 60_000 });
    desk = await open(deskBrowser, `${server.url}/?name=Desk&zone=events&at=-3,11&avatar=gold`, {
      width: 320,
      height: 200,
    });
    vrSid = await on(vr, (d) => d.earshot.client.sessionId);
    deskSid = await on(desk, (d) => d.earshot.client.sessionId);
  }, 180_000);
  afterAll(async () => {
    await vrBrowser?.close();
    await deskBrowser?.close();
    await server?.close();
  });

  const hears = (p: Page, peer: string) => on(p, (d, id) => d.earshot.levelOf(id) > 0.01, peer);

  test("Enter VR from 3 m: the view starts at the avatar, and both still hear each other", async () => {
    await eventually(async () => (await hears(vr, deskSid)) && (await hears(desk, vrSid)), 20_000, "voice both ways");
    const before = await on(vr, (d) => d.earshot.localAvatarPosition().asArray());
    await vr.click("#vr"); // a real click: the session needs user activation
    await eventually(() => on(vr, (d) => !!d.xr()?.active), 15_000, "immersive session");
    expect(await device(vr, (d) => !!d.activeSession)).toBe(true);
    const xrCam = await on(vr, (d) => d.xr().xr.baseExperience.camera.globalPosition.asArray());
    expect(Math.hypot(xrCam[0] - before[0], xrCam[2] - before[2])).toBeLessThan(0.3);
    await eventually(async () => (await hears(vr, deskSid)) && (await hears(desk, vrSid)), 10_000, "voice in VR");
  });
});
