import { afterAll, beforeAll, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { stageGainAt, volumeAt } from "@earshot/protocol";
import { bootServer } from "../helpers/server.js";
import { loadConfig } from "@earshot/server";
import { SHOTS } from "../helpers/demo.js";
// @ts-expect-error: a plain .mjs module of the npm scripts, without types
import { demoServerEnv } from "../../scripts/demo-env.mjs";
import { buildApp, describeWithChromium, launch, open, toneWav } from "../helpers/browser.js";
import { describeWithJanus, startJanus } from "../helpers/janus.js";
import type { JanusProcess } from "../helpers/janus.js";
import { eventually } from "../helpers/bot.js";

const STAGE = { id: "main", area: { kind: "box" as const, minX: -2, minZ: -2, maxX: 2, maxZ: 2 } };
const db = (ratio: number) => 20 * Math.log10(ratio);

/** Mean level of what `page` hears from `peerId` (its analyser), `n` samples 50 ms apart. */
async function meanLevel(page: Page, peerId: string, n = 16): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += await page.evaluate((id) => (window as any).harness.level(id) as number, peerId);
    await page.waitForTimeout(50);
  }
  return sum / n;
}
/** Mean of both output channels of `page` (what Babylon plays, after the distance model). */
async function meanOutput(page: Page, n = 16): Promise<number> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const c = await page.evaluate(() => (window as any).harness.channels() as { left: number; right: number });
    sum += (c.left + c.right) / n;
    await page.waitForTimeout(50);
  }
  return sum;
}

describeWithChromium("stage voice in Chromium", () => {
  describeWithJanus("through Janus and the Babylon plugin", () => {
    let janus: JanusProcess;
    let server: Awaited<ReturnType<typeof bootServer>>;
    let browser: Browser;
    let speaker: Page;
    let listener: Page;
    let speakerId: string;

    beforeAll(async () => {
      janus = await startJanus();
      const dir = await buildApp("test/e2e/harness");
      server = await bootServer(
        { tickMs: 50, stages: { gala: [STAGE], pa: [{ ...STAGE, soundFrom: [{ x: 10, y: 0, z: 30 }] }] } },
        { env: { EARSHOT_STATIC_DIR: dir, JANUS_URL: janus.url } },
      );
      browser = await launch(toneWav(440));
      // The listener far out of earshot (the hearing radius is 20 m), the speaker on the stage.
      listener = await open(browser, `${server.url}/?name=Far&zone=gala&x=0&z=30`);
      speaker = await open(browser, `${server.url}/?name=Speaker&zone=gala&x=0&z=0`);
      speakerId = await speaker.evaluate(() => (window as any).harness.sessionId() as string);
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await janus?.stop();
    });

    test("a page 30 m from the stage hears the speaking page's tone through the plugin, with no link between them", async () => {
      await eventually(
        async () =>
          (await listener.evaluate(() => (window as any).harness.stageSpeakers() as string[])).includes(speakerId),
        30_000,
        "the stage voice at the far page",
      );
      await eventually(
        async () => (await meanLevel(listener, speakerId, 4)) > 0.02,
        20_000,
        "the tone at the far page",
      );
      expect(await listener.evaluate(() => (window as any).harness.peers() as string[])).toEqual([]);
      // Beyond the hearing radius a link would be silent: the stage is the only way it can be heard.
      expect(volumeAt(30)).toBe(0);
      expect(await meanOutput(listener)).toBeGreaterThan(0.005);
    }, 60_000);

    test("walking from 30 m to 80 m lowers what is played by what the stage's inverse model predicts, within 2 dB", async () => {
      const at30 = await meanOutput(listener);
      await listener.evaluate(() => (window as any).harness.walkTo(0, 80, 9));
      await eventually(async () => (await meanOutput(listener, 4)) < 0.8 * at30, 15_000, "the level to drop");
      await listener.waitForTimeout(500); // let the last position settle through patches
      const at80 = await meanOutput(listener);
      const measured = db(at80 / at30);
      const predicted = db(stageGainAt(80) / stageGainAt(30));
      console.log(
        `stage distance 30 -> 80 m: measured ${measured.toFixed(2)} dB, predicted ${predicted.toFixed(2)} dB`,
      );
      expect(Math.abs(measured - predicted)).toBeLessThanOrEqual(2);
      // Still clearly heard at 80 m, where conversation is silent.
      expect(await meanLevel(listener, speakerId)).toBeGreaterThan(0.02);
    }, 60_000);

    test("a stage with loudspeakers plays from them: one on the listener's right is louder in the right ear, then the left after turning", async () => {
      // The listener at z = 30 facing +z; the stage's loudspeaker 10 m to its right, the speaker's avatar behind it.
      const ear = await open(browser, `${server.url}/?name=Ear&zone=pa&x=0&z=30`);
      const voice = await open(browser, `${server.url}/?name=Voice&zone=pa&x=0&z=0`);
      const voiceId = await voice.evaluate(() => (window as any).harness.sessionId() as string);
      await eventually(async () => (await meanLevel(ear, voiceId, 4)) > 0.02, 30_000, "the stage voice");
      // From the avatar (straight behind, then straight ahead) both ears would get the same, turned or not.
      const louder = (side: "left" | "right") => async () => {
        let left = 0;
        let right = 0;
        for (let i = 0; i < 4; i++) {
          const c = await ear.evaluate(() => (window as any).harness.channels() as { left: number; right: number });
          left += c.left;
          right += c.right;
          await ear.waitForTimeout(50);
        }
        return side === "right" ? right > 1.3 * left : left > 1.3 * right;
      };
      await eventually(louder("right"), 10_000, "the right ear louder (the loudspeaker on the right)");
      await ear.evaluate(() => (window as any).harness.turnAround());
      await eventually(louder("left"), 10_000, "the left ear louder after turning around");
      await ear.close();
      await voice.close();
    }, 60_000);
  });
});

describeWithChromium("the demo's Events stage", () => {
  describeWithJanus("with Janus", () => {
    let janus: JanusProcess;
    let server: Awaited<ReturnType<typeof bootServer>>;
    let browser: Browser;

    beforeAll(async () => {
      janus = await startJanus();
      const dir = await buildApp("demo");
      // The demo's own stages, as `npm start` passes them.
      const { stages } = loadConfig({ STAGES: (demoServerEnv as () => Record<string, string>)().STAGES }).zone;
      server = await bootServer({ tickMs: 50, stages }, { env: { EARSHOT_STATIC_DIR: dir, JANUS_URL: janus.url } });
      browser = await launch(toneWav(392));
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await janus?.stop();
    });

    test("walking up the ramp onto the stage puts you on air: heard 35 m away, and the page says so", async () => {
      const crowd = await open(browser, `${server.url}/?name=Crowd&zone=events&at=-5,-10`, { width: 640, height: 400 });
      const host = await open(browser, `${server.url}/?name=Host&zone=events&at=-24,9`, { width: 640, height: 400 });
      const hostId = await host.evaluate(() => (window as any).demo.earshot.client.sessionId as string);
      // Face the stage (north, +z) and hold W: up the ramp and on.
      await host.evaluate(() => ((window as any).demo.earshot.scene.activeCamera.rotation.y = 0));
      await host.keyboard.down("KeyW");
      await eventually(
        async () => (await host.evaluate(() => (window as any).demo.earshot.localAvatarPosition().z as number)) > 18,
        20_000,
        "the host on the stage",
      );
      await host.keyboard.up("KeyW");
      const y = await host.evaluate(() => (window as any).demo.earshot.localAvatarPosition().y as number);
      // The eye is 1 m higher on the 1 m stage than on the plaza (1.7 m).
      expect(y).toBeGreaterThan(2.4);
      await eventually(
        async () => (await host.locator("#stage-status").textContent())?.includes("On stage") === true,
        20_000,
        "the host told they are on air",
      );
      await eventually(
        async () => (await crowd.evaluate((id) => (window as any).demo.earshot.levelOf(id) as number, hostId)) > 0.02,
        20_000,
        "the crowd hears the host",
      );
      expect(await crowd.evaluate(() => (window as any).demo.earshot.client.voice.peerIds.length as number)).toBe(0);
      expect(await crowd.locator("#stage-status").textContent()).toContain("On stage: Host");
      await crowd.waitForTimeout(1_000); // the halo and name tag settle for the picture
      await host.screenshot({ path: `${SHOTS}/demo-stage-host.png` });
      await crowd.screenshot({ path: `${SHOTS}/demo-stage-crowd.png` });
    }, 90_000);
  });
});
