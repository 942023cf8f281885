import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { messageSeq } from "@earshot/protocol";
import { Bot, eventually } from "../helpers/bot.js";
import { freePort, spawnServer, stop } from "../helpers/process.js";
import { describeWithServices, POSTGRES_URL, REDIS_URL } from "../helpers/services.js";
import type { ChildProcess } from "node:child_process";

await describeWithServices(
  [
    ["Redis", REDIS_URL],
    ["PostgreSQL", POSTGRES_URL],
  ],
  "two processes sharing Redis and PostgreSQL",
  () => {
    const procs: { proc: ChildProcess; url: string; port: number }[] = [];
    const bots: Bot[] = [];
    const zone = `events-${randomBytes(3).toString("hex")}`;
    beforeAll(async () => {
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const env = {
          PORT: String(port),
          REDIS_URL,
          DATABASE_URL: POSTGRES_URL,
          PUBLIC_ADDRESS: `127.0.0.1:${port}`,
          TICK_MS: "50",
        };
        procs.push({ ...(await spawnServer(env)), port });
      }
    }, 60_000);
    afterAll(async () => {
      await Promise.all(bots.map((b) => b.close()));
      await Promise.all(procs.map((p) => stop(p.proc)));
    });

    test("a ban through one process closes a session held by the other, and both list it", async () => {
      const guest = new Bot(procs[0]!.url, "Banned", 440);
      bots.push(guest);
      await guest.client.join(`${zone}-mod`);
      const hostPort = Number(new URL((guest.client.room!.connection as unknown as { url: string }).url).port);
      const other = procs.find((p) => p.port !== hostPort)!;
      const admin = { authorization: `Basic ${Buffer.from("admin:pw").toString("base64")}` };
      const userId = guest.client.userId!;
      expect((await fetch(`${other.url}/admin/api/bans/${userId}`, { method: "PUT", headers: admin })).status).toBe(
        204,
      );
      await eventually(
        () => guest.client.connectionState === "closed",
        5_000,
        "the session on the other process to close",
      );
      for (const p of procs) {
        const listed = (await (await fetch(`${p.url}/admin/api/bans`, { headers: admin })).json()) as {
          bans: string[];
        };
        expect(listed.bans).toContain(userId);
      }
      await fetch(`${other.url}/admin/api/bans/${userId}`, { method: "DELETE", headers: admin });
    });

    test("a moderator whose session is on one process mutes a user on the other: enforced there", async () => {
      const target = new Bot(procs[0]!.url, "Target", 440);
      const near = new Bot(procs[0]!.url, "Near", 880);
      bots.push(target, near);
      await target.enter(`${zone}-t`, 0);
      await near.enter(`${zone}-t`, 2);
      const portOf = (b: Bot) => Number(new URL((b.client.room!.connection as unknown as { url: string }).url).port);
      const other = procs.find((p) => p.port !== portOf(target))!;
      // A zone of its own on the other process. Colyseus puts a new room on the process with
      // the fewest rooms as of the counts it persists once a second: each try waits for them.
      let mod = new Bot(other.url, "Mod", 550);
      bots.push(mod);
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 1_100));
        await mod.client.join(`${zone}-m${i}`);
        if (portOf(mod) !== portOf(target)) break;
        await mod.close();
        mod = new Bot(other.url, "Mod", 550);
        bots.push(mod);
      }
      expect(portOf(mod)).not.toBe(portOf(target));
      const admin = {
        authorization: `Basic ${Buffer.from("admin:pw").toString("base64")}`,
        "content-type": "application/json",
      };
      const granted = await fetch(`${procs[0]!.url}/admin/api/roles/${mod.client.userId}`, {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({ roles: ["moderator"] }),
      });
      expect(granted.status).toBe(204);
      await eventually(() => mod.client.people.get(mod.client.sessionId!)?.moderator === true, 5_000, "the grant live");
      const hears = () => (near.listeners.get(target.client.sessionId!)?.magnitude(440) ?? 0) > 0.05;
      await eventually(hears, 20_000, "Near hears Target");
      await mod.client.moderate("mute", target.client.userId!, { reason: "across processes" });
      await eventually(() => !hears() && target.serverLinks.length === 0, 5_000, "Target silenced on its process");
      expect(target.client.mutedByModerator).toBe(true);
      await mod.client.moderate("unmute", target.client.userId!);
      await eventually(hears, 20_000, "Target heard again");
    }, 60_000);

    test("clients through either process share one room, one roster and chat; /api/zones agrees; losing the host keeps history", async () => {
      const a = new Bot(procs[0]!.url, "ViaOne", 440);
      const b = new Bot(procs[1]!.url, "ViaTwo", 880);
      bots.push(a, b);
      const ja = await a.client.join(zone);
      const jb = await b.client.join(zone);
      expect(jb.roomId).toBe(ja.roomId);
      expect(jb.users.map((u) => u.name).sort()).toEqual(["ViaOne", "ViaTwo"]);
      b.client.sendChat("hello across processes");
      await eventually(
        () => a.client.messages.some((m) => m.content === "hello across processes"),
        5_000,
        "chat across",
      );
      for (const p of procs) {
        const zones = (await (await fetch(`${p.url}/api/zones`)).json()) as {
          zones: { zoneId: string; users: number }[];
        };
        expect(zones.zones.find((z) => z.zoneId === zone)?.users).toBe(2);
      }

      // Which process holds the room? The one whose port the room's socket uses.
      const hostPort = Number(new URL((a.client.room!.connection as unknown as { url: string }).url).port);
      const holder = procs.find((p) => p.port === hostPort)!;
      const survivor = procs.find((p) => p !== holder)!;
      expect(holder).toBeDefined();
      // Clients that reach the cluster through the survivor (as a load balancer would).
      const c = new Bot(survivor.url, "C", 500);
      const d = new Bot(survivor.url, "D", 700);
      bots.push(c, d);
      await c.client.join(zone);
      await d.client.join(zone);
      const sent: string[] = [];
      for (const t of ["one", "two", "just before the kill"])
        sent.push(((await c.client.sendChat(t).done) as { messageId: string }).messageId);
      await stop(holder.proc, "SIGKILL");

      await eventually(
        () => c.client.connectionState === "connected" && c.client.room?.roomId !== ja.roomId,
        30_000,
        "C back in a new room",
      );
      await eventually(
        () => d.client.connectionState === "connected" && d.client.room?.roomId === c.client.room?.roomId,
        30_000,
        "D in the same new room",
      );
      const contents = c.client.messages.map((m) => m.content);
      expect(contents.slice(-4)).toEqual(["hello across processes", "one", "two", "just before the kill"]);
      const after = (await d.client.sendChat("after the kill").done) as { status: string; messageId: string };
      expect(after.status).toBe("delivered");
      expect(messageSeq(after.messageId)).toBe(messageSeq(sent.at(-1))! + 1);
      await eventually(
        () => c.client.messages.some((m) => m.content === "after the kill"),
        5_000,
        "chat in the new room",
      );
    }, 120_000);
  },
);
