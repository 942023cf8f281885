import type { Body } from "@earshot/server";

/** Mutable bodies random-walking in a square, for benchmarks. */
export interface Walker extends Body {
  x: number;
  y: number;
  z: number;
  heading: number;
}

/** A deterministic PRNG (Park–Miller), so runs are comparable. */
export function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** N people spread over a `sideM` square, all in voice. */
export function makeWorld(n: number, sideM: number, seed = 1): { ids: string[]; walkers: Walker[]; step: () => void } {
  const rand = prng(seed);
  const walkers: Walker[] = Array.from({ length: n }, () => ({
    x: rand() * sideM,
    y: 0,
    z: rand() * sideM,
    heading: rand() * 2 * Math.PI,
    inVoice: true,
    micMuted: false,
  }));
  const ids = walkers.map((_, i) => `u${String(i).padStart(6, "0")}`);
  // 1.4 m/s walking speed at 10 Hz, turning a little each step, bouncing off the edges.
  const step = () => {
    for (const w of walkers) {
      w.heading += (rand() - 0.5) * 0.6;
      w.x += Math.cos(w.heading) * 0.14;
      w.z += Math.sin(w.heading) * 0.14;
      if (w.x < 0 || w.x > sideM) w.heading = Math.PI - w.heading;
      if (w.z < 0 || w.z > sideM) w.heading = -w.heading;
      w.x = Math.min(sideM, Math.max(0, w.x));
      w.z = Math.min(sideM, Math.max(0, w.z));
    }
  };
  return { ids, walkers, step };
}

/** Median and 99th percentile of a sample. */
export function stats(samples: number[]): { median: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p99: at(0.99) };
}
