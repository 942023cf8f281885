import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { spawnServer, stop } from "../helpers/process.js";
import { join, tempDb } from "../helpers/server.js";

let server: { proc: ChildProcess; url: string; output: () => string };
beforeAll(async () => {
  server = await spawnServer({
    EARSHOT_DB: tempDb(),
    TICK_MS: "50",
    MAX_CONNECTIONS_PER_IP: "1000",
    JOINS_PER_IP_PER_S: "1000",
    JOIN_BURST_PER_IP: "1000",
  });
}, 60_000);
afterAll(() => stop(server.proc));

const metric = async (line: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(
    text
      .split("\n")
      .find((l) => l.startsWith(line))
      ?.split(" ")[1] ?? 0,
  );
};

test("a flood of refused frames writes one line a minute per client and type, counted in /metrics, and no stack trace", async () => {
  const a = await join(server.url, "logs", "Flooder");
  for (let i = 0; i < 300; i++) a.room.send("chat", { content: 5 });
  for (let i = 0; i < 300; i++) a.room.send("position", { x: "far", y: 0, z: 0 });
  await a.inbox.next("error", () => a.inbox.of("error").length >= 600, { timeoutMs: 15_000 });

  // Frames Colyseus can't even decode: each closes its connection.
  const garbage = await Promise.all(Array.from({ length: 20 }, (_, i) => join(server.url, "logs", `Junk${i}`)));
  const closed = garbage.map((g) => new Promise<void>((resolve) => g.room.onLeave(() => resolve())));
  for (const g of garbage) {
    const ws = (g.room.connection.transport as unknown as { ws: { send(b: Uint8Array): void } }).ws;
    ws.send(new Uint8Array([13, 0xc1, 0xff, 0xee, 0xdd, 0x00, 0x91]));
  }
  await Promise.all(closed);

  expect(await metric('earshot_refused_frames_total{reason="invalid_message"}')).toBe(600);
  expect(await metric('earshot_refused_frames_total{reason="undecodable"}')).toBe(20);
  const lines = server.output().split("\n");
  const ours = lines.filter((l) => l.includes(`refused from ${a.room.sessionId}`));
  console.log(`600 refused frames and 20 undecodable ones wrote ${lines.length} lines:\n${lines.join("\n")}`);
  expect(ours).toHaveLength(2); // one for chat, one for position
  expect(lines.filter((l) => l.startsWith("[colyseus]")).length).toBeLessThanOrEqual(1);
  expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
  // The flooder's connection stays.
  a.room.send("chat", { content: "still here" });
  await a.inbox.next("message_ack");
});
