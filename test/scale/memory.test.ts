import { afterAll, beforeAll, expect, test } from "vitest";
import { Client } from "@colyseus/sdk";
import { bootServer, joinVia } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  server = await bootServer({}, { env: { MAX_ZONES: "1000" } });
});
afterAll(() => server?.close());

const gc = (globalThis as { gc?: () => void }).gc;
const settledRss = async () => {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 200)); // let V8 and the allocator give pages back
  }
  return process.memoryUsage().rss;
};

test("memory is returned when rooms close: 1,000 zones opened and closed 4 times", async () => {
  const client = new Client(server.url);
  // One warm-up round first: it grows code caches and pools once (about +20 MB here); what
  // must not happen is growth with every round after it.
  const round = async (n: number) => {
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, k) => joinVia(client, `m${i + k}`, "M")),
      );
      await Promise.all(batch.map((j) => j.room.leave()));
    }
  };
  await round(1_000);
  const start = await settledRss();
  const after: number[] = [];
  for (let r = 0; r < 4; r++) {
    await round(1_000);
    after.push(await settledRss());
  }
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(`RSS: start ${mb(start)} MB, after each round ${after.map(mb).join(", ")} MB`);
  expect(after.at(-1)! / start).toBeLessThan(1.2);
  expect(after.at(-1)! / after[0]!).toBeLessThan(1.1);
}, 300_000);
