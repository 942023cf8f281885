/**
 * The bots of `npm run bench:load`, in their own process: real @colyseus/sdk clients that
 * join a zone, walk at 10 Hz, chat at a set total rate, and join voice (signaling only: they
 * answer offers with a stub SDP, no media). Prints one JSON line of measurements at the end.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client } from "@colyseus/sdk";
import type { Room } from "@colyseus/sdk";
import { PROTOCOL_VERSION, ZONE_ROOM } from "@earshot/protocol";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    bots: { type: "string", default: "200" },
    seconds: { type: "string", default: "30" },
    "chat-rate": { type: "string", default: "20" },
    zone: { type: "string", default: "load" },
  },
});
const url = values.url!;
const count = Number(values.bots);
const seconds = Number(values.seconds);
const chatRate = Number(values["chat-rate"]);
const side = Math.sqrt(count * 100);

interface BotState {
  room: Room;
  x: number;
  z: number;
  heading: number;
  bytes: number;
}
const bots: BotState[] = [];
let errors = 0;
/** not_paired answers to an offer whose link the server closed meanwhile (walking, cap). */
let signalingRaces = 0;
const errorKinds: Record<string, number> = {};
const fail = (kind: string) => {
  errors++;
  errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
};
const sentAt = new Map<string, number>();
const delivered = new Set<string>();
const ackMs: number[] = [];
const deliveryMs: number[] = [];
let measuring = false;

async function spawnBot(i: number): Promise<void> {
  const room = await new Client(url).joinOrCreate(ZONE_ROOM, {
    zoneId: values.zone,
    userInfo: { name: `bot${i}` },
    protocolVersion: PROTOCOL_VERSION,
  });
  const bot: BotState = {
    room,
    x: Math.random() * side,
    z: Math.random() * side,
    heading: Math.random() * 6.28,
    bytes: 0,
  };
  let lastClosedAt = -Infinity;
  const ws = (
    room.connection.transport as unknown as { ws: { on(e: string, f: (d: { byteLength: number }) => void): void } }
  ).ws;
  ws.on("message", (d) => measuring && (bot.bytes += d.byteLength));
  room.onMessage("*", (type, payload: any) => {
    switch (type) {
      case "message_ack": {
        const t = sentAt.get(payload.clientMessageId);
        if (t !== undefined && measuring) ackMs.push(performance.now() - t);
        return;
      }
      case "chat": {
        const id = /^load (\S+)/.exec(payload.content)?.[1];
        const t = id ? sentAt.get(id) : undefined;
        // Delivery is timed at a bot other than the sender (the sender gets no copy).
        if (id && t !== undefined && !delivered.has(id)) {
          delivered.add(id);
          if (measuring) deliveryMs.push(performance.now() - t);
        }
        return;
      }
      case "new_peer":
        return room.send("offer", { to: payload.peerId, sdp: "v=0 stub" });
      case "offer":
        return room.send("answer", { to: payload.from, sdp: "v=0 stub" });
      case "peer_closed":
        lastClosedAt = performance.now();
        return;
      case "error":
        // A link that closed while our offer was on its way: a race, not a fault.
        if (payload.code === "not_paired" && performance.now() - lastClosedAt < 1_000) return void signalingRaces++;
        return fail(`error:${payload.code}`);
      default:
        return;
    }
  });
  room.onLeave((code) => code !== 4000 && fail(`left:${code}`));
  room.send("position", { x: bot.x, y: 0, z: bot.z });
  room.send("join_voice_zone", { zoneId: values.zone });
  bots.push(bot);
}

// Join in waves so the server is not hit by every handshake at once.
for (let i = 0; i < count; i += 25) {
  await Promise.all(
    Array.from({ length: Math.min(25, count - i) }, (_, k) => spawnBot(i + k).catch(() => fail("join"))),
  );
}

console.log("LOAD-READY");
const walk = setInterval(() => {
  for (const b of bots) {
    b.heading += (Math.random() - 0.5) * 0.6;
    b.x = Math.min(side, Math.max(0, b.x + Math.cos(b.heading) * 0.14));
    b.z = Math.min(side, Math.max(0, b.z + Math.sin(b.heading) * 0.14));
    b.room.send("position", { x: b.x, y: 0, z: b.z });
  }
}, 100);
let seq = 0;
const chat = setInterval(
  () => {
    if (chatRate <= 0) return;
    // Round robin: each bot chats at rate / bots, well under its own limit (5 per 5 s).
    const b = bots[seq % bots.length];
    if (!b) return;
    const id = `${process.pid}-${seq++}`;
    sentAt.set(id, performance.now());
    b.room.send("chat", { content: `load ${id}`, clientMessageId: id });
  },
  chatRate > 0 ? 1000 / chatRate : 1000,
);

await new Promise((r) => setTimeout(r, 3_000)); // warm-up: views, links and patches settle
// The bots' own event-loop delay is part of every latency they measure: report it.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
measuring = true;
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const elapsedS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(walk);
clearInterval(chat);
const pct = (list: number[], q: number) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? +s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1) : null;
};
const result = {
  bots: count,
  connected: bots.filter((b) => b.room.connection.isOpen).length,
  errors,
  errorKinds,
  signalingRaces,
  botsCpuCores: +((cpu.user + cpu.system) / 1e6 / elapsedS).toFixed(2),
  ackP50Ms: pct(ackMs, 0.5),
  ackP99Ms: pct(ackMs, 0.99),
  deliveryP50Ms: pct(deliveryMs, 0.5),
  deliveryP99Ms: pct(deliveryMs, 0.99),
  chats: ackMs.length,
  botsLoopDelayP50Ms: +(loopDelay.percentile(50) / 1e6).toFixed(1),
  botsLoopDelayP99Ms: +(loopDelay.percentile(99) / 1e6).toFixed(1),
  bytesPerBotPerSec: Math.round(bots.reduce((a, b) => a + b.bytes, 0) / bots.length / elapsedS),
};
for (const b of bots) await b.room.leave().catch(() => undefined);
console.log(`LOAD-RESULT ${JSON.stringify(result)}`);
process.exit(0);
