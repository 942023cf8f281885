// Run as a child process by teardown.test.ts: two bots talk, then close everything. The
// process must then exit by itself; a leaked socket, timer or peer connection keeps it alive.
import { loadConfig, startEarshot } from "@earshot/server";
import { Bot, eventually } from "./bot.js";

const config = loadConfig({ EARSHOT_DB: ":memory:", ADMIN_PASSWORD: "x" });
config.port = 0;
config.host = "127.0.0.1";
config.zone.iceServers = [];
const server = await startEarshot(config, { log: () => {} });
const url = `http://127.0.0.1:${server.port}`;
const a = new Bot(url, "A", 440);
const b = new Bot(url, "B", 880);
await a.enter("teardown", 0);
await b.enter("teardown", 2);
await eventually(() => (a.listeners.get(b.client.sessionId!)?.magnitude(880) ?? 0) > 0.05, 15_000, "audio");
await a.close();
await b.close();
await a.close(); // safe twice
await server.close();
await new Promise((r) => setTimeout(r, 100)); // let closed sockets finish closing
// Sockets, servers and peer transports that would still be open. (Libraries' own timers, such
// as simple-peer's ICE timer, end by themselves; the exit below proves nothing holds the loop.)
const left = process.getActiveResourcesInfo().filter((r) => /TCP|UDP|Pipe(Server|Connect)/.test(r));
console.log(`TEARDOWN-DONE ${JSON.stringify(left)}`);
