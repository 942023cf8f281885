import { afterAll, beforeAll, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { bootServer } from "../helpers/server.js";
import { buildApp, describeWithChromium, launch, open, toneWav } from "../helpers/browser.js";
import { eventually } from "../helpers/bot.js";

describeWithChromium("plugin controls in Chromium", () => {
  let server: Awaited<ReturnType<typeof bootServer>>;
  let strict: Browser; // the default autoplay policy: audio needs a gesture
  let relaxed: Browser;

  beforeAll(async () => {
    const dir = await buildApp("test/e2e/harness");
    server = await bootServer({ tickMs: 50 }, { env: { EARSHOT_STATIC_DIR: dir } });
    const wav = toneWav(440);
    strict = await launch(wav, { autoplay: false });
    relaxed = await launch(wav);
  }, 120_000);
  afterAll(async () => {
    await strict?.close();
    await relaxed?.close();
    await server?.close();
  });

  test("blocked audio is reported, and a click unlocks it", async () => {
    const page = await open(strict, `${server.url}/?name=Blocked&zone=ctl-audio&unlock=0`);
    expect(await page.evaluate(() => (window as any).harness.audio())).toEqual({ blocked: 1, state: "suspended" });
    await page.click("#c");
    await eventually(
      async () => (await page.evaluate(() => (window as any).harness.audio().state)) === "running",
      5_000,
      "audio running",
    );
  });

  test("push-to-talk: muted until the key is held, and muted again on release", async () => {
    const listener = await open(relaxed, `${server.url}/?name=L&zone=ctl-ptt&x=0&z=0`);
    const talker = await open(relaxed, `${server.url}/?name=T&zone=ctl-ptt&x=0&z=2&ptt=KeyV`);
    const tId = await talker.evaluate(() => (window as any).harness.sessionId());
    const level = () => listener.evaluate((id) => (window as any).harness.level(id) as number, tId);
    await eventually(
      async () => (await listener.evaluate(() => (window as any).harness.stats().voices)) === 1,
      15_000,
      "link",
    );
    expect(await talker.evaluate(() => (window as any).harness.muted())).toBe(true);
    expect(await level()).toBeLessThan(0.002);
    await talker.keyboard.down("KeyV");
    await eventually(async () => (await level()) > 0.02, 5_000, "voice while V is held");
    await talker.keyboard.up("KeyV");
    await eventually(async () => (await level()) < 0.002, 5_000, "silence after release");
  });
});
