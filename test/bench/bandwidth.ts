import { Client } from "@colyseus/sdk";
import { PROTOCOL_VERSION, ZONE_ROOM } from "@earshot/protocol";
import { loadConfig, startEarshot, User, ZoneRoom } from "@earshot/server";
import type { TickResult } from "@earshot/server";
import { makeWorld } from "./world.js";

const CLIENTS = 3;
const MEASURE_MS = 6_000;

/**
 * One client's download (state patches + messages, bytes on its WebSocket) in a zone of `n`
 * moving users: `CLIENTS` real SDK clients walking among server-side walkers, with interest
 * management on, then off (everyone's position to everyone).
 */
export async function measureBandwidth(n: number, say: (line: string) => void) {
  const withView = await run(n, true);
  const withoutView = await run(n, false);
  const result = {
    n,
    withViewBytesPerSec: Math.round(withView),
    withoutViewBytesPerSec: Math.round(withoutView),
    ratio: +(withoutView / withView).toFixed(1),
  };
  say(
    `download per client, N=${n} moving: ${(withView / 1024).toFixed(2)} KB/s with interest management, ${(withoutView / 1024).toFixed(1)} KB/s without (${result.ratio}x)`,
  );
  return result;
}

async function run(n: number, interest: boolean): Promise<number> {
  const world = makeWorld(n - CLIENTS, Math.sqrt(n * 100), 9);
  class WalkersRoom extends ZoneRoom {
    override onCreate(options: { zoneId?: unknown }) {
      super.onCreate(options);
      world.walkers.forEach((w, i) => {
        const user = new User();
        user.id = `walker_${i}`;
        user.name = `Walker ${i}`;
        user.inVoice = true;
        this.state.users.set(world.ids[i]!, user);
      });
    }
    protected override tick() {
      world.step();
      world.walkers.forEach((w, i) => {
        this.place(this.state.users.get(world.ids[i]!)!, w.x, w.y, w.z);
      });
      super.tick();
    }
    protected override apply(result: TickResult) {
      if (interest) return super.apply(result);
      // Interest management off: every client sees every position.
      super.apply({ ...result, viewAdd: [], viewRemove: [] });
      for (const client of this.clients) this.state.users.forEach((u) => client.view?.add(u));
    }
  }
  const config = loadConfig({ EARSHOT_DB: ":memory:", ADMIN_PASSWORD: "bench" });
  config.port = 0;
  config.zone.iceServers = [];
  const server = await startEarshot(config, { roomClass: WalkersRoom, log: () => {} });
  const side = Math.sqrt(n * 100);
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const room = await new Client(`http://127.0.0.1:${server.port}`).joinOrCreate(ZONE_ROOM, {
        zoneId: "bench",
        userInfo: { name: `client${i}` },
        protocolVersion: PROTOCOL_VERSION,
      });
      room.onMessage("*", () => {});
      let x = side / 2 + i * 5;
      const z = side / 2;
      room.send("join_voice_zone", { zoneId: "bench" });
      const walk = setInterval(() => room.send("position", { x: (x += 0.14), y: 0, z }), 100);
      let bytes = 0;
      const ws = (
        room.connection.transport as unknown as { ws: { on(e: string, f: (d: { byteLength: number }) => void): void } }
      ).ws;
      ws.on("message", (data: { byteLength: number }) => (bytes += data.byteLength));
      return { room, walk, bytes: () => bytes };
    }),
  );
  await new Promise((r) => setTimeout(r, 1_500)); // views and links settle
  const start = clients.map((c) => c.bytes());
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const perSec = clients.map((c, i) => ((c.bytes() - start[i]!) * 1000) / MEASURE_MS);
  for (const c of clients) {
    clearInterval(c.walk);
    await c.room.leave();
  }
  await server.close();
  return perSec.reduce((a, b) => a + b, 0) / perSec.length;
}
