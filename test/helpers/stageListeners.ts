/**
 * Listen-only voice bots in their own process (each WebRTC connection holds ~21 file
 * descriptors: a few dozen per process). Started by {@link spawnListeners}; answers its
 * parent's questions over IPC: who hears a stage speaker's tone, and what each received.
 */
import { Bot } from "./voiceBot.js";

const [url, zone, spots] = process.argv.slice(2) as [string, string, string];
const positions = JSON.parse(spots) as [number, number][];
const bots: Bot[] = [];

type Ask =
  | { cmd: "hearing"; speakerId: string; freq: number }
  | { cmd: "streams"; freq: number }
  | { cmd: "received"; speakerId: string }
  | { cmd: "states" }
  | { cmd: "close" };

async function received(bot: Bot, speakerId: string): Promise<number> {
  const stats = await bot.client.stage.connectionOf(speakerId)?.getStats();
  let bytes = 0;
  stats?.forEach((r: { type: string; bytesReceived?: number }) => {
    if (r.type === "inbound-rtp") bytes += r.bytesReceived ?? 0;
  });
  return bytes;
}

async function answer(ask: Ask): Promise<unknown> {
  switch (ask.cmd) {
    case "hearing":
      return bots.map((b) => b.hearsOnStage(ask.speakerId, ask.freq));
    case "streams":
      return bots.map((b) => b.streamsWith(ask.freq));
    case "received":
      return Promise.all(bots.map((b) => received(b, ask.speakerId)));
    case "states":
      return bots.map((b) => [...b.client.stage.states.values()]);
    case "close":
      await Promise.all(bots.map((b) => b.close()));
      setTimeout(() => process.exit(0), 100);
      return true;
  }
}

process.on("message", (m: { id: number; ask: Ask }) => {
  void answer(m.ask).then(
    (value) => process.send!({ id: m.id, value }),
    (err: Error) => process.send!({ id: m.id, error: err.message }),
  );
});

for (const [i, [x, z]] of positions.entries()) {
  // A loaded machine (a benchmark's hundreds of connections) may answer a join late: try again.
  for (let attempt = 1; ; attempt++) {
    const bot = new Bot(url, `listener${process.pid}-${i}`, 0);
    try {
      await bot.enter(zone, x, z);
      bots.push(bot);
      break;
    } catch (err) {
      await bot.close().catch(() => undefined);
      if (attempt === 3) throw err;
    }
  }
}
process.send!({ ready: bots.map((b) => b.client.sessionId) });
