import { expect, test } from "vitest";
import { eventually, voiceServer } from "../helpers/bot.js";
import { cutSocket, walkX } from "../helpers/server.js";
import type { Bot } from "../helpers/bot.js";

const { bot } = voiceServer();
type ZoneStateView = { users: Map<string, { x: number; micMuted: boolean; inVoice: boolean }> };

test("two bots 5 m apart hear each other's tone", async () => {
  const alice = bot("Alice", 440);
  const bob = bot("Bob", 1000);
  await alice.enter("voice", 0);
  await bob.enter("voice", 5);
  const heard = (b: Bot, other: Bot, freq: number, wrong: number) => {
    const l = b.listeners.get(other.client.sessionId!);
    return !!l && l.rms() > 0.02 && l.magnitude(freq) > 0.05 && l.magnitude(freq) > 5 * l.magnitude(wrong);
  };
  await eventually(() => heard(alice, bob, 1000, 440), 15_000, "Alice to hear Bob's 1 kHz");
  await eventually(() => heard(bob, alice, 440, 1000), 15_000, "Bob to hear Alice's 440 Hz");
});

// Ten, not more: each wrtc connection here holds about 90 file descriptors (four local addresses,
// UDP and TCP), and a process may hold 20,000; twelve bots re-pairing as they arrive came close.
test("10 bots in a 3 m circle: at most 8 live peer connections each, all of them server links", async () => {
  const ring = Array.from({ length: 10 }, (_, i) => bot(`R${i}`, 300 + i * 50));
  await Promise.all(
    ring.map((b, i) => b.enter("ring", 1.5 * Math.cos((i * Math.PI) / 5), 1.5 * Math.sin((i * Math.PI) / 5))),
  );
  // Wait until every bot's established connections are exactly the links the server reports,
  // and nobody is left with few (a late joiner takes links from full bots, who then re-pair).
  // The cap must hold at every look on the way.
  let most = 0;
  const settled = () => {
    const counts = ring.map((b) => b.liveConnections().length);
    most = Math.max(most, ...counts);
    return (
      Math.min(...counts) >= 4 &&
      ring.every(
        (b) =>
          b.connectedPeers().join() === b.serverLinks.join() && b.liveConnections().length === b.serverLinks.length,
      )
    );
  };
  // 80 peer connections on two cores: seconds alone, longer beside a browser test in CI.
  await eventually(settled, 60_000, "connections to match the server's links, at least 4 each").catch((e: Error) => {
    const state = ring.map((b) => `${b.serverLinks.length}/${b.liveConnections().length}/${b.connectedPeers().length}`);
    throw new Error(`${e.message} (per bot, server links/live/connected: ${state.join(" ")})`);
  });
  expect(most).toBeLessThanOrEqual(8);
  for (const b of ring) {
    for (const peer of b.liveConnections()) {
      const other = ring.find((o) => o.client.sessionId === peer)!;
      expect(other.serverLinks).toContain(b.client.sessionId);
    }
  }
}, 90_000);

test("walking out closes the links on both sides; walking back re-pairs and audio flows again", async () => {
  const a = bot("A", 500);
  const b = bot("B", 900);
  await a.enter("walk", 0);
  await b.enter("walk", 4);
  const hears = (x: Bot, y: Bot, f: number) => (x.listeners.get(y.client.sessionId!)?.magnitude(f) ?? 0) > 0.05;
  await eventually(() => hears(a, b, 900), 15_000, "A hears B");
  // Links are symmetric: who A hears is who hears A, and the client says so.
  await eventually(() => a.client.hearers.includes(b.client.sessionId!), 5_000, "B among A's hearers");
  const closed = new Promise<string>((r) => a.client.once("peerClosed", (_id, reason) => r(reason)));
  void walkX((x, y, z) => b.client.sendPosition(x, y, z), 4, 30);
  expect(await closed).toBe("out_of_range");
  await eventually(
    () => a.liveConnections().length === 0 && b.liveConnections().length === 0,
    5_000,
    "no peer connection left",
  );
  await eventually(() => a.client.hearers.length === 0, 5_000, "nobody hears A");
  await walkX((x, y, z) => b.client.sendPosition(x, y, z), 30, 3);
  await eventually(() => hears(a, b, 900) && hears(b, a, 500), 15_000, "audio after re-pairing");
});

test("a muted bot's audio stops at the receiver and its bytes sent stop growing; unmute restores", async () => {
  const a = bot("A", 600);
  const b = bot("B", 1200);
  await a.enter("mute", 0);
  await b.enter("mute", 3);
  const level = () => b.listeners.get(a.client.sessionId!)?.magnitude(600) ?? 0;
  await eventually(() => level() > 0.05, 15_000, "B hears A");
  a.client.mute();
  await eventually(() => level() < 0.005, 5_000, "silence at B");
  const before = await a.bytesSent();
  await new Promise((r) => setTimeout(r, 1_000)); // a measurement window, not a wait for an event
  const after = await a.bytesSent();
  expect(after - before).toBeLessThan(500); // RTCP only; audio at 24 kbps would be ~3,000 B
  a.client.unmute();
  await eventually(() => level() > 0.05, 5_000, "B hears A again");
});

test("a cut socket: the client reconnects, missed chat arrives exactly once, and voice flows again", async () => {
  const a = bot("A", 700);
  const b = bot("B", 1300);
  await a.enter("recon-voice", 0);
  await b.enter("recon-voice", 3);
  const hears = () => (a.listeners.get(b.client.sessionId!)?.magnitude(1300) ?? 0) > 0.05;
  await eventually(hears, 15_000, "A hears B");
  const got: string[] = [];
  a.client.on("chat", (m) => got.push(m.content));
  b.client.sendChat("before");
  await eventually(() => got.includes("before"), 5_000, "live chat");

  const reconnecting = new Promise<void>((r) => a.client.on("connectionState", (s) => s === "reconnecting" && r()));
  cutSocket(a.client.room!);
  await reconnecting;
  const sent = await Promise.all(["away 1", "away 2", "away 3"].map((t) => b.client.sendChat(t).done));
  expect(sent.every((s) => s.status === "delivered")).toBe(true);
  await eventually(
    () => a.client.connectionState === "connected" && got.length === 4,
    20_000,
    "reconnect and catch-up",
  );
  expect(got).toEqual(["before", "away 1", "away 2", "away 3"]);
  expect(a.client.messages.map((m) => m.content)).toEqual(["before", "away 1", "away 2", "away 3"]);
  await eventually(() => a.hearsLinkedPeer(1300), 20_000, "voice after the reconnect");
}, 60_000);

test("when the SDK cannot reconnect, the client joins again: missed chat once, its position and muted mic back", async () => {
  const a = bot("A", 700);
  const b = bot("B", 1300);
  await a.enter("rejoin", 10);
  await b.enter("rejoin", 3);
  a.client.mute();
  b.client.sendChat("before");
  await eventually(() => a.client.messages.length === 1, 5_000, "live chat");
  const got: string[] = [];
  a.client.on("chat", (m) => got.push(m.content));
  const oldSession = a.client.sessionId;
  a.client.room!.reconnection.enabled = false;
  cutSocket(a.client.room!);
  await eventually(() => a.client.connectionState === "reconnecting", 5_000, "reconnecting");
  await b.client.sendChat("while away").done;
  await eventually(() => a.client.connectionState === "connected" && got.length === 1, 20_000, "rejoin and catch-up");
  expect(got).toEqual(["while away"]);
  expect(a.client.sessionId).not.toBe(oldSession);
  // The new seat starts at the origin with the mic on: the client restores both.
  const seat = () => (b.client.room!.state as ZoneStateView).users.get(a.client.sessionId!);
  await eventually(() => seat()?.micMuted === true && seat()?.inVoice === true, 5_000, "A's muted mic on the new seat");
  await eventually(() => b.client.room!.state && seat()?.x === 10, 5_000, "A's position on the new seat (B sees it)");
  await eventually(() => a.hearsLinkedPeer(1300), 20_000, "voice after the rejoin");
}, 60_000);
