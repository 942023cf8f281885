import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs `server/src/main.ts` in its own process and resolves once it listens. */
export async function spawnServer(
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; url: string; output: () => string }> {
  const port = env.PORT ?? String(await freePort());
  const proc = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "server/src/main.ts"], {
    env: { ...process.env, HOST: "127.0.0.1", ADMIN_PASSWORD: "pw", ICE_SERVERS: "[]", ...env, PORT: port },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("Earshot listening")) resolve();
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
    proc.once("exit", (code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
  return { proc, url: `http://127.0.0.1:${port}`, output: () => out };
}

/** Stops a process with a signal and waits for it to exit. */
export function stop(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once("exit", () => resolve());
    proc.kill(signal);
  });
}

/** utime + stime of a process in seconds, and its resident memory in MB (from /proc). */
export function usage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssPages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
  return { cpuS: ticks / 100, rssMb: (rssPages * 4096) / 1048576 };
}
