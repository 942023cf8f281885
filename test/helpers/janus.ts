// A real Janus for tests and benchmarks: Debian's `janus` on loopback, with a generated
// configuration in a temp folder (only the VideoRoom plugin and the WebSocket transport).
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { freePort, stop } from "./process.js";

const LIB = "/usr/lib/x86_64-linux-gnu/janus";

/** True when Debian's janus is installed here. */
export function janusInstalled(): boolean {
  // `janus --version` prints its version and exits with 1.
  return spawnSync("janus", ["--version"], { stdio: "ignore" }).error === undefined;
}

/** A Janus process on loopback; `restart()` kills it and starts it again on the same port. */
export interface JanusProcess {
  url: string;
  port: number;
  pid(): number | undefined;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function configure(dir: string, port: number): void {
  for (const [folder, file] of [
    ["plugins", "libjanus_videoroom.so"],
    ["transports", "libjanus_websockets.so"],
  ] as const) {
    mkdirSync(join(dir, folder));
    symlinkSync(join(LIB, folder, file), join(dir, folder, file));
  }
  mkdirSync(join(dir, "none"));
  writeFileSync(
    join(dir, "janus.jcfg"),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/none"
  loggers_folder = "${dir}/none"
  debug_level = 4
  session_timeout = 60
}
media: {
  rtp_port_range = "20000-40000"
}
nat: {
  nice_debug = false
  ice_ignore_list = "vmnet"
}
`,
  );
  writeFileSync(
    join(dir, "janus.transport.websockets.jcfg"),
    `general: {
  json = "plain"
  ws = true
  ws_port = ${port}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
}
`,
  );
  writeFileSync(join(dir, "janus.plugin.videoroom.jcfg"), "general: {\n}\n");
}

/** Starts Janus on loopback (a free port unless given) and resolves once its WebSocket transport listens. */
export async function startJanus(wantedPort?: number): Promise<JanusProcess> {
  const dir = mkdtempSync(join(tmpdir(), "earshot-janus-"));
  const port = wantedPort ?? (await freePort());
  configure(dir, port);
  let proc: ChildProcess | undefined;
  let out = "";
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const p = spawn("janus", ["-F", dir, "-o"], { stdio: ["ignore", "pipe", "pipe"] });
      proc = p;
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.length > 200_000) out = out.slice(-100_000);
        if (/Websockets server started \(port \d+\)/i.test(out)) {
          out = "";
          resolve();
        }
      };
      p.stdout.on("data", onData);
      p.stderr.on("data", onData);
      p.once("exit", (code) => reject(new Error(`janus exited (${code}) before listening:\n${out}`)));
    });
  await launch();
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    pid: () => proc?.pid,
    kill: async (signal = "SIGKILL") => {
      if (proc) await stop(proc, signal);
    },
    restart: async () => {
      if (proc) await stop(proc, "SIGKILL");
      await launch();
    },
    stop: async () => {
      if (proc) await stop(proc, "SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `describe` that runs when Debian's `janus` is installed. Without it the block is skipped
 * with a visible line, except under CI=true, where a missing Janus is a failure.
 */
export function describeWithJanus(name: string, body: () => void): void {
  if (janusInstalled()) return void describe(name, body);
  const why = "janus is not installed (apt-get install janus)";
  if (process.env.CI === "true") throw new Error(`${why}, and CI=true requires it`);
  console.warn(`\n  SKIPPED "${name}": ${why} (set CI=true to make this a failure)\n`);
  describe.skip(`${name} [skipped: ${why}]`, body);
}

/** A process of listen-only bots (test/helpers/stageListeners.ts), asked over IPC. */
export interface ListenerProcess {
  pid: number;
  sessionIds: string[];
  ask<T>(ask: { cmd: string; [k: string]: unknown }): Promise<T>;
  close(): Promise<void>;
}

/** Starts listen-only bots at `positions` ([x, z]) in a child process; resolves once all joined voice. */
export function spawnListeners(url: string, zone: string, positions: [number, number][]): Promise<ListenerProcess> {
  const proc = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", "test/helpers/stageListeners.ts", url, zone, JSON.stringify(positions)],
    { stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  return new Promise((resolve, reject) => {
    proc.once("exit", (code) => {
      reject(new Error(`listener process exited (${code})`));
      for (const w of waiting.values()) w.reject(new Error(`listener process exited (${code})`));
    });
    proc.on("message", (m: { ready?: string[]; id?: number; value?: unknown; error?: string }) => {
      if (m.ready)
        return resolve({
          pid: proc.pid!,
          sessionIds: m.ready,
          ask: <T>(ask: object) =>
            new Promise<T>((res, rej) => {
              const id = next++;
              waiting.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              proc.send({ id, ask });
            }),
          close: async () => {
            if (proc.exitCode !== null) return;
            const exited = new Promise((r) => proc.once("exit", r));
            proc.send({ id: next++, ask: { cmd: "close" } });
            await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
            await stop(proc, "SIGKILL");
          },
        });
      const w = waiting.get(m.id!);
      waiting.delete(m.id!);
      if (m.error) w?.reject(new Error(m.error));
      else w?.resolve(m.value);
    });
  });
}
