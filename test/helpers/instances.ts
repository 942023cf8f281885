import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { freePort, stop } from "./process.js";

/**
 * Private PostgreSQL, Redis and a small disk that tests may stop, restart and fill without
 * touching the machine's shared services (other test files use those at the same time).
 */

/** `describe` when `missing` is undefined; else a visible skip, or under CI=true a failure. */
export function describeIf(missing: string | undefined, name: string, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") throw new Error(`${name}: ${missing}, and CI=true requires it`);
  console.warn(`\n  SKIPPED "${name}": ${missing} (set CI=true to make this a failure)\n`);
  describe.skip(`${name} [skipped: ${missing}]`, body);
}

const isRoot = process.getuid?.() === 0;

function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().at(-1);
  return version && existsSync(join(root, version, "bin", "pg_ctl")) ? join(root, version, "bin") : undefined;
}

/** Why a private PostgreSQL can't run here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  if (!postgresBin()) return "PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are not installed";
  if (!isRoot) return "starting a private PostgreSQL needs root (to run it as the postgres user)";
  return undefined;
}

/** A private PostgreSQL cluster on a free port (trust auth, database `postgres`). */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), "earshot-pg-"));
    chownSync(dir, pgUid(), pgUid("g"));
    asPostgres("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
    const pg = new PrivatePostgres(dir, await freePort());
    pg.start();
    return pg;
  }

  start(): void {
    asPostgres("pg_ctl", [
      "-D",
      join(this.dir, "data"),
      "-l",
      join(this.dir, "log"),
      "-w",
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ]);
  }

  /** Stops it the way an operator's restart does: open connections get 57P01. */
  stop(): void {
    asPostgres("pg_ctl", ["-D", join(this.dir, "data"), "-m", "fast", "-w", "stop"]);
  }

  /** Stops it if it runs and deletes its files; safe twice. */
  destroy(): void {
    if (!existsSync(this.dir)) return;
    try {
      this.stop();
    } catch {
      // Already stopped.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function pgUid(kind: "u" | "g" = "u"): number {
  return Number(
    execFileSync("id", [`-${kind}`, "postgres"])
      .toString()
      .trim(),
  );
}

function asPostgres(tool: string, args: string[]): void {
  execFileSync("runuser", ["-u", "postgres", "--", join(postgresBin()!, tool), ...args], { stdio: "pipe" });
}

/** Why a private Redis can't run here, or undefined when it can. */
export function redisMissing(): string | undefined {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "pipe" });
    return undefined;
  } catch {
    return "redis-server is not installed";
  }
}

/** A private Redis (nothing kept on disk, like the machine's) on a free port. */
export class PrivateRedis {
  private proc?: ChildProcess;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async create(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  /** Starts it and resolves when it accepts connections. */
  async start(): Promise<void> {
    const proc = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      proc.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ready to accept connections")) resolve();
      });
      proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
    });
  }

  /** Kills it (SIGKILL: everything it held is gone, as after a crash). */
  async stop(): Promise<void> {
    if (this.proc) await stop(this.proc, "SIGKILL");
    this.proc = undefined;
  }
}

/** Why a small disk of our own can't be mounted here, or undefined when it can. */
export function smallDiskMissing(): string | undefined {
  if (!isRoot) return "mounting a small tmpfs needs root";
  const probe = mkdtempSync(join(tmpdir(), "earshot-mnt-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], { stdio: "pipe" });
    execFileSync("umount", [probe], { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return `mounting a tmpfs failed: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** A small tmpfs that a test can fill up, making every write to it fail (ENOSPC). */
export class SmallDisk {
  private constructor(readonly dir: string) {}

  static create(sizeMb = 8): SmallDisk {
    const dir = mkdtempSync(join(tmpdir(), "earshot-disk-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m`, "tmpfs", dir]);
    mkdirSync(join(dir, "data"));
    return new SmallDisk(dir);
  }

  /** Fills the disk: writes now fail. */
  fill(): void {
    try {
      execFileSync("dd", ["if=/dev/zero", `of=${join(this.dir, "filler")}`, "bs=64k"], { stdio: "pipe" });
    } catch {
      // dd stops with "No space left on device": that is the point.
    }
  }

  /** Frees the disk again. */
  free(): void {
    rmSync(join(this.dir, "filler"), { force: true });
  }

  /** Unmounts and deletes it; safe twice. */
  destroy(): void {
    if (!existsSync(this.dir)) return;
    try {
      execFileSync("umount", ["-l", this.dir], { stdio: "pipe" });
    } catch {
      // Not mounted.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
