import { expect, test } from "vitest";
import { eventually, voiceServer } from "../helpers/bot.js";

const { bot } = voiceServer();

test("chat status goes pending -> delivered, or failed with the error code", async () => {
  const a = bot("A");
  const b = bot("B");
  await a.client.join("client-chat");
  await b.client.join("client-chat");
  const statuses: string[] = [];
  a.client.on("chatStatus", (s) => statuses.push(s.status));
  const ok = a.client.sendChat("hello");
  expect(ok.status).toBe("pending");
  const done = await ok.done;
  expect(done).toMatchObject({ status: "delivered", content: "hello" });
  const tooLong = await a.client.sendChat("x".repeat(501)).done;
  expect(tooLong.status === "failed" && tooLong.error.code).toBe("too_large");
  expect(statuses).toEqual(["pending", "delivered", "pending", "failed"]);
  await eventually(() => b.client.messages.some((m) => m.content === "hello"), 5_000, "B gets it");
  expect(a.client.messages.map((m) => m.content)).toEqual(["hello"]); // own delivered message, once
});

test("changeZone closes every voice link first, then joins the other zone with its history and voice", async () => {
  const a = bot("A", 500);
  const b = bot("B", 900);
  const m = bot("M", 1500);
  await a.enter("events-z", 0);
  await b.enter("events-z", 3);
  await m.enter("movies-z", 0);
  m.client.sendChat("in movies");
  await eventually(() => a.liveConnections().length === 1, 15_000, "A linked in events");
  const closed: string[] = [];
  a.client.on("peerClosed", (_id, reason) => closed.push(reason));
  const joined = await a.client.changeZone("movies-z");
  expect(closed).toEqual(["zone_change"]);
  expect(joined.zoneId).toBe("movies-z");
  expect(joined.history.map((h) => h.content)).toEqual(["in movies"]);
  await eventually(() => b.liveConnections().length === 0, 5_000, "B's link to A closed");
  await eventually(
    () => (a.listeners.get(m.client.sessionId!)?.magnitude(1500) ?? 0) > 0.05,
    15_000,
    "A hears M in movies",
  );
});

test("client.people is the typed roster: joins, moves at most once per patch, changes and leaves", async () => {
  const a = bot("Ada");
  const b = bot("Bea");
  await a.client.join("people");
  await b.client.join("people");
  await eventually(() => a.client.people.size === 2, 5_000, "Ada to see two people");
  const bea = a.client.people.get(b.client.sessionId!)!;
  expect(bea).toMatchObject({ name: "Bea", status: "online", micMuted: false, inVoice: false, id: b.client.userId });

  let patches = 0;
  a.client.room!.onStateChange(() => patches++);
  const moves: number[] = [];
  const changes: string[] = [];
  const left: string[] = [];
  a.client.on("personMoved", (p) => p.sessionId === b.client.sessionId && moves.push(p.position?.x ?? NaN));
  a.client.on("personChanged", (p) => changes.push(`${p.name}:${p.status}`));
  a.client.on("personLeft", (p) => left.push(p.name));
  for (let x = 1; x <= 5; x++) {
    b.client.sendPosition(x, 0, 0);
    await eventually(() => a.client.people.get(b.client.sessionId!)?.position?.x === x, 5_000, `Bea at x=${x}`);
  }
  expect(moves.length).toBeGreaterThanOrEqual(5);
  expect(moves.length).toBeLessThanOrEqual(patches);
  expect(moves.at(-1)).toBe(5);
  b.client.setPresence("away");
  await eventually(() => changes.includes("Bea:away"), 5_000, "Bea away");
  await b.client.close();
  await eventually(() => left.includes("Bea"), 5_000, "Bea gone");
  expect(a.client.people.has(b.client.sessionId!)).toBe(false);
});
