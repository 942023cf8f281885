// `npm run dev`: the Earshot server on :2567 and Vite with hot reload for the demo on :5173.
import { spawn } from "node:child_process";
import { demoServerEnv } from "./demo-env.mjs";

const root = new URL("..", import.meta.url).pathname;
const children = [
  spawn(process.execPath, ["--conditions=source", "--import", "tsx", "--watch", "server/src/main.ts"], {
    cwd: root,
    stdio: "inherit",
    env: demoServerEnv(),
  }),
  spawn("npm", ["run", "dev", "-w", "demo"], { cwd: root, stdio: "inherit" }),
];
const stop = () => {
  for (const c of children) c.kill("SIGTERM");
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
for (const c of children) c.on("exit", stop);
