import { afterAll, beforeAll, expect, test } from "vitest";
import { volumeAt } from "@earshot/protocol";
import { bootServer, joinVoice, until, walkX } from "../helpers/server.js";
import type { Joined } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  server = await bootServer({ tickMs: 50 });
});
afterAll(async () => {
  await server?.close();
});

const inVoice = (zone: string, name: string, x: number) => joinVoice(server.url, zone, name, x);

test("Alice and Bob 5 m apart pair up; Charlie 200 m away gets nothing; walking away closes the link", async () => {
  const alice = await inVoice("prox", "Alice", 0);
  const bob = await inVoice("prox", "Bob", 5);
  const charlie = await inVoice("prox", "Charlie", 200);
  const [first, second] = [alice, bob].sort((p, q) => (p.room.sessionId < q.room.sessionId ? -1 : 1)) as [
    Joined,
    Joined,
  ];

  const np = await first.inbox.next("new_peer");
  expect(np.peerId).toBe(second.room.sessionId);
  const cull = await alice.inbox.next("cull_update", (c) => c.audiblePeers.length > 0);
  expect(cull.audiblePeers).toEqual([
    { peerId: bob.room.sessionId, distance: 5, volume: Math.round(volumeAt(5) * 1000) / 1000 },
  ]);
  expect(cull.mutedPeers).toEqual([]);
  await bob.inbox.next("cull_update", (c) => c.audiblePeers.some((p) => p.peerId === alice.room.sessionId));
  // A few more ticks pass (Bob's cull arrived after several), then: no new_peer to the other
  // side, and nothing at all for Charlie.
  alice.room.send("chat", { content: "tick", clientMessageId: "t" });
  await alice.inbox.next("message_ack");
  expect(second.inbox.of("new_peer")).toEqual([]);
  expect(charlie.inbox.of("new_peer")).toEqual([]);
  expect(charlie.inbox.of("cull_update").every((c) => c.audiblePeers.length === 0)).toBe(true);

  // Interest management: positions only inside the view; the roster is complete everywhere.
  await until(() => alice.room.state.users.get(bob.room.sessionId)?.x === 5, 5_000, "Bob's position at Alice");
  // Charlie may have been in view for a tick at the origin before his first position arrived;
  // the tick then takes him out of Alice's view and his position fields are removed.
  const charlieAtAlice = () => alice.room.state.users.get(charlie.room.sessionId);
  await until(() => charlieAtAlice()?.x === undefined, 5_000, "Charlie's position to leave Alice's state");
  expect(charlieAtAlice()?.name).toBe("Charlie");
  await until(
    () => charlie.room.state.users.get(bob.room.sessionId)?.x === undefined,
    5_000,
    "Bob out of Charlie's view",
  );
  expect(charlie.room.state.users.get(alice.room.sessionId)?.name).toBe("Alice");
  expect(charlie.room.state.users.get(alice.room.sessionId)?.x).toBeUndefined();
  expect(charlie.room.state.users.get(charlie.room.sessionId)?.x).toBe(200);

  // Bob walks away (beyond hearRadius × hysteresis = 24 m): both sides hear about it.
  void walkX((x, y, z) => bob.room.send("position", { x, y, z }), 5, 30);
  const [ca, cb] = await Promise.all([alice.inbox.next("peer_closed"), bob.inbox.next("peer_closed")]);
  expect(ca).toEqual({ peerId: bob.room.sessionId, reason: "out_of_range" });
  expect(cb).toEqual({ peerId: alice.room.sessionId, reason: "out_of_range" });
  await alice.inbox.next("cull_update", (c) => c.audiblePeers.length === 0);
  for (const j of [alice, bob, charlie]) await j.room.leave();
});

test("a muted mic keeps the link and shows in mutedPeers; disconnect_voice closes links on both sides", async () => {
  const a = await inVoice("mute", "A", 0);
  const b = await inVoice("mute", "B", 3);
  await a.inbox.next("cull_update", (c) => c.audiblePeers.length === 1);
  b.room.send("voice_state", { muted: true, speaking: false });
  const muted = await a.inbox.next("cull_update", (c) => c.mutedPeers.includes(b.room.sessionId));
  expect(muted.audiblePeers.map((p) => p.peerId)).toEqual([b.room.sessionId]);
  await until(() => a.room.state.users.get(b.room.sessionId)?.micMuted === true, 5_000, "micMuted in state");
  b.room.send("disconnect_voice", {});
  const [ca, cb] = await Promise.all([a.inbox.next("peer_closed"), b.inbox.next("peer_closed")]);
  expect(ca.reason).toBe("voice_off");
  expect(cb.reason).toBe("voice_off");
  await until(() => a.room.state.users.get(b.room.sessionId)?.inVoice === false, 5_000, "inVoice in state");
  for (const j of [a, b]) await j.room.leave();
});

test("leaving closes links with reason left", async () => {
  const a = await inVoice("leave", "A", 0);
  const b = await inVoice("leave", "B", 3);
  await a.inbox.next("cull_update", (c) => c.audiblePeers.length === 1);
  await b.room.leave();
  expect(await a.inbox.next("peer_closed")).toEqual({ peerId: b.room.sessionId, reason: "left" });
  await a.room.leave();
});
