/**
 * `npm run soak -- [--minutes 30] [--bots 300] [--sample-s 30]`: one Earshot server (embedded
 * SQLite) and the load bots of `npm run bench:load` (they walk at 10 Hz, chat, and hold voice
 * signaling) for a long run. Prints the server's RSS and CPU over time, the bots' errors and
 * the chat delivery p99, and fails (exit 1) when any error occurred, the server died, or its
 * RSS grew by more than 10% after the warm-up (the first 5 minutes, or a quarter of a shorter
 * run). `test/soak/soak.test.ts` runs a 2-minute version in CI.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, spawnServer, stop } from "../helpers/process.js";
import { tempDb } from "../helpers/server.js";

export interface SoakOptions {
  /** Default 30. */
  minutes?: number;
  /** Default 300. */
  bots?: number;
  /** Seconds between samples of the server's RSS and CPU. Default 30. */
  sampleS?: number;
  /** Chats per second across all bots. Default 10. */
  chatRate?: number;
  /** Where progress lines go. Default console.log. */
  log?: (line: string) => void;
}

export interface SoakSample {
  atS: number;
  rssMb: number;
  /** Server CPU since the previous sample, in cores. */
  cpuCores: number;
}

export interface SoakReport {
  ok: boolean;
  /** Why it failed, empty when ok. */
  failures: string[];
  samples: SoakSample[];
  /** Median RSS of the first three samples after the warm-up. */
  baselineRssMb: number;
  /** Median RSS of the last three samples. */
  finalRssMb: number;
  growthPct: number;
  bots: BotsResult;
}

/** What `test/bench/load-bots.ts` measured (its `LOAD-RESULT` line). */
export interface BotsResult {
  connected?: number;
  errors?: number;
  errorKinds?: Record<string, number>;
  chats?: number;
  deliveryP50Ms?: number;
  deliveryP99Ms?: number;
  botsCpuCores?: number;
}

const TICKS_PER_S = 100; // Linux USER_HZ

function readProc(pid: number): { rssMb: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { rssMb: rssKb / 1024, cpuS: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S };
}

export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const minutes = options.minutes ?? 30;
  const bots = options.bots ?? 300;
  const sampleS = options.sampleS ?? 30;
  const log = options.log ?? ((line: string) => console.log(line));
  const warmupS = Math.min(300, (minutes * 60) / 4);
  const port = await freePort();
  const server = await spawnServer({
    PORT: String(port),
    EARSHOT_DB: tempDb(),
    MALLOC_MMAP_THRESHOLD_: "65536",
    MAX_CONNECTIONS_PER_IP: "100000",
    JOINS_PER_IP_PER_S: "100000",
    JOIN_BURST_PER_IP: "100000",
    ALLOW_CLIENT_SPAWN: "true",
  });
  const pid = server.proc.pid!;
  const botsScript = fileURLToPath(new URL("../bench/load-bots.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      botsScript,
      "--url",
      server.url,
      "--bots",
      String(bots),
      "--seconds",
      String(minutes * 60),
      "--chat-rate",
      String(options.chatRate ?? 10),
      "--zone",
      "soak",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const finished = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = () => (out.includes("LOAD-READY") ? resolve() : undefined);
    child.stdout.on("data", check);
    child.once("exit", () => reject(new Error(`the bots exited before they were ready:\n${out}`)));
  });
  log(`soak: ${bots} bots joined; running ${minutes} min, sampling every ${sampleS} s (warm-up ${warmupS} s)`);

  const samples: SoakSample[] = [];
  const t0 = Date.now();
  let last = readProc(pid);
  let lastAt = t0;
  const sample = () => {
    if (server.proc.exitCode !== null) return;
    const now = readProc(pid);
    const at = Date.now();
    const s = {
      atS: Math.round((at - t0) / 1000),
      rssMb: +now.rssMb.toFixed(1),
      cpuCores: +((now.cpuS - last.cpuS) / ((at - lastAt) / 1000)).toFixed(3),
    };
    samples.push(s);
    log(`soak: t=${s.atS}s server RSS ${s.rssMb} MB, CPU ${(s.cpuCores * 100).toFixed(1)}% of a core`);
    last = now;
    lastAt = at;
  };
  const timer = setInterval(sample, sampleS * 1000);
  await finished;
  clearInterval(timer);
  sample();

  const failures: string[] = [];
  const line = out.split("\n").find((l) => l.startsWith("LOAD-RESULT "));
  const result = line ? (JSON.parse(line.slice("LOAD-RESULT ".length)) as BotsResult) : {};
  if (!line) failures.push("the bots printed no result");
  if (server.proc.exitCode !== null) failures.push(`the server exited (${server.proc.exitCode})`);
  if (result.errors) failures.push(`${result.errors} errors: ${JSON.stringify(result.errorKinds)}`);
  if (result.connected !== bots) failures.push(`${String(result.connected)} of ${bots} bots still connected`);
  // RSS swings with garbage collection: compare medians of three samples, not single ones.
  const median = (list: SoakSample[]) =>
    [...list.map((s) => s.rssMb)].sort((x, y) => x - y)[Math.floor(list.length / 2)];
  const after = samples.filter((s) => s.atS >= warmupS);
  const baseline = median(after.slice(0, 3));
  const final = median(samples.slice(-3));
  const growthPct = baseline && final ? ((final - baseline) / baseline) * 100 : 0;
  if (growthPct > 10) failures.push(`RSS grew ${growthPct.toFixed(1)}% after the warm-up (limit 10%)`);
  await stop(server.proc);
  const report: SoakReport = {
    ok: failures.length === 0,
    failures,
    samples,
    baselineRssMb: baseline ?? 0,
    finalRssMb: final ?? 0,
    growthPct: +growthPct.toFixed(1),
    bots: result,
  };
  log(
    `soak: RSS ${report.baselineRssMb} MB after the warm-up -> ${report.finalRssMb} MB at the end (${report.growthPct}%), ` +
      `chat delivery p50 ${String(result.deliveryP50Ms)} ms p99 ${String(result.deliveryP99Ms)} ms over ${String(result.chats)} chats, ` +
      `errors ${String(result.errors)}, bots' CPU ${String(result.botsCpuCores)} cores`,
  );
  log(report.ok ? "soak: PASS" : `soak: FAIL: ${failures.join("; ")}`);
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string", default: "30" },
      bots: { type: "string", default: "300" },
      "sample-s": { type: "string", default: "30" },
    },
  });
  const report = await runSoak({
    minutes: Number(values.minutes),
    bots: Number(values.bots),
    sampleS: Number(values["sample-s"]),
  });
  process.exit(report.ok ? 0 : 1);
}
