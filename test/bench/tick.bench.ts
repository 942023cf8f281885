/**
 * `npm run bench`: the proximity tick against an all-pairs version of the same outputs, and
 * one client's download with and without interest management. `--json` prints one object.
 */
import { BruteForceIndex, ProximityEngine, ZoneModeration } from "@earshot/server";
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

// Moderation asks its gate about every candidate pair: the same crowd without a gate, with one
// where nobody is sanctioned, and with one where 1 in 100 is muted, blocks someone or keeps a
// 2 m personal space. Run one after the other, alternating, in this process.
say("moderation gate, crowd N=5000 (median ms): none | gate, nobody sanctioned | gate, 3% sanctioned");
const gateRuns = { none: [] as number[], idle: [] as number[], busy: [] as number[] };
for (let round = 0; round < 3; round++)
  for (const kind of ["none", "idle", "busy"] as const) {
    const world = makeWorld(5_000, 200);
    const engine = new ProximityEngine();
    if (kind !== "none") {
      const mod = new ZoneModeration();
      world.ids.forEach((id, i) => {
        mod.enter(id, [], {}, []);
        if (kind === "busy" && i % 100 === 1) mod.muteVoice(id, null);
        if (kind === "busy" && i % 100 === 2) mod.block(id, world.ids[(i + 7) % world.ids.length]!);
        if (kind === "busy" && i % 100 === 3) mod.setBubble(id, 2);
      });
      engine.gate = (a, b, d) => mod.mayLink(a, b, d, (sid) => sid);
    }
    gateRuns[kind].push(stats(timeTicks(engine, world, engine.options.rescanTicks, 60)).median);
  }
const gate = Object.fromEntries(
  Object.entries(gateRuns).map(([k, v]) => [k, +v.sort((a, b) => a - b)[1]!.toFixed(3)]),
) as Record<keyof typeof gateRuns, number>;
say(
  `  ${gate.none.toFixed(2)} | ${gate.idle.toFixed(2)} (${(gate.idle / gate.none).toFixed(2)}x) | ${gate.busy.toFixed(2)} (${(gate.busy / gate.none).toFixed(2)}x)`,
);

const bandwidth = await measureBandwidth(1_000, say);
if (json) console.log(JSON.stringify({ tick, gate, bandwidth }));
process.exit(0);
