/**
 * `npm run bench:stage [-- --counts 50,100,200 --seconds 10]`: one speaker on a stage, heard
 * through a real Janus by N listen-only bots (real WebRTC, 25 per process), all far from the
 * stage and from each other. For each N it reports Janus' CPU and memory, the Earshot server's
 * CPU, what each listener receives and what the speaker uploads, beside what peer-to-peer would
 * make the speaker upload (N links of one Opus stream each).
 */
import { parseArgs } from "node:util";
import { OPUS_MAX_AVERAGE_BITRATE } from "@earshot/protocol";
import { Bot, eventually } from "../helpers/voiceBot.js";
import { spawnListeners, startJanus } from "../helpers/janus.js";
import type { ListenerProcess } from "../helpers/janus.js";
import { freePort, spawnServer, stop, usage } from "../helpers/process.js";
import { tempDb } from "../helpers/server.js";

const { values } = parseArgs({
  options: {
    counts: { type: "string", default: "50,100,200" },
    seconds: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
  },
});
const counts = values.counts.split(",").map(Number);
const seconds = Number(values.seconds);
const log = (line: string) => !values.json && console.log(line);
const PER_PROCESS = 25;
const STAGE = { id: "main", area: { kind: "box", minX: -2, minZ: -2, maxX: 2, maxZ: 2 } };

const janus = await startJanus();
const server = await spawnServer({
  PORT: String(await freePort()),
  EARSHOT_DB: tempDb(),
  JANUS_URL: janus.url,
  STAGES: JSON.stringify({ bench: [STAGE] }),
  ALLOW_CLIENT_SPAWN: "true",
  MAX_CLIENTS: "1000",
  MAX_CONNECTIONS_PER_IP: "10000",
  JOINS_PER_IP_PER_S: "10000",
  JOIN_BURST_PER_IP: "10000",
});
const speaker = new Bot(server.url, "speaker", 440);
await speaker.enter("bench", 0, 0);
const sid = speaker.client.sessionId!;
await eventually(() => speaker.client.stage.onAir === "main", 20_000, "the speaker on air");
log(`Janus pid ${janus.pid()}, server pid ${server.proc.pid}; speaker ${sid} on stage`);

/** Bytes the speaker's stage link sent: its RTP stream (payload and headers), and all of it on the wire (SRTP, RTCP, ICE). */
async function speakerBytes(): Promise<{ rtp: number; wire: number }> {
  const sent = { rtp: 0, wire: 0 };
  (await speaker.client.stage.connectionOf(sid)?.getStats())?.forEach(
    (r: { type: string; bytesSent?: number; headerBytesSent?: number }) => {
      if (r.type === "outbound-rtp") sent.rtp += (r.bytesSent ?? 0) + (r.headerBytesSent ?? 0);
      if (r.type === "transport") sent.wire += r.bytesSent ?? 0;
    },
  );
  return sent;
}

const procs: ListenerProcess[] = [];
let placed = 0;
/** Listener positions on a 30 m grid, 60 m and more from the stage: out of earshot of it and of each other. */
const spot = (i: number): [number, number] => [60 + 30 * (i % 20), -300 + 30 * Math.floor(i / 20)];
const rows: Record<string, number | string>[] = [];
const ask = async <T>(q: { cmd: string; [k: string]: unknown }) =>
  (await Promise.all(procs.map((p) => p.ask<T[]>(q)))).flat();

try {
  for (const n of counts) {
    while (placed < n) {
      const batch = Array.from({ length: Math.min(PER_PROCESS, n - placed) }, (_, i) => spot(placed + i));
      procs.push(await spawnListeners(server.url, "bench", batch));
      placed += batch.length;
    }
    await eventually(
      async () => (await ask<boolean>({ cmd: "hearing", speakerId: sid, freq: 440 })).every(Boolean),
      120_000,
      `all ${n} listeners hear the speaker`,
    );
    const sample = async () => ({
      bots: procs.reduce((sum, p) => sum + usage(p.pid).cpuS, 0),
      janus: usage(janus.pid()!),
      server: usage(server.proc.pid!),
      received: await ask<number>({ cmd: "received", speakerId: sid }),
      sent: await speakerBytes(),
      at: performance.now(),
    });
    const before = await sample();
    await new Promise((r) => setTimeout(r, seconds * 1000)); // the measurement window
    const after = await sample();
    const s = (after.at - before.at) / 1000;
    const kbps = (bytes: number) => (bytes * 8) / s / 1000;
    const perListener = after.received.map((b, i) => kbps(b - before.received[i]!)).sort((a, b) => a - b);
    const hearing = (await ask<boolean>({ cmd: "hearing", speakerId: sid, freq: 440 })).filter(Boolean).length;
    rows.push({
      listeners: n,
      hearing,
      "janus CPU %": Math.round(((after.janus.cpuS - before.janus.cpuS) / s) * 100),
      "janus RSS MB": Math.round(after.janus.rssMb),
      "server CPU %": Math.round(((after.server.cpuS - before.server.cpuS) / s) * 100),
      // The listener bots decode every stream: on 2 cores they compete with Janus.
      "bots CPU %": Math.round(((after.bots - before.bots) / s) * 100),
      "listener kbps min": +perListener[0]!.toFixed(1),
      "listener kbps median": +perListener[Math.floor(perListener.length / 2)]!.toFixed(1),
      "listener kbps max": +perListener.at(-1)!.toFixed(1),
      "speaker upload kbps (RTP)": +kbps(after.sent.rtp - before.sent.rtp).toFixed(1),
      "speaker upload kbps (wire)": +kbps(after.sent.wire - before.sent.wire).toFixed(1),
      "P2P upload kbps (N x 24)": (n * OPUS_MAX_AVERAGE_BITRATE) / 1000,
    });
    log(`N=${n}: ${JSON.stringify(rows.at(-1))}`);
  }
} finally {
  await Promise.all(procs.map((p) => p.close()));
  await speaker.close();
  await stop(server.proc);
  await janus.stop();
}
if (values.json) console.log(JSON.stringify(rows));
else console.table(rows);
process.exit(0);
