import { mkdirSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";
import type { Browser } from "playwright-core";
import { bootServer } from "./server.js";
import { buildApp, launch, toneWav } from "./browser.js";

/** Where the demo tests save their screenshots. */
export const SHOTS = "test-results";

/**
 * For a test file of the demo world: before the file, builds the demo, boots a server serving it
 * (50 ms tick) and a Chromium whose microphone plays a `freq` Hz tone; after it, closes both.
 * Read `server` and `browser` inside tests and later hooks.
 */
export function demoWorld(freq: number) {
  const world = {} as { server: Awaited<ReturnType<typeof bootServer>>; browser: Browser };
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = await buildApp("demo");
    world.server = await bootServer({ tickMs: 50 }, { env: { EARSHOT_STATIC_DIR: dir } });
    world.browser = await launch(toneWav(freq));
  }, 180_000);
  afterAll(async () => {
    await world.browser?.close();
    await world.server?.close();
  });
  return world;
}
