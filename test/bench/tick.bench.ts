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

function timeTicks(engine: ProximityEngine, world: ReturnType<typeof makeWorld>, ticks: number): number[] {
  const entries = world.ids.map((id, i) => [id, world.walkers[i]!] as [string, Body]);
  engine.tick(entries); // warm-up: forms the initial links and views
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
  const grid = stats(timeTicks(new ProximityEngine(), makeWorld(s.n, s.side), s.n >= 20_000 ? 40 : 60));
  // All-pairs is O(N²): fewer ticks at large N keep the run short; its median is still stable.
  const naiveTicks = s.n >= 20_000 ? 3 : s.n >= 5_000 ? 5 : 20;
  const naive = stats(timeTicks(new ProximityEngine({}, new BruteForceIndex()), makeWorld(s.n, s.side), naiveTicks));
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
