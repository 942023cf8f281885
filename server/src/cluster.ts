/**
 * `npm run start:cluster -- --processes N [--port 2567]`: N Earshot processes on consecutive
 * ports sharing Redis (REDIS_URL, default redis://127.0.0.1:6379) and PostgreSQL (DATABASE_URL,
 * required: chat history must be shared). Put a load balancer in front of the ports; each
 * process tells clients its own PUBLIC_HOST:port for the WebSocket.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    processes: { type: "string", default: "2" },
    port: { type: "string", default: process.env.PORT ?? "2567" },
  },
});
const count = Number(values.processes);
const base = Number(values.port);
if (!process.env.DATABASE_URL) {
  console.error("start:cluster needs DATABASE_URL (postgres://…): every process must share chat history.");
  process.exit(1);
}
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const children: ChildProcess[] = [];
for (let i = 0; i < count; i++) {
  const port = base + i;
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", "tsx", new URL("./main.ts", import.meta.url).pathname],
    {
      stdio: "inherit",
      env: {
        // Closed rooms' memory goes back to the system (README, "Security").
        MALLOC_MMAP_THRESHOLD_: "65536",
        ...process.env,
        PORT: String(port),
        REDIS_URL: redisUrl,
        PUBLIC_ADDRESS: `${process.env.PUBLIC_HOST ?? "localhost"}:${port}`,
      },
    },
  );
  child.on("exit", (code) => console.log(`[cluster] process on port ${port} exited (${code})`));
  children.push(child);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    for (const c of children) c.kill(signal);
    process.exit(0);
  });
}
