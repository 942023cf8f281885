/**
 * `npm run bench:load -- --bots N --seconds S [--json]`: one Earshot server process (embedded
 * SQLite) and N real SDK bots in another process, on this machine. Prints connected bots,
 * server CPU and memory, chat ack and delivery latency, bytes per bot per second and errors.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { freePort, spawnServer, stop } from "../helpers/process.js";
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

/** utime + stime of a process in seconds, and its resident memory in MB. */
function usage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssPages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
  return { cpuS: ticks / 100, rssMb: (rssPages * 4096) / 1048576 };
}

const port = await freePort();
const server = await spawnServer({ PORT: String(port), EARSHOT_DB: tempDb(), MAX_CLIENTS: "2000" });
const pid = server.proc.pid!;
log(`server on :${port} (pid ${pid}); starting ${values.bots} bots for ${values.seconds} s…`);
const bots = spawn(
  process.execPath,
  [
    "--conditions=source",
    "--import",
    "tsx",
    "test/bench/load-bots.ts",
    "--url",
    server.url,
    "--bots",
    values.bots,
    "--seconds",
    values.seconds,
    "--chat-rate",
    values["chat-rate"],
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let out = "";
bots.stdout.on("data", (d: Buffer) => (out += d.toString()));
// Server CPU over the bots' measuring window: sample when they start measuring (after joins
// and warm-up), approximated by sampling every second and keeping the last `seconds` of it.
const samples: { t: number; cpuS: number; rssMb: number }[] = [];
const sampler = setInterval(() => samples.push({ t: performance.now(), ...usage(pid) }), 1000);
await new Promise((r) => bots.once("exit", r));
clearInterval(sampler);
const line = out.split("\n").find((l) => l.startsWith("LOAD-RESULT "));
if (!line) throw new Error(`bots printed no result:\n${out}`);
const result = JSON.parse(line.slice("LOAD-RESULT ".length)) as Record<string, unknown>;
const window = samples.slice(-Number(values.seconds) - 1);
const first = window[0]!;
const last = window.at(-1)!;
const serverCpuCores = +((last.cpuS - first.cpuS) / ((last.t - first.t) / 1000)).toFixed(2);
const serverRssMb = Math.round(Math.max(...window.map((s) => s.rssMb)));
await stop(server.proc);
const summary = { ...result, serverCpuCores, serverRssMb } as Record<string, unknown>;
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`bots connected      ${summary.connected as number} / ${summary.bots as number}`);
  console.log(`errors              ${summary.errors as number} ${JSON.stringify(summary.errorKinds)}`);
  console.log(`server              ${serverCpuCores} cores, ${serverRssMb} MB RSS`);
  console.log(
    `bots process        ${summary.botsCpuCores as number} cores, event-loop delay p50 ${summary.botsLoopDelayP50Ms as number} ms, p99 ${summary.botsLoopDelayP99Ms as number} ms`,
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
