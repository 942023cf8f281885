/**
 * `npm run bench`: the proximity tick against an all-pairs version of the same outputs, and
 * one client's download with and without interest management. `--json` prints one object.
 */
import { BruteForceIndex, ProximityEngine } from "@earshot/server";
import type { Body } from "@earshot/server";
import { makeWorld, stats } from "./world.js";
import { measureBandwidth } from "./bandwidth.js";

const json = process.argv.includes("--json");
const say = (line: string) => {
  if (!json) console.log(line);
};

function timeTicks(
  engine: ProximityEngine,
  world: ReturnType<typeof makeWorld>,
  warmup: number,
  ticks: number,
): number[] {
  const entries = world.ids.map((id, i) => [id, world.walkers[i]!] as [string, Body]);
  // Warm-up: everyone joins in the first tick, then walks until each user has searched again.
  for (let t = 0; t < warmup; t++) {
    world.step();
    engine.tick(entries);
  }
  const samples: number[] = [];
  for (let t = 0; t < ticks; t++) {
    world.step();
    const started = performance.now();
    engine.tick(entries);
    samples.push(performance.now() - started);
  }
  return samples;
}

const scenarios = [
  { scenario: "density", n: 1_000, side: Math.sqrt(1_000 * 100) },
  { scenario: "density", n: 5_000, side: Math.sqrt(5_000 * 100) },
  { scenario: "density", n: 20_000, side: Math.sqrt(20_000 * 100) },
  { scenario: "crowd", n: 5_000, side: 200 },
] as const;

const tick = [];
say("tick (ms)              grid median    p99 | all-pairs median    p99 | ratio");
for (const s of scenarios) {
  const engine = new ProximityEngine();
  const grid = stats(timeTicks(engine, makeWorld(s.n, s.side), engine.options.rescanTicks, 100));
  // All-pairs: every user's neighbours from a scan of all N, every tick (same outputs). O(N²):
  // fewer ticks at large N keep the run short; its median is still stable.
  const naiveTicks = s.n >= 20_000 ? 3 : s.n >= 5_000 ? 5 : 20;
  const naiveEngine = new ProximityEngine({ refreshTicks: 1, rescanTicks: 1 }, new BruteForceIndex());
  const naive = stats(timeTicks(naiveEngine, makeWorld(s.n, s.side), 1, naiveTicks));
  const row = {
    scenario: s.scenario,
    n: s.n,
    medianMs: +grid.median.toFixed(3),
    p99Ms: +grid.p99.toFixed(3),
    naiveMedianMs: +naive.median.toFixed(3),
    ratio: +(naive.median / grid.median).toFixed(1),
  };
  tick.push(row);
  say(
    `${s.scenario.padEnd(8)} N=${String(s.n).padEnd(6)} ${row.medianMs.toFixed(2).padStart(9)} ${row.p99Ms.toFixed(2).padStart(6)} | ${row.naiveMedianMs.toFixed(1).padStart(16)} ${naive.p99.toFixed(1).padStart(6)} | ${row.ratio}x`,
  );
}

const bandwidth = await measureBandwidth(1_000, say);
if (json) console.log(JSON.stringify({ tick, bandwidth }));
process.exit(0);
