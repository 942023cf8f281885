import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { matchMaker } from "@colyseus/core";
import { clientMessages, ErrorCode, WORLD_BOUND_M } from "@earshot/protocol";
import type { ZoneState } from "@earshot/server";
import { bootServer, join } from "../helpers/server.js";
import type { Joined } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  server = await bootServer();
});
afterAll(async () => {
  await server?.close();
});

const big = "x".repeat(100 * 1024);

/** [what, type, payload, expected code]. */
const table: [string, string, unknown, string][] = [
  ["chat: a string payload", "chat", "hello", ErrorCode.InvalidMessage],
  ["chat: a number payload", "chat", 42, ErrorCode.InvalidMessage],
  ["chat: null payload", "chat", null, ErrorCode.InvalidMessage],
  ["chat: an array payload", "chat", ["hi"], ErrorCode.InvalidMessage],
  ["chat: content of the wrong type", "chat", { content: 5 }, ErrorCode.InvalidMessage],
  ["chat: empty content", "chat", { content: "" }, ErrorCode.InvalidMessage],
  ["chat: whitespace content", "chat", { content: " \n\t " }, ErrorCode.InvalidMessage],
  ["chat: 501 characters", "chat", { content: "y".repeat(501) }, ErrorCode.TooLarge],
  ["chat: roomId naming another zone", "chat", { content: "hi", roomId: "movies" }, ErrorCode.WrongZone],
  ["chat: zone naming another zone", "chat", { content: "hi", zone: "movies" }, ErrorCode.WrongZone],
  ["chat: an unknown field", "chat", { content: "hi", mood: "happy" }, ErrorCode.InvalidMessage],
  ["chat: type naming another message", "chat", { type: "typing", content: "hi" }, ErrorCode.InvalidMessage],
  ["chat: a 100 KB payload", "chat", { content: big }, ErrorCode.TooLarge],
  ["a 100 KB payload of another type", "position", { x: 0, y: 0, z: 0, pad: big }, ErrorCode.TooLarge],
  ["an unknown type", "teleport", { x: 1 }, ErrorCode.InvalidMessage],
  ["typing: wrong type", "typing", { isTyping: "yes" }, ErrorCode.InvalidMessage],
  ["typing: missing field", "typing", {}, ErrorCode.InvalidMessage],
  ["presence: unknown status", "presence", { status: "asleep" }, ErrorCode.InvalidMessage],
  ["presence: another zone", "presence", { status: "away", zone: "movies" }, ErrorCode.WrongZone],
  ["position: NaN", "position", { x: Number.NaN, y: 0, z: 0 }, ErrorCode.InvalidMessage],
  ["position: Infinity", "position", { x: 0, y: Number.POSITIVE_INFINITY, z: 0 }, ErrorCode.InvalidMessage],
  ["position: -Infinity", "position", { x: 0, y: 0, z: Number.NEGATIVE_INFINITY }, ErrorCode.InvalidMessage],
  ["position: outside the world", "position", { x: WORLD_BOUND_M + 1, y: 0, z: 0 }, ErrorCode.InvalidMessage],
  ["position: a string coordinate", "position", { x: "1", y: 0, z: 0 }, ErrorCode.InvalidMessage],
  ["position: missing z", "position", { x: 1, y: 0 }, ErrorCode.InvalidMessage],
  ["join_voice_zone: another zone", "join_voice_zone", { zoneId: "movies" }, ErrorCode.WrongZone],
  ["join_voice_zone: malformed zone", "join_voice_zone", { zoneId: "Not A Zone!" }, ErrorCode.InvalidMessage],
  ["offer: not in voice", "offer", { to: "someone", sdp: "v=0" }, ErrorCode.NotInVoice],
  ["offer: missing sdp", "offer", { to: "someone" }, ErrorCode.InvalidMessage],
  ["answer: a roomId that is not a string", "answer", { to: "x", roomId: 7, sdp: "v=0" }, ErrorCode.InvalidMessage],
  ["ice_candidate: not an object", "ice_candidate", { to: "x", candidate: 7 }, ErrorCode.InvalidMessage],
  ["voice_state: wrong type", "voice_state", { muted: "no", speaking: false }, ErrorCode.InvalidMessage],
  [
    "voice_state: volume out of range",
    "voice_state",
    { muted: false, speaking: true, volume: 7 },
    ErrorCode.InvalidMessage,
  ],
  ["reconnect: numeric id", "reconnect", { lastMessageId: 5 }, ErrorCode.InvalidMessage],
  ["leave_room: wrong type", "leave_room", { roomId: 5 }, ErrorCode.InvalidMessage],
  ["disconnect_voice: a string", "disconnect_voice", "now", ErrorCode.InvalidMessage],
];

describe("bad input", () => {
  let alice: Joined;
  let bob: Joined;
  beforeAll(async () => {
    alice = await join(server.url, "bad", "Alice");
    bob = await join(server.url, "bad", "Bob");
  });

  test.each(table)("%s -> error", async (_what, type, payload, code) => {
    const next = alice.inbox.next("error", () => true, { fresh: true });
    alice.room.send(type, payload);
    const error = await next;
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
    expect(alice.room.connection.isOpen).toBe(true);
  });

  test("after the whole table nothing was stored or relayed, and the connection still works", async () => {
    expect(await server.store.recent("bad", 100)).toEqual([]);
    alice.room.send("chat", { content: "still here", clientMessageId: "ok" });
    const ack = await alice.inbox.next("message_ack");
    await bob.inbox.next("chat", (m) => m.messageId === ack.messageId);
    // Bob saw exactly one chat, no typing and no presence from the bad rows.
    expect(bob.inbox.of("chat").map((m) => m.content)).toEqual(["still here"]);
    expect(bob.inbox.of("typing")).toEqual([]);
    expect(bob.inbox.of("presence")).toEqual([]);
    expect((await server.store.recent("bad", 100)).map((m) => m.content)).toEqual(["still here"]);
  });

  test("50 chats in a second: 5 accepted, the rest rate_limited with retryAfterMs, nothing accepted is lost", async () => {
    const flood = await join(server.url, "flood", "Flood");
    const watcher = await join(server.url, "flood", "Watcher");
    for (let i = 0; i < 50; i++) flood.room.send("chat", { content: `m${i}`, clientMessageId: `f${i}` });
    const settled = async () => {
      while (flood.inbox.of("message_ack").length + flood.inbox.of("error").length < 50) {
        await Promise.race([
          flood.inbox.next("message_ack", () => true, { fresh: true }),
          flood.inbox.next("error", () => true, { fresh: true }),
        ]);
      }
    };
    await settled();
    const acks = flood.inbox.of("message_ack");
    const errors = flood.inbox.of("error");
    expect(acks.map((a) => a.clientMessageId)).toEqual(["f0", "f1", "f2", "f3", "f4"]);
    expect(errors).toHaveLength(45);
    expect(errors.every((e) => e.code === ErrorCode.RateLimited && (e.retryAfterMs ?? 0) > 0)).toBe(true);
    expect(new Set(errors.map((e) => e.ref)).size).toBe(45);
    const stored = await server.store.recent("flood", 100);
    expect(stored.map((m) => m.messageId)).toEqual(acks.map((a) => a.messageId));
    await watcher.inbox.next("chat", (m) => m.messageId === acks[4]!.messageId);
    expect(watcher.inbox.of("chat")).toHaveLength(5);
    expect(flood.room.connection.isOpen).toBe(true);
    await flood.room.leave();
    await watcher.room.leave();
  });
});

// leave_room is left out: a valid one ends the session, as it should.
const types = Object.keys(clientMessages).filter((t) => t !== "leave_room");
const value = fc.anything({
  maxDepth: 3,
  withNullPrototype: false,
  withBigInt: false,
  withMap: false,
  withSet: false,
  withTypedArray: false,
  withSparseArray: false,
  withBoxedValues: false,
});
/** Payloads near the contract (right keys, random values) and far from it. */
const payload = fc.oneof(
  value,
  fc.record(
    {
      content: fc.oneof(fc.string({ maxLength: 600 }), value),
      clientMessageId: fc.option(fc.string(), { nil: undefined }),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    { x: fc.oneof(fc.double(), value), y: fc.double(), z: fc.double(), rotY: fc.double() },
    { requiredKeys: [] },
  ),
  fc.record(
    { to: fc.string(), sdp: fc.string(), candidate: value, zoneId: fc.constantFrom("fuzz", "events", "FUZZ") },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      status: fc.constantFrom("online", "away", "busy", "gone"),
      micMuted: value,
      isTyping: value,
      muted: fc.boolean(),
      speaking: fc.boolean(),
      volume: fc.double(),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    { lastMessageId: fc.oneof(fc.constantFrom("msg_1", "msg_0", "msg_-1", "msg_99999999999999999"), value) },
    { requiredKeys: [] },
  ),
);
const message = fc.tuple(fc.oneof(fc.constantFrom(...types), fc.string({ maxLength: 20 })), payload);

test("fuzzing: 10,000 generated payloads across all types never break the server or its state", async () => {
  const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => join(server.url, "fuzz", `fuzzer${i}`)));
  const samples = fc.sample(message, { numRuns: 10_000, seed: 4242 });
  const closes: number[] = [];
  for (const c of clients) c.room.onLeave((code) => closes.push(code));
  let sent = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      const mine = samples.slice(i * 1000, (i + 1) * 1000);
      // Paced under Colyseus' per-second frame cap (200): batches of 90, so even two batches
      // landing in one of its windows stay under it. A probe with a ref marks each batch as processed.
      for (let b = 0; b < mine.length; b += 90) {
        for (const [type, p] of mine.slice(b, b + 90)) {
          c.room.send(type, p);
          sent++;
        }
        const probe = `probe-${i}-${b}`;
        c.room.send("chat", { content: "", clientMessageId: probe });
        await c.inbox.next("error", (e) => e.ref === probe, { timeoutMs: 20_000 });
        // Colyseus counts frames in one-second windows from the first frame it receives.
        await new Promise((r) => setTimeout(r, 1050));
      }
    }),
  );
  expect(closes).toEqual([]);
  expect(sent).toBe(samples.length);
  expect(clients.every((c) => c.room.connection.isOpen)).toBe(true);
  expect(server.metrics.counters.get("earshot_uncaught_errors_total") ?? 0).toBe(0);

  const room = matchMaker.getLocalRoomById(clients[0]!.room.roomId) as unknown as { state: ZoneState };
  expect(room.state.users.size).toBe(10);
  room.state.users.forEach((u) => {
    for (const v of [u.x, u.y, u.z, u.rotY]) expect(Number.isFinite(v)).toBe(true);
    for (const v of [u.x, u.y, u.z]) expect(Math.abs(v)).toBeLessThanOrEqual(WORLD_BOUND_M);
    expect(["online", "away", "busy"]).toContain(u.status);
    expect(u.name).toMatch(/^fuzzer\d$/);
    expect(u.id).toMatch(/^guest_[0-9a-f]{12}$/);
  });
  // Every stored message is valid chat.
  for (const m of await server.store.recent("fuzz", 1000)) {
    expect(m.content.trim()).toBe(m.content);
    expect(m.content.length).toBeGreaterThan(0);
    expect([...m.content].length).toBeLessThanOrEqual(500);
  }
  // And the server still serves a newcomer.
  const late = await join(server.url, "fuzz", "Late");
  late.room.send("chat", { content: "alive", clientMessageId: "alive" });
  expect((await late.inbox.next("message_ack")).clientMessageId).toBe("alive");
  await Promise.all([...clients, late].map((c) => c.room.leave()));
}, 120_000);
