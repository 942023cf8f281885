// `npm start`: builds the demo world when it is missing or older than its sources, then runs
// the server (which serves the demo at /) with the embedded SQLite store.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { demoServerEnv } from "./demo-env.mjs";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "demo/dist");

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = ["demo/src", "demo/index.html", "packages/client/src", "packages/babylon/src", "packages/protocol/src"]
  .map((p) => join(root, p))
  .filter(existsSync);
const built = existsSync(join(dist, "index.html")) ? statSync(join(dist, "index.html")).mtimeMs : 0;
if (
  existsSync(join(root, "demo/index.html")) &&
  sources.some((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs) > built)
) {
  console.log("Building the demo world…");
  const r = spawnSync("npm", ["run", "build", "-w", "demo"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const server = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "server/src/main.ts"], {
  cwd: root,
  stdio: "inherit",
  env: { ...demoServerEnv(), EARSHOT_STATIC_DIR: process.env.EARSHOT_STATIC_DIR ?? dist },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 0));
