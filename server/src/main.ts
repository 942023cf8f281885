import { startEarshot } from "./app.js";
import { loadConfig } from "./config.js";

// `npm start`: the server with the demo world, configured from the environment.
const server = await startEarshot(loadConfig());
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
