import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { Bot, eventually } from "../helpers/bot.js";
import { bootServer } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
const bots: Bot[] = [];
const bot = (name: string, freq: number) => {
  const b = new Bot(server.url, name, freq);
  bots.push(b);
  return b;
};
beforeAll(async () => {
  server = await bootServer({ tickMs: 50 });
});
afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await server?.close();
});

test("two bots 5 m apart hear each other's tone", async () => {
  const alice = bot("Alice", 440);
  const bob = bot("Bob", 1000);
  await alice.enter("voice", 0);
  await bob.enter("voice", 5);
  const heard = (b: Bot, other: Bot, freq: number, wrong: number) => {
    const l = b.listeners.get(other.client.sessionId!);
    return !!l && l.rms() > 0.02 && l.magnitude(freq) > 0.05 && l.magnitude(freq) > 5 * l.magnitude(wrong);
  };
  await eventually(() => heard(alice, bob, 1000, 440), 15_000, "Alice to hear Bob's 1 kHz");
  await eventually(() => heard(bob, alice, 440, 1000), 15_000, "Bob to hear Alice's 440 Hz");
});
