import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Bot, eventually } from "../helpers/bot.js";
import { freePort, spawnServer, stop } from "../helpers/process.js";
import { POSTGRES_URL, describeWithService } from "../helpers/services.js";
import { PrivateRedis, describeIf, redisMissing } from "../helpers/instances.js";

type Zones = { zones: { zoneId: string; users: number; rooms: number }[] };

/** The port of the process whose room a bot is in. */
const portOf = (bot: Bot) => Number(new URL((bot.client.room!.connection as unknown as { url: string }).url).port);

/** True when one of the bot's links carries the tone `freq`. */
const hears = (bot: Bot, freq: number) => [...bot.listeners.values()].some((l) => l.magnitude(freq) > 0.05);

await describeWithService("PostgreSQL", POSTGRES_URL, "Redis restarted under a two-process cluster", () => {
  describeIf(redisMissing(), "with a private Redis", () => {
    let redis: PrivateRedis;
    const procs: { proc: ChildProcess; url: string; port: number; output: () => string }[] = [];
    const bots: Bot[] = [];
    const zone = `redis-${Date.now().toString(36)}`;
    beforeAll(async () => {
      redis = await PrivateRedis.create();
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const env = {
          PORT: String(port),
          REDIS_URL: redis.url,
          DATABASE_URL: POSTGRES_URL,
          PUBLIC_ADDRESS: `127.0.0.1:${port}`,
          TICK_MS: "50",
          MAX_CLIENTS: "5",
          ALLOW_CLIENT_SPAWN: "true",
        };
        procs.push({ ...(await spawnServer(env)), port });
      }
    }, 60_000);
    afterAll(async () => {
      await Promise.all(bots.map((b) => b.close()));
      await Promise.all(procs.map((p) => stop(p.proc)));
      await redis?.stop();
    });

    const zoneOn = async (url: string) =>
      ((await (await fetch(`${url}/api/zones`)).json()) as Zones).zones.find((z) => z.zoneId === zone);

    test("joins fail fast while Redis is down; after it, one instance, new users join it and hear, chat crosses processes", async () => {
      const ann = new Bot(procs[0]!.url, "Ann", 440);
      const ben = new Bot(procs[1]!.url, "Ben", 660);
      bots.push(ann, ben);
      await ann.enter(zone, 0);
      await ben.enter(zone, 3);
      const roomId = ann.client.room!.roomId;
      expect(ben.client.room!.roomId).toBe(roomId);
      await eventually(() => hears(ann, 660) && hears(ben, 440), 20_000, "Ann and Ben");

      await redis.stop();
      // A join now is refused at once with a retryable code, not left hanging.
      const started = Date.now();
      const refused = await fetch(`${procs[0]!.url}/matchmake/joinOrCreate/zone`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ zoneId: zone, userInfo: { name: "Early" }, protocolVersion: 1 }),
      });
      const refusedMs = Date.now() - started;
      expect(refused.status).toBe(502);
      expect(((await refused.json()) as { error: string }).error).toMatch(
        /^service_unavailable: .*\(retry in \d+ ms\)$/,
      );
      console.log(`join during the outage refused in ${refusedMs} ms`);
      await redis.start();

      // Both processes list the original instance with its users again.
      for (const p of procs)
        await eventually(
          async () => (await zoneOn(p.url))?.users === 2,
          15_000,
          `the zone listed with its 2 users on port ${p.port}`,
        );
      for (const p of procs) expect(await zoneOn(p.url)).toMatchObject({ users: 2, rooms: 1 });

      // Three newcomers, through either process, land in that instance and hear the others.
      const newcomers = [0, 1, 0].map((i, k) => new Bot(procs[i]!.url, `New${k}`, 880));
      bots.push(...newcomers);
      for (const [k, bot] of newcomers.entries()) await bot.enter(zone, 1 + k);
      for (const bot of newcomers) expect(bot.client.room!.roomId).toBe(roomId);
      for (const bot of newcomers)
        await eventually(() => hears(bot, 440) && hears(bot, 660), 20_000, "a newcomer to hear Ann and Ben");

      // The instance is full (MAX_CLIENTS 5): the next person opens a second one, on the
      // process with fewer rooms, which only works if the processes' room counts are back.
      const far = new Bot(procs[0]!.url, "Far", 880);
      bots.push(far);
      await far.client.join(zone);
      expect(far.client.room!.roomId).not.toBe(roomId);
      expect(portOf(far)).not.toBe(portOf(ann));
      far.client.sendChat("across processes");
      await eventually(() => ann.client.messages.some((m) => m.content === "across processes"), 10_000, "chat to Ann");
      ann.client.sendChat("and back");
      await eventually(() => far.client.messages.some((m) => m.content === "and back"), 10_000, "chat to Far");
      for (const p of procs) expect(p.proc.exitCode).toBeNull();
      for (const p of procs) expect(p.output().match(/Redis connection lost/g)?.length).toBe(1);
    }, 120_000);
  });
});
