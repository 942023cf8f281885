import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Bot, eventually } from "../helpers/bot.js";
import { freePort, spawnServer, stop } from "../helpers/process.js";
import { tempDb } from "../helpers/server.js";
import { describeWithService, REDIS_URL } from "../helpers/services.js";
import { describeWithJanus, startJanus } from "../helpers/janus.js";
import type { JanusProcess } from "../helpers/janus.js";

const STAGE = { id: "main", area: { kind: "box", minX: -2, minZ: -2, maxX: 2, maxZ: 2 } };

await describeWithService("Redis", REDIS_URL, "two processes sharing Redis", () => {
  describeWithJanus("and one Janus", () => {
    let janus: JanusProcess;
    const procs: { proc: ChildProcess; url: string; port: number }[] = [];
    const bots: Bot[] = [];
    const zone = `gala-${randomBytes(3).toString("hex")}`;
    const portOf = (b: Bot) => Number(new URL((b.client.room!.connection as unknown as { url: string }).url).port);

    beforeAll(async () => {
      janus = await startJanus();
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const env = {
          PORT: String(port),
          REDIS_URL,
          EARSHOT_DB: tempDb(),
          PUBLIC_ADDRESS: `127.0.0.1:${port}`,
          TICK_MS: "50",
          JANUS_URL: janus.url,
          STAGES: JSON.stringify({ "*": [STAGE] }),
          ALLOW_CLIENT_SPAWN: "true",
          SPAWN_POINTS: JSON.stringify({ "*": [{ x: -500, y: 0, z: 0 }] }),
        };
        procs.push({ ...(await spawnServer(env)), port });
      }
    }, 60_000);
    afterAll(async () => {
      await Promise.all(bots.map((b) => b.close()));
      await Promise.all(procs.map((p) => stop(p.proc)));
      await janus?.stop();
    });

    test("a stage on each process, through the same Janus: each zone hears its own speaker, not the other's", async () => {
      const speakerA = new Bot(procs[0]!.url, "SpeakerA", 440);
      bots.push(speakerA);
      await speakerA.enter(`${zone}-a`, 0);
      // A zone of its own on the other process. Colyseus puts a new room on the process with
      // the fewest rooms as of the counts it persists once a second: each try waits for them.
      let speakerB = new Bot(procs[1]!.url, "SpeakerB", 660);
      let zoneB = "";
      for (let i = 0; i < 5 && !zoneB; i++) {
        await new Promise((r) => setTimeout(r, 1_100));
        await speakerB.enter(`${zone}-b${i}`, 0);
        if (portOf(speakerB) !== portOf(speakerA)) zoneB = `${zone}-b${i}`;
        else {
          await speakerB.close();
          speakerB = new Bot(procs[1]!.url, "SpeakerB", 660);
        }
      }
      bots.push(speakerB);
      expect(zoneB, "a zone on the second process").not.toBe("");
      const listenerA = new Bot(procs[0]!.url, "ListenerA", 0);
      const listenerB = new Bot(procs[1]!.url, "ListenerB", 0);
      bots.push(listenerA, listenerB);
      await listenerA.enter(`${zone}-a`, 60);
      await listenerB.enter(zoneB, 60);
      const a = speakerA.client.sessionId!;
      const b = speakerB.client.sessionId!;
      await eventually(() => listenerA.hearsOnStage(a, 440) && listenerB.hearsOnStage(b, 660), 30_000, "both stages");
      expect(listenerA.hearsOnStage(a, 660)).toBe(false);
      expect(listenerB.hearsOnStage(b, 440)).toBe(false);
      expect([...listenerA.stageListeners.keys()]).toEqual([a]);
      expect([...listenerB.stageListeners.keys()]).toEqual([b]);
    }, 60_000);
  });
});
