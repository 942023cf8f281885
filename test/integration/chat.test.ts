import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Room } from "@colyseus/sdk";
import { bootServer, cutSocket, join, until } from "../helpers/server.js";
import type { Joined } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
const open: Room[] = [];
async function enter(zone: string, name: string, extra: Record<string, unknown> = {}): Promise<Joined> {
  const j = await join(server.url, zone, name, extra);
  open.push(j.room);
  return j;
}

beforeAll(async () => {
  server = await bootServer();
});
afterEach(async () => {
  for (const r of open.splice(0)) if (r.connection.isOpen) await r.leave();
});
afterAll(async () => {
  await server?.close();
});

/** Sends `count` chats from fresh clients (each within its rate limit) and returns their ids. */
async function chatter(zone: string, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let done = 0; done < count;) {
    const c = await enter(zone, `bot-${tag}-${done}`);
    const batch = Math.min(5, count - done);
    for (let i = 0; i < batch; i++) {
      c.room.send("chat", { content: `${tag} ${done + i}`, clientMessageId: `${tag}-${done + i}` });
      const ack = await c.inbox.next("message_ack", (a) => a.clientMessageId === `${tag}-${done + i}`);
      ids.push(ack.messageId);
    }
    done += batch;
    await c.room.leave();
  }
  return ids;
}

describe("two clients in events", () => {
  test("see each other in the roster and get join and leave messages", async () => {
    const alice = await enter("events", "  Alice\u0007 ");
    const bob = await enter("events", "Bob", { userInfo: { name: "Bob", id: "admin" } });
    const joined = await alice.inbox.next("user_joined");
    expect(joined.user.name).toBe("Bob");
    expect(joined.user.id).toMatch(/^guest_/); // the client-supplied id is ignored
    expect(bob.joined.users.map((u) => u.name).sort()).toEqual(["Alice", "Bob"]);
    expect(bob.joined.users.find((u) => u.name === "Alice")?.id).toBe(alice.inbox.of("connected")[0]?.userId);
    await bob.room.leave();
    const left = await alice.inbox.next("user_left");
    expect(left.userId).toBe(joined.user.id);
    await until(() => alice.room.state.users.size === 1, 5_000, "roster to shrink");
  });

  test("chat is acked to the sender and relayed with server-stamped fields, no echo", async () => {
    const alice = await enter("events", "Alice");
    const bob = await enter("events", "Bob");
    const before = Date.now();
    alice.room.send("chat", { content: "  Hello!  ", clientMessageId: "c-1" });
    const ack = await alice.inbox.next("message_ack");
    const got = await bob.inbox.next("chat");
    expect(ack).toMatchObject({ clientMessageId: "c-1", status: "delivered" });
    expect(ack.messageId).toMatch(/^msg_\d+$/);
    expect(got).toMatchObject({ messageId: ack.messageId, content: "Hello!", name: "Alice", timestamp: ack.timestamp });
    expect(got.from).toBe(alice.inbox.of("connected")[0]?.userId);
    expect(got.timestamp).toBeGreaterThanOrEqual(before);
    // A second message proves ordering; the sender has still received no chat of its own.
    alice.room.send("chat", { content: "again", clientMessageId: "c-2" });
    await bob.inbox.next("chat", (m) => m.content === "again");
    expect(alice.inbox.of("chat")).toEqual([]);
  });
});

describe("history", () => {
  test("a new joiner gets exactly the last 50 of 60 messages, in order", async () => {
    const ids = await chatter("history", 60, "h");
    const late = await enter("history", "Late");
    expect(late.joined.history.map((m) => m.messageId)).toEqual(ids.slice(10));
    expect(late.joined.history[0]?.content).toBe("h 10");
  });
});

describe("zones", () => {
  test("chat in events never reaches movies", async () => {
    const e = await enter("iso-events", "E");
    const m = await enter("iso-movies", "M");
    const e2 = await enter("iso-events", "E2");
    e.room.send("chat", { content: "events only" });
    await e2.inbox.next("chat");
    m.room.send("chat", { content: "movies only", clientMessageId: "m1" });
    await m.inbox.next("message_ack");
    expect(m.inbox.of("chat")).toEqual([]);
    expect(e2.inbox.of("chat").map((c) => c.content)).toEqual(["events only"]);
  });

  test("transition: leave_room, room_left, join movies with movies' history", async () => {
    const seed = await enter("movies-t", "Seed");
    seed.room.send("chat", { content: "now showing", clientMessageId: "s" });
    await seed.inbox.next("message_ack");
    const ann = await enter("events-t", "Ann");
    ann.room.send("leave_room", {});
    const left = await ann.inbox.next("room_left");
    expect(left.roomId).toBe(ann.room.roomId);
    const code = await new Promise<number>((r) => ann.room.onLeave((c) => r(c)));
    expect(code).toBe(4000);
    const movies = await enter("movies-t", "Ann");
    expect(movies.joined.zoneId).toBe("movies-t");
    expect(movies.joined.history.map((h) => h.content)).toEqual(["now showing"]);
  });
});

describe("reconnection", () => {
  test("a cut socket is reconnected by the SDK and reconnect returns exactly what was missed", async () => {
    const alice = await enter("recon", "Alice");
    const bob = await enter("recon", "Bob");
    alice.room.reconnection.minUptime = 0;
    bob.room.send("chat", { content: "before", clientMessageId: "b0" });
    const seen = await alice.inbox.next("chat");
    const dropped = new Promise<void>((r) => alice.room.onDrop(() => r()));
    const back = new Promise<void>((r) => alice.room.onReconnect(() => r()));
    // An abnormal close (1006), as when a network goes away.
    cutSocket(alice.room);
    await dropped;
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      bob.room.send("chat", { content: `away ${i}`, clientMessageId: `b${i + 1}` });
      sent.push((await bob.inbox.next("message_ack", (a) => a.clientMessageId === `b${i + 1}`)).messageId);
    }
    await back;
    alice.room.send("reconnect", { lastMessageId: seen.messageId });
    const { missedMessages } = await alice.inbox.next("reconnected");
    expect(missedMessages.map((m) => m.messageId)).toEqual(sent);
    expect(missedMessages.map((m) => m.content)).toEqual(["away 0", "away 1", "away 2"]);
    // Still in the room with the same session: chat flows again.
    bob.room.send("chat", { content: "after", clientMessageId: "b9" });
    await alice.inbox.next("chat", (m) => m.content === "after");
    expect(bob.room.state.users.size).toBe(2);
  });

  test("a fresh join with lastMessageId (a page reload) gets the same catch-up", async () => {
    const ids = await chatter("reload", 4, "r");
    const reloaded = await enter("reload", "Reloaded", { lastMessageId: ids[0] });
    const { missedMessages } = await reloaded.inbox.next("reconnected");
    expect(missedMessages.map((m) => m.messageId)).toEqual(ids.slice(1));
  });
});
