import { afterAll, beforeAll, expect, test } from "vitest";
import { ErrorCode, MAX_SIGNALS_PER_S } from "@earshot/protocol";
import { bootServer, join, joinVoice, until } from "../helpers/server.js";
import type { Joined } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  // A short offer timeout keeps the test quick; the default stays 10 s.
  server = await bootServer({ tickMs: 50, offerTimeoutMs: 300 });
});
afterAll(async () => {
  await server?.close();
});

const inVoice = (zone: string, name: string, x: number) => joinVoice(server.url, zone, name, x);

/** Two clients in voice 3 m apart, once the server paired them: [initiator, other]. */
async function pair(zone: string): Promise<[Joined, Joined]> {
  const a = await inVoice(zone, "A", 0);
  const b = await inVoice(zone, "B", 3);
  const [first, second] = [a, b].sort((p, q) => (p.room.sessionId < q.room.sessionId ? -1 : 1)) as [Joined, Joined];
  await first.inbox.next("new_peer");
  return [first, second];
}

test("signaling is relayed between paired peers with the server-stamped sender", async () => {
  const [a, b] = await pair("relay-ok");
  a.room.send("offer", { to: b.room.sessionId, sdp: "v=0 offer" });
  expect(await b.inbox.next("offer")).toEqual({ from: a.room.sessionId, sdp: "v=0 offer" });
  b.room.send("answer", { to: a.room.sessionId, sdp: "v=0 answer" });
  expect(await a.inbox.next("answer")).toEqual({ from: b.room.sessionId, sdp: "v=0 answer" });
  const candidate = { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0 };
  b.room.send("ice_candidate", { to: a.room.sessionId, candidate });
  expect(await a.inbox.next("ice_candidate")).toEqual({ from: b.room.sessionId, candidate });
  // Answered in time: no timeout follows.
  a.room.send("chat", { content: "sync", clientMessageId: "s" });
  await new Promise((r) => setTimeout(r, 400)); // longer than the 300 ms offer timeout
  a.room.send("chat", { content: "sync2", clientMessageId: "s2" });
  await a.inbox.next("message_ack", (m) => m.clientMessageId === "s2");
  expect(a.inbox.of("peer_unavailable")).toEqual([]);
  for (const j of [a, b]) await j.room.leave();
});

test("a signaling flood is refused past its burst with rate_limited; the sender stays connected and can signal again", async () => {
  const [a, b] = await pair("relay-flood");
  const candidate = { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0 };
  // Opening 8 links trickles ~160 candidates at once; this is well past the burst of 2 s worth.
  const sent = 2 * MAX_SIGNALS_PER_S + 300;
  for (let i = 0; i < sent; i++) a.room.send("ice_candidate", { to: b.room.sessionId, candidate });
  const relayed = () => b.inbox.of("ice_candidate").length;
  const refused = () => a.inbox.of("error").filter((e) => e.code === ErrorCode.RateLimited);
  await until(() => relayed() + refused().length === sent, 10_000, "every candidate relayed or refused");
  expect(relayed()).toBeGreaterThanOrEqual(2 * MAX_SIGNALS_PER_S);
  expect(refused().length).toBeGreaterThan(0);
  expect(refused()[0]!.retryAfterMs).toBeGreaterThan(0);
  expect(a.room.connection.isOpen).toBe(true);
  await new Promise((r) => setTimeout(r, refused()[0]!.retryAfterMs)); // the bucket refills
  a.room.send("offer", { to: b.room.sessionId, sdp: "v=0 after" });
  expect(await b.inbox.next("offer", (m) => m.sdp === "v=0 after")).toEqual({
    from: a.room.sessionId,
    sdp: "v=0 after",
  });
  for (const j of [a, b]) await j.room.leave();
});

test("an offer to a peer that is not linked gets not_paired, and the target receives nothing", async () => {
  const near = await inVoice("relay-np", "Near", 0);
  const far = await inVoice("relay-np", "Far", 300);
  const outsider = await join(server.url, "relay-np", "Outsider"); // not in voice
  near.room.send("offer", { to: far.room.sessionId, sdp: "v=0" });
  expect((await near.inbox.next("error")).code).toBe("not_paired");
  near.room.send("ice_candidate", { to: outsider.room.sessionId, candidate: { candidate: "x" } });
  expect((await near.inbox.next("error", (e) => e.message.startsWith("ice_candidate"))).code).toBe("not_paired");
  outsider.room.send("offer", { to: near.room.sessionId, sdp: "v=0" });
  expect((await outsider.inbox.next("error")).code).toBe("not_in_voice");
  // A round trip later, nothing has reached anyone.
  far.room.send("chat", { content: "sync", clientMessageId: "s" });
  await near.inbox.next("chat");
  for (const j of [far, outsider, near])
    expect(j.inbox.of("offer").length + j.inbox.of("ice_candidate").length).toBe(0);
  for (const j of [near, far, outsider]) await j.room.leave();
});

test("an unanswered offer gets peer_unavailable with reason timeout; the link closes on both sides and forms again", async () => {
  const [a, b] = await pair("relay-to");
  a.room.send("offer", { to: b.room.sessionId, sdp: "v=0" });
  await b.inbox.next("offer");
  expect(await a.inbox.next("peer_unavailable")).toEqual({ peerId: b.room.sessionId, reason: "timeout" });
  // Left open, the server would count a link that the offerer has given up on.
  expect(await a.inbox.next("peer_closed")).toEqual({ peerId: b.room.sessionId, reason: "failed" });
  expect(await b.inbox.next("peer_closed")).toEqual({ peerId: a.room.sessionId, reason: "failed" });
  expect(await a.inbox.next("new_peer", () => true, { fresh: true })).toEqual({ peerId: b.room.sessionId });
  for (const j of [a, b]) await j.room.leave();
});

test("a link whose initiator never offers (the offer was lost or refused) closes after the timeout and forms again", async () => {
  const [a, b] = await pair("relay-silent");
  // No offer at all: the wait for an answer began with new_peer.
  expect(await a.inbox.next("peer_unavailable")).toEqual({ peerId: b.room.sessionId, reason: "timeout" });
  expect(await b.inbox.next("peer_closed")).toEqual({ peerId: a.room.sessionId, reason: "failed" });
  expect(await a.inbox.next("new_peer", () => true, { fresh: true })).toEqual({ peerId: b.room.sessionId });
  for (const j of [a, b]) await j.room.leave();
});

test("a target that leaves before answering gives reason left", async () => {
  const [a, b] = await pair("relay-left");
  a.room.send("offer", { to: b.room.sessionId, sdp: "v=0" });
  await b.inbox.next("offer");
  await b.room.leave();
  expect(await a.inbox.next("peer_unavailable")).toEqual({ peerId: b.room.sessionId, reason: "left" });
  await a.room.leave();
});

test("voice_state reaches linked peers as peer_voice_state and updates the roster", async () => {
  const [a, b] = await pair("relay-vs");
  b.room.send("voice_state", { muted: false, speaking: true, volume: 0.65 });
  expect(await a.inbox.next("peer_voice_state")).toEqual({
    peerId: b.room.sessionId,
    muted: false,
    speaking: true,
    audioLevel: 0.65,
  });
  for (const j of [a, b]) await j.room.leave();
});

test("voice_link_failed closes the link on both sides with reason failed, and the tick pairs them again later", async () => {
  const [a, b] = await pair("relay-fail");
  a.room.send("voice_link_failed", { peerId: b.room.sessionId });
  expect(await a.inbox.next("peer_closed")).toEqual({ peerId: b.room.sessionId, reason: "failed" });
  expect(await b.inbox.next("peer_closed")).toEqual({ peerId: a.room.sessionId, reason: "failed" });
  const again = await a.inbox.next("new_peer", () => true, { fresh: true, timeoutMs: 5_000 });
  expect(again.peerId).toBe(b.room.sessionId);
  a.room.send("voice_link_failed", { peerId: "nobody" });
  expect((await a.inbox.next("error", () => true, { fresh: true })).code).toBe("not_paired");
  for (const j of [a, b]) await j.room.leave();
});
