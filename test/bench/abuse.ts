/**
 * `npm run bench:abuse`: an honest user's chat acknowledgements (p50 / p99) while one client
 * floods `reconnect` (200 a second) and while an attacker opens zones and connections, against
 * the same user alone, in one run. `--json` prints one object.
 */
import { Client } from "@colyseus/sdk";
import { DEFAULT_CAPS_BEHIND_PROXY, bootServer, joinVia } from "../helpers/server.js";
import type { Joined } from "../helpers/server.js";

const json = process.argv.includes("--json");
const say = (line: string) => !json && console.log(line);
const SECONDS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = await bootServer(
  {},
  {
    env: DEFAULT_CAPS_BEHIND_PROXY,
  },
);
const long = "x".repeat(480);
for (let i = 1; i <= 1_940; i++)
  await server.store.append("lobby", { from: "u", name: "U", content: `${i} ${long}`, timestamp: i });
const from = (n: number) => new Client(server.url, { headers: { "x-forwarded-for": `203.0.113.${n}` } });

/** Chats once a second (the chat limit allows five per five seconds) and times each ack. */
async function honestAcks(honest: Joined, seconds: number): Promise<number[]> {
  const acks: number[] = [];
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const ref = `b${Date.now()}-${i}`;
    const t0 = performance.now();
    honest.room.send("chat", { content: `still here ${i}`, clientMessageId: ref });
    await honest.inbox.next("message_ack", (a) => a.clientMessageId === ref);
    acks.push(performance.now() - t0);
    await sleep(1_000);
  }
  return acks;
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const summary = (xs: number[]) => ({ n: xs.length, p50: +pct(xs, 0.5).toFixed(1), p99: +pct(xs, 0.99).toFixed(1) });

const honest = await joinVia(from(2), "lobby", "Honest");
const alone = summary(await honestAcks(honest, SECONDS));

// A client sending 200 reconnect requests a second.
const spammer = await joinVia(from(3), "lobby", "Spammer");
let stop = false;
const spam = (async () => {
  while (!stop) {
    for (let i = 0; i < 10; i++) spammer.room.send("reconnect", { lastMessageId: "msg_0" });
    await sleep(50);
  }
})();
const underSpam = summary(await honestAcks(honest, SECONDS));
stop = true;
await spam;
const limited = spammer.inbox.of("error").filter((e) => e.code === "rate_limited").length;
const answered = spammer.inbox.of("reconnected").length;

// An attacker from 10 addresses opening zones and connections as fast as it is let.
stop = false;
let refused = 0;
const flood = (async () => {
  for (let i = 0; !stop; i++) {
    const c = from(10 + (i % 10));
    await Promise.all([
      c.http
        .post("/matchmake/joinOrCreate/zone", {
          headers: { "content-type": "application/json", accept: "application/json" },
          body: { zoneId: `z${i}`, userInfo: { name: "Z" }, protocolVersion: 1 },
        })
        .catch(() => refused++),
      joinVia(c, "lobby", `F${i}`).catch(() => refused++),
    ]);
  }
})();
const underFlood = summary(await honestAcks(honest, SECONDS));
stop = true;
await flood;

const result = {
  alone,
  underReconnectSpam: underSpam,
  underZoneAndConnectionFlood: underFlood,
  spam: { answered, limited },
  floodRefusals: refused,
};
if (json) console.log(JSON.stringify(result));
say(`honest chat ack latency over ${SECONDS} s each (ms):`);
say(`  alone:                         p50 ${alone.p50}  p99 ${alone.p99}  (${alone.n} chats)`);
say(
  `  beside 200 reconnects/s:       p50 ${underSpam.p50}  p99 ${underSpam.p99}  (${answered} answered, ${limited} rate_limited)`,
);
say(`  beside a zone+connection flood: p50 ${underFlood.p50}  p99 ${underFlood.p99}  (${refused} refusals)`);
say(
  `  p99 ratio to alone: ${(underSpam.p99 / alone.p99).toFixed(2)}× and ${(underFlood.p99 / alone.p99).toFixed(2)}× (target: p99 < 100 ms)`,
);
await server.close();
process.exit(0);
