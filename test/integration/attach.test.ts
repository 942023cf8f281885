import { afterAll, beforeAll, expect, test } from "vitest";
import { LocalDriver, LocalPresence, Room, Server } from "@colyseus/core";
import type { Client as ColyseusClient } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { Client } from "@colyseus/sdk";
import { TRANSPORT_MAX_PAYLOAD_BYTES, attachEarshot, loadConfig } from "@earshot/server";
import type { EarshotAttachment } from "@earshot/server";
import { freePort } from "../helpers/process.js";
import { join, tempDb } from "../helpers/server.js";

/** The game's own room: answers `ping` with `pong`. */
class LobbyRoom extends Room {
  override onCreate(): void {
    this.onMessage("ping", (client: ColyseusClient, n: number) => client.send("pong", n + 1));
  }
}

let server: Server;
let earshot: EarshotAttachment;
let url: string;
beforeAll(async () => {
  const transport = new WebSocketTransport({ maxPayload: TRANSPORT_MAX_PAYLOAD_BYTES });
  server = new Server({ transport, presence: new LocalPresence(), driver: new LocalDriver(), greet: false });
  server.define("lobby", LobbyRoom);
  const config = loadConfig({ ADMIN_PASSWORD: "pw", EARSHOT_DB: tempDb(), ICE_SERVERS: "[]" });
  earshot = await attachEarshot(server, config, { log: () => {} });
  const port = await freePort();
  await server.listen(port, "127.0.0.1");
  earshot.guard(transport.server!);
  url = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server.gracefullyShutdown(false);
  await earshot.close();
  await earshot.close();
});

test("a game's own room and Earshot's zone run side by side in one Colyseus server", async () => {
  const lobby = await new Client(url).joinOrCreate("lobby");
  const pong = new Promise<number>((resolve) => lobby.onMessage("pong", resolve));
  lobby.send("ping", 41);
  expect(await pong).toBe(42);

  const ann = await join(url, "events", "Ann");
  const ben = await join(url, "events", "Ben");
  ann.room.send("chat", { content: "hello beside the lobby", clientMessageId: "a1" });
  await ann.inbox.next("message_ack");
  expect((await ben.inbox.next("chat")).content).toBe("hello beside the lobby");
  expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true, store: "up" });
  const zones = (await (await fetch(`${url}/api/zones`)).json()) as { zones: { zoneId: string; users: number }[] };
  expect(zones.zones).toEqual([expect.objectContaining({ zoneId: "events", users: 2 })]);
  expect((await fetch(`${url}/admin`)).status).toBe(401);
  await lobby.leave();
});
