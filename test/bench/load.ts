/**
 * `npm run bench:load -- --bots N --seconds S [--json]`: one Earshot server process (embedded
 * SQLite) and N real SDK bots in another process, on this machine. Prints connected bots,
 * server CPU and memory, chat ack and delivery latency, bytes per bot per second and errors.
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { freePort, spawnServer, stop, usage } from "../helpers/process.js";
import { tempDb } from "../helpers/server.js";

const { values } = parseArgs({
  options: {
    bots: { type: "string", default: "1000" },
    seconds: { type: "string", default: "60" },
    "chat-rate": { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
const log = (line: string) => !values.json && console.log(line);

const port = await freePort();
const server = await spawnServer({ PORT: String(port), EARSHOT_DB: tempDb(), MAX_CLIENTS: "2000" });
const pid = server.proc.pid!;
log(`server on :${port} (pid ${pid}); starting ${values.bots} bots for ${values.seconds} s…`);
const args = (bots: number, chatRate: number, seconds: number) => [
  "--conditions=source",
  "--import",
  "tsx",
  "test/bench/load-bots.ts",
  "--url",
  server.url,
  "--bots",
  String(bots),
  "--seconds",
  String(seconds),
  "--chat-rate",
  String(chatRate),
];
/** Runs a bots process; resolves its result, and `ready` once its bots have joined. */
function runBots(bots: number, chatRate: number, seconds: number) {
  const child = spawn(process.execPath, args(bots, chatRate, seconds), { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let onReady = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("LOAD-READY")) onReady();
  });
  const result = new Promise<Record<string, any>>((resolve, reject) =>
    child.once("exit", () => {
      const line = out.split("\n").find((l) => l.startsWith("LOAD-RESULT "));
      if (line) resolve(JSON.parse(line.slice("LOAD-RESULT ".length)) as Record<string, any>);
      else reject(new Error(`bots printed no result:\n${out}`));
    }),
  );
  return { ready, result };
}
// The load: N-40 bots walking, in voice, not chatting. The probe: 40 bots in their own, idle
// process sending the chats (each well under its 1/s chat limit), so ack and delivery times
// are the server's, not the time the busy load process takes to notice a message.
const PROBE_BOTS = 40;
const seconds = Number(values.seconds);
const load = runBots(Number(values.bots) - PROBE_BOTS, 0, seconds);
await load.ready;
const probe = runBots(PROBE_BOTS, Number(values["chat-rate"]), Math.max(5, seconds - 8));
const samples: { t: number; cpuS: number; rssMb: number }[] = [];
const sampler = setInterval(() => samples.push({ t: performance.now(), ...usage(pid) }), 1000);
const [loadResult, probeResult] = await Promise.all([load.result, probe.result]);
clearInterval(sampler);
const window = samples.slice(3, -1);
const first = window[0]!;
const last = window.at(-1)!;
const serverCpuCores = +((last.cpuS - first.cpuS) / ((last.t - first.t) / 1000)).toFixed(2);
const serverRssMb = Math.round(Math.max(...window.map((s) => s.rssMb)));
await stop(server.proc);
const result = {
  bots: loadResult.bots + probeResult.bots,
  connected: loadResult.connected + probeResult.connected,
  errors: loadResult.errors + probeResult.errors,
  errorKinds: { ...loadResult.errorKinds, ...probeResult.errorKinds },
  signalingRaces: loadResult.signalingRaces + probeResult.signalingRaces,
  botsCpuCores: +(loadResult.botsCpuCores + probeResult.botsCpuCores).toFixed(2),
  botsLoopDelayP50Ms: loadResult.botsLoopDelayP50Ms,
  botsLoopDelayP99Ms: loadResult.botsLoopDelayP99Ms,
  ackP50Ms: probeResult.ackP50Ms,
  ackP99Ms: probeResult.ackP99Ms,
  deliveryP50Ms: probeResult.deliveryP50Ms,
  deliveryP99Ms: probeResult.deliveryP99Ms,
  chats: probeResult.chats,
  bytesPerBotPerSec: loadResult.bytesPerBotPerSec,
};
const summary = { ...result, serverCpuCores, serverRssMb } as Record<string, unknown>;
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`bots connected      ${summary.connected as number} / ${summary.bots as number}`);
  console.log(`errors              ${summary.errors as number} ${JSON.stringify(summary.errorKinds)}`);
  console.log(`server              ${serverCpuCores} cores, ${serverRssMb} MB RSS`);
  console.log(
    `bots processes      ${summary.botsCpuCores as number} cores; the load process event-loop delay p50 ${summary.botsLoopDelayP50Ms as number} ms, p99 ${summary.botsLoopDelayP99Ms as number} ms`,
  );
  console.log(
    `chat ack            p50 ${summary.ackP50Ms as number} ms, p99 ${summary.ackP99Ms as number} ms (${summary.chats as number} chats)`,
  );
  console.log(
    `chat delivery       p50 ${summary.deliveryP50Ms as number} ms, p99 ${summary.deliveryP99Ms as number} ms`,
  );
  console.log(`download per bot    ${summary.bytesPerBotPerSec as number} B/s`);
}
process.exit(0);
