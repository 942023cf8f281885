import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { Client } from "@colyseus/sdk";
import type { Room } from "@colyseus/sdk";
import { PROTOCOL_VERSION, ZONE_ROOM } from "@earshot/protocol";
import type { ServerMessages } from "@earshot/protocol";
import { loadConfig, startEarshot } from "@earshot/server";
import type { EarshotServer, StartOptions, ZoneSettings } from "@earshot/server";

/** A fresh temp database file path. */
export function tempDb(): string {
  return joinPath(mkdtempSync(joinPath(tmpdir(), "earshot-")), "test.db");
}

/**
 * The per-IP and zone caps at their defaults, behind a trusted proxy: each test client picks
 * its address with an `X-Forwarded-For` header (they all come from 127.0.0.1).
 */
export const DEFAULT_CAPS_BEHIND_PROXY: Record<string, string> = {
  TRUST_PROXY: "true",
  MAX_CONNECTIONS_PER_IP: "20",
  JOINS_PER_IP_PER_S: "5",
  JOIN_BURST_PER_IP: "20",
  MAX_ZONES: "100",
};

/**
 * Boots a real Earshot server on a free port with a temp SQLite file. Every test client comes
 * from 127.0.0.1, so the per-IP caps are lifted, and bots place themselves with their first
 * position (`allowClientSpawn`), unless a test sets them: test/integration/security.test.ts does.
 */
export async function bootServer(
  zone: ZoneSettings = {},
  opts: StartOptions & { env?: Record<string, string>; host?: string } = {},
): Promise<EarshotServer & { url: string }> {
  const config = loadConfig({
    PORT: "1",
    ADMIN_PASSWORD: "test-password",
    EARSHOT_DB: tempDb(),
    MAX_CONNECTIONS_PER_IP: "10000",
    JOINS_PER_IP_PER_S: "10000",
    JOIN_BURST_PER_IP: "10000",
    ...opts.env,
  });
  config.port = 0;
  // "0.0.0.0" lets tests come from several loopback addresses (127.0.0.2, ...), as different IPs.
  config.host = opts.host ?? "127.0.0.1";
  config.zone = { ...config.zone, iceServers: [], allowClientSpawn: true, ...zone };
  const server = await startEarshot(config, { log: () => {}, ...opts });
  return Object.assign(server, { url: `http://127.0.0.1:${server.port}` });
}

/** Collects every message a room receives, and lets a test await the next one of a type. */
export class Inbox {
  readonly all: { type: string; payload: any }[] = [];
  private waiters: { type: string; pred: (p: any) => boolean; resolve: (p: any) => void }[] = [];

  constructor(readonly room: Room) {
    room.onMessage("*", (type, payload) => {
      this.all.push({ type: String(type), payload });
      this.waiters = this.waiters.filter((w) => {
        if (w.type !== type || !w.pred(payload)) return true;
        w.resolve(payload);
        return false;
      });
    });
  }

  /** Messages of a type received so far. */
  of<K extends keyof ServerMessages>(type: K): ServerMessages[K][] {
    return this.all.filter((m) => m.type === type).map((m) => m.payload);
  }

  /** The next message of a type (or one already received) that matches `pred`. */
  next<K extends keyof ServerMessages>(
    type: K,
    pred: (p: ServerMessages[K]) => boolean = () => true,
    { timeoutMs = 10_000, fresh = false } = {},
  ): Promise<ServerMessages[K]> {
    if (!fresh) {
      const seen = this.of(type).find(pred);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for "${type}"`)), timeoutMs);
      this.waiters.push({
        type,
        pred: pred as (p: any) => boolean,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }
}

export interface Joined {
  client: Client;
  room: Room;
  inbox: Inbox;
  joined: ServerMessages["room_joined"];
}

/** Joins a zone with a real SDK client and waits for `room_joined`. */
export async function join(
  url: string,
  zoneId: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<Joined> {
  return joinVia(new Client(url), zoneId, name, extra);
}

/** {@link join} with a given SDK client. */
export async function joinVia(
  client: Client,
  zoneId: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<Joined> {
  const room = await client.joinOrCreate(ZONE_ROOM, {
    zoneId,
    userInfo: { name },
    protocolVersion: PROTOCOL_VERSION,
    ...extra,
  });
  const inbox = new Inbox(room);
  const joined = await inbox.next("room_joined");
  return { client, room, inbox, joined };
}

/** Resolves when `check` returns true, polling on the event loop (for state patches). */
export async function until(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Joins a zone, stands at x (on the x axis) and enters voice; resolves on `zone_joined`. */
export async function joinVoice(url: string, zone: string, name: string, x: number): Promise<Joined> {
  const j = await join(url, zone, name);
  j.room.send("position", { x, y: 0, z: 0 });
  j.room.send("join_voice_zone", { zoneId: zone });
  await j.inbox.next("zone_joined");
  return j;
}

/** Cuts a room's socket abnormally (code 1006), as when a network goes away. */
export function cutSocket(room: Room): void {
  (room.connection.transport as unknown as { ws: { _socket: { destroy(): void } } }).ws._socket.destroy();
}

/**
 * Walks along the x axis from `fromX` to `toX` at `speedMS` (under the server's 10 m/s
 * limit), one position every 50 ms like a client's render loop; resolves on arrival.
 */
export async function walkX(
  send: (x: number, y: number, z: number) => void,
  fromX: number,
  toX: number,
  speedMS = 8,
): Promise<void> {
  const stepM = speedMS * 0.05;
  const steps = Math.ceil(Math.abs(toX - fromX) / stepM);
  for (let i = 1; i <= steps; i++) {
    send(fromX + ((toX - fromX) * i) / steps, 0, 0);
    await new Promise((r) => setTimeout(r, 50)); // the walk's pace, not a wait for an event
  }
}
