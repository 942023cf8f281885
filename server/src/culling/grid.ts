/**
 * A spatial hash grid over the x/z plane for k-nearest queries. Rebuilt every tick from flat
 * coordinate arrays: O(N) to build, and a query visits only the cells near the point, so the
 * whole tick costs O(N·k) instead of O(N²).
 */
export class SpatialGrid {
  private readonly cells = new Map<number, number[]>();
  private xs: ArrayLike<number> = [];
  private zs: ArrayLike<number> = [];

  /** @param cellM cell edge in metres. */
  constructor(private readonly cellM: number) {}

  /** Replaces the contents with points 0..count-1 at (xs[i], zs[i]). */
  rebuild(xs: ArrayLike<number>, zs: ArrayLike<number>, count: number): void {
    this.xs = xs;
    this.zs = zs;
    for (const bucket of this.cells.values()) bucket.length = 0;
    for (let i = 0; i < count; i++) {
      const key = this.keyOf(this.cellOf(xs[i]!), this.cellOf(zs[i]!));
      let bucket = this.cells.get(key);
      if (!bucket) this.cells.set(key, (bucket = []));
      bucket.push(i);
    }
    // Drop buckets left empty by people who moved on, so the map tracks the occupied area.
    if (this.cells.size > 2 * count + 64) {
      for (const [key, bucket] of this.cells) if (bucket.length === 0) this.cells.delete(key);
    }
  }

  /**
   * The `k` points nearest to point `self` within `radiusM` (3D distance, with `ys`), nearest
   * first, written into `outIdx` / `outDist`. Returns how many were found.
   *
   * Rings of cells are visited outwards; after ring r every unvisited point is farther than
   * r·cell, so the search stops as soon as k points lie within that bound.
   */
  nearest(
    self: number,
    ys: ArrayLike<number>,
    k: number,
    radiusM: number,
    outIdx: Int32Array,
    outDist: Float64Array,
  ): number {
    const x = this.xs[self]!;
    const y = ys[self]!;
    const z = this.zs[self]!;
    const cx = this.cellOf(x);
    const cz = this.cellOf(z);
    const r2max = radiusM * radiusM;
    const maxRing = Math.ceil(radiusM / this.cellM);
    let found = 0;
    for (let ring = 0; ring <= maxRing; ring++) {
      for (let dx = -ring; dx <= ring; dx++) {
        const edge = dx === -ring || dx === ring;
        for (let dz = -ring; dz <= ring; dz += edge ? 1 : 2 * ring) {
          const bucket = this.cells.get(this.keyOf(cx + dx, cz + dz));
          if (bucket === undefined) continue;
          for (let b = 0; b < bucket.length; b++) {
            const j = bucket[b]!;
            if (j === self) continue;
            const ex = this.xs[j]! - x;
            const ey = ys[j]! - y;
            const ez = this.zs[j]! - z;
            const d2 = ex * ex + ey * ey + ez * ez;
            if (d2 > r2max) continue;
            if (found === k && d2 >= outDist[k - 1]!) continue;
            // Insertion into the sorted top-k.
            let at = found < k ? found++ : k - 1;
            while (at > 0 && outDist[at - 1]! > d2) {
              outDist[at] = outDist[at - 1]!;
              outIdx[at] = outIdx[at - 1]!;
              at--;
            }
            outDist[at] = d2;
            outIdx[at] = j;
          }
          if (ring === 0) break;
        }
      }
      const bound = ring * this.cellM;
      if (found === k && outDist[k - 1]! <= bound * bound) break;
    }
    for (let i = 0; i < found; i++) outDist[i] = Math.sqrt(outDist[i]!);
    return found;
  }

  private cellOf(v: number): number {
    return Math.floor(v / this.cellM);
  }

  private keyOf(cx: number, cz: number): number {
    // Exact for |cell| < 2^20 (10,000 m bounds at 1 cm cells), no collisions.
    return (cx + 1_048_576) * 2_097_152 + (cz + 1_048_576);
  }
}
