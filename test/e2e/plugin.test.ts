import { afterAll, beforeAll, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { volumeAt } from "@earshot/protocol";
import { bootServer } from "../helpers/server.js";
import { buildApp, describeWithChromium, launch, open, toneWav } from "../helpers/browser.js";
import { eventually } from "../helpers/bot.js";

/** Mean of `n` level samples, 50 ms apart (the analyser window is ~43 ms). */
async function meanChannels(page: Page, n = 12): Promise<{ left: number; right: number }> {
  let left = 0;
  let right = 0;
  for (let i = 0; i < n; i++) {
    const c = await page.evaluate(() => (window as any).harness.channels());
    left += c.left / n;
    right += c.right / n;
    await page.waitForTimeout(50);
  }
  return { left, right };
}
const db = (ratio: number) => 20 * Math.log10(ratio);
/** Outbound audio of a page over a 2 s window, kbps (from getStats bytesSent). */
async function outboundKbps(page: Page): Promise<number> {
  const bytes = () => page.evaluate(() => (window as any).harness.bytesSent() as Promise<number>);
  const before = await bytes();
  await page.waitForTimeout(2_000); // the measurement window
  return (((await bytes()) - before) * 8) / 2 / 1000;
}

describeWithChromium("Babylon plugin in Chromium", () => {
  let server: Awaited<ReturnType<typeof bootServer>>;
  let browser: Browser;
  let a: Page; // listener
  let b: Page; // speaker
  let bId: string;

  beforeAll(async () => {
    const dir = await buildApp("test/e2e/harness");
    server = await bootServer({ tickMs: 50 }, { env: { EARSHOT_STATIC_DIR: dir } });
    browser = await launch(toneWav(440));
    a = await open(browser, `${server.url}/?name=A&zone=plugin&x=0&z=0`);
    b = await open(browser, `${server.url}/?name=B&zone=plugin&x=0&z=2`);
    bId = await b.evaluate(() => (window as any).harness.sessionId());
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("the remote voice is heard well above the noise floor", async () => {
    await eventually(
      async () => (await a.evaluate((id: any) => (window as any).harness.level(id), bId)) > 0.02,
      20_000,
      "B's voice at A",
    );
    const out = await meanChannels(a);
    expect(out.left + out.right).toBeGreaterThan(0.02);
  });

  test("2 m -> 10 m lowers the level by what the linear distance model predicts, within 2 dB", async () => {
    const at2 = await meanChannels(a);
    await b.evaluate(() => (window as any).harness.setPosition(0, 10));
    await eventually(
      async () => {
        const now = await meanChannels(a, 4);
        return now.left + now.right < 0.8 * (at2.left + at2.right);
      },
      10_000,
      "the level to drop",
    );
    await a.waitForTimeout(300); // let the moved position settle through patches
    const at10 = await meanChannels(a);
    const measured = db((at10.left + at10.right) / (at2.left + at2.right));
    const predicted = db(volumeAt(10) / volumeAt(2));
    console.log(`distance: measured ${measured.toFixed(2)} dB, predicted ${predicted.toFixed(2)} dB`);
    expect(Math.abs(measured - predicted)).toBeLessThanOrEqual(2);
  });

  test("a voice on the right is louder in the right channel; after a camera switch it follows", async () => {
    await b.evaluate(() => (window as any).harness.setPosition(4, 0));
    await eventually(
      async () => {
        const c = await meanChannels(a, 4);
        return c.right > 1.5 * c.left;
      },
      10_000,
      "right louder than left",
    );
    const right = await meanChannels(a);
    console.log(`direction: right ${right.right.toFixed(4)} vs left ${right.left.toFixed(4)}`);
    expect(right.right).toBeGreaterThan(right.left);
    await a.evaluate(() => (window as any).harness.turnAround());
    await eventually(
      async () => {
        const c = await meanChannels(a, 4);
        return c.left > 1.5 * c.right;
      },
      10_000,
      "left louder after turning around",
    );
  });

  test("muting the remote mic silences it within 0.5 s, and unmuting brings it back; bitrate stays in budget", async () => {
    await b.evaluate(() => (window as any).harness.setPosition(0, 3));
    const speakingKbps = await outboundKbps(b);
    console.log(`outbound audio while speaking: ${speakingKbps.toFixed(1)} kbps`);
    expect(speakingKbps).toBeGreaterThan(4);
    expect(speakingKbps).toBeLessThanOrEqual(32);

    await b.evaluate(() => (window as any).harness.mute());
    const t0 = Date.now();
    await eventually(
      async () => (await a.evaluate((id: any) => (window as any).harness.level(id), bId)) < 0.002,
      500,
      "silence at A within 0.5 s",
    );
    console.log(`silent after ${Date.now() - t0} ms`);
    const mutedKbps = await outboundKbps(b);
    console.log(`outbound audio while muted: ${mutedKbps.toFixed(2)} kbps`);
    expect(mutedKbps).toBeLessThan(1);
    await b.evaluate(() => (window as any).harness.unmute());
    await eventually(
      async () => (await a.evaluate((id: any) => (window as any).harness.level(id), bId)) > 0.02,
      5_000,
      "voice back",
    );
  });

  test("a peer muted locally goes silent for this listener only; speaking is observed on the received audio", async () => {
    await b.evaluate(() => (window as any).harness.setPosition(0, 3));
    await eventually(async () => (await meanChannels(a, 3)).left > 0.02, 10_000, "voice at A");
    expect(await a.evaluate((id: any) => (window as any).harness.speakingOf(id), bId)).toBe(true);
    await a.evaluate((id: any) => (window as any).harness.setPeerMuted(id, true), bId);
    await eventually(
      async () => {
        const c = await meanChannels(a, 3);
        return c.left + c.right < 0.002;
      },
      5_000,
      "silence at A",
    );
    expect(await a.evaluate((id: any) => (window as any).harness.level(id), bId)).toBeGreaterThan(0.02); // still received
    await a.evaluate((id: any) => (window as any).harness.setPeerMuted(id, false), bId);
    await eventually(async () => (await meanChannels(a, 3)).left > 0.02, 5_000, "voice back at A");
  });

  test("walking out of hearRadius closes the link and disposes the sound and its behavior", async () => {
    await b.evaluate(() => (window as any).harness.walkTo(0, 30));
    await eventually(
      async () =>
        (await a.evaluate(() => (window as any).harness.events())).some(
          (e: any) => e.type === "peer_closed" && e.reason === "out_of_range",
        ),
      10_000,
      "peer_closed at A",
    );
    await eventually(
      async () => (await a.evaluate(() => (window as any).harness.stats())).voices === 0,
      5_000,
      "voice disposed",
    );
    expect(await a.evaluate(() => (window as any).harness.stats())).toMatchObject({
      voices: 0,
      attached: 0,
      peerConnections: 0,
    });
    expect((await a.evaluate(() => (window as any).harness.events())).map((e: any) => e.type)).toContain(
      "voice_removed",
    );
  });

  test("after dispose() no sound, behavior, observer or peer connection is left", async () => {
    await b.evaluate(() => (window as any).harness.setPosition(0, 1));
    await eventually(
      async () => (await a.evaluate(() => (window as any).harness.stats())).attached === 1,
      15_000,
      "voice back on its avatar",
    );
    const left = await a.evaluate(() => (window as any).harness.dispose());
    expect(left).toEqual({ stats: { voices: 0, attached: 0, peerConnections: 0, observers: 0 }, sounds: 0 });
    expect(await a.evaluate(() => (window as any).harness.openConnections())).toBe(0);
  });
});
