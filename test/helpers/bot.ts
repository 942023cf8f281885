import { afterAll, afterEach, beforeAll } from "vitest";
import { bootServer } from "./server.js";
import { Bot } from "./voiceBot.js";

export { Bot, Listener, eventually } from "./voiceBot.js";

/** Bots for one test file: `bot()` makes one, `closeAll()` (in afterEach) closes them. */
export function fleet(url: () => string) {
  const bots: Bot[] = [];
  return {
    bot: (name: string, freq = 440): Bot => {
      const b = new Bot(url(), name, freq);
      bots.push(b);
      return b;
    },
    closeAll: () => Promise.all(bots.splice(0).map((b) => b.close())),
  };
}

/**
 * For a test file of voice bots: boots a server (50 ms tick) before the file, closes the
 * file's bots after each test and the server after the file.
 */
export function voiceServer() {
  let server: Awaited<ReturnType<typeof bootServer>> | undefined;
  const bots = fleet(() => server!.url);
  beforeAll(async () => {
    server = await bootServer({ tickMs: 50 });
  });
  afterEach(bots.closeAll);
  afterAll(async () => {
    await server?.close();
  });
  return { bot: bots.bot };
}
