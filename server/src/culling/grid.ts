/** Finds the k nearest neighbours of a point; the engine's only spatial dependency. */
export interface NeighbourIndex {
  /** Replaces the contents with the points `points[0..count-1]`; point p is at pos[3p..3p+2] (x, y, z). */
  rebuild(pos: Float64Array, points: ArrayLike<number>, count: number): void;
  /**
   * The `k` points nearest to point `self` within `radiusM` (3D distance), nearest first,
   * written into `outIdx` / `outDist`. Returns how many were found.
   */
  nearest(self: number, k: number, radiusM: number, outIdx: Int32Array, outDist: Float64Array): number;
}

/** Inserts (j, d2) into the sorted top-k held in outIdx/outDist; returns the new count. */
function insertTopK(
  j: number,
  d2: number,
  found: number,
  k: number,
  outIdx: Int32Array,
  outDist: Float64Array,
): number {
  let at = found < k ? found++ : k - 1;
  while (at > 0 && outDist[at - 1]! > d2) {
    outDist[at] = outDist[at - 1]!;
    outIdx[at] = outIdx[at - 1]!;
    at--;
  }
  outDist[at] = d2;
  outIdx[at] = j;
  return found;
}

/**
 * A grid over the x/z plane, rebuilt every tick by counting sort into flat arrays: O(N) to
 * build, and a query visits only the cells near its point, so a tick costs O(N·k) instead of
 * O(N²). Cells are a dense array over the occupied box when that box is small next to N, else
 * an open-addressing hash of the occupied cells (people spread over a huge world).
 */
export class SpatialGrid implements NeighbourIndex {
  /** Hash mode: cell key -> cell number; typed arrays, no Map (slow here). */
  private tableKeys = new Int32Array(0);
  private tableCells = new Int32Array(0);
  private tableMask = 0;
  /** Dense mode when width > 0: cell number = (cx - minX) * depth + (cz - minZ). */
  private width = 0;
  private depth = 0;
  private minX = 0;
  private minZ = 0;
  private cellStart = new Int32Array(0);
  private cellCount = new Int32Array(0);
  private cellOfPoint = new Int32Array(0);
  private pcx = new Int32Array(0);
  private pcz = new Int32Array(0);
  /** Points sorted by cell, with their coordinates alongside for locality. */
  private items = new Int32Array(0);
  private ix = new Float64Array(0);
  private iy = new Float64Array(0);
  private iz = new Float64Array(0);
  private pos: Float64Array = new Float64Array(0);

  /** @param cellM cell edge in metres. */
  constructor(private readonly cellM: number) {}

  rebuild(pos: Float64Array, points: ArrayLike<number>, count: number): void {
    this.pos = pos;
    if (this.items.length < count) {
      const size = Math.max(64, count * 2);
      this.items = new Int32Array(size);
      this.cellOfPoint = new Int32Array(size);
      this.pcx = new Int32Array(size);
      this.pcz = new Int32Array(size);
      this.ix = new Float64Array(size);
      this.iy = new Float64Array(size);
      this.iz = new Float64Array(size);
    }
    let minX = Infinity;
    let maxX = -Infinity;
    let minZ = Infinity;
    let maxZ = -Infinity;
    for (let i = 0; i < count; i++) {
      const p = points[i]!;
      const cx = (this.pcx[i] = Math.floor(pos[3 * p]! / this.cellM));
      const cz = (this.pcz[i] = Math.floor(pos[3 * p + 2]! / this.cellM));
      if (cx < minX) minX = cx;
      if (cx > maxX) maxX = cx;
      if (cz < minZ) minZ = cz;
      if (cz > maxZ) maxZ = cz;
    }
    const boxCells = count ? (maxX - minX + 1) * (maxZ - minZ + 1) : 0;
    const cells = boxCells <= 4 * count + 4096 ? this.denseCells(minX, maxX, minZ, maxZ, count) : this.hashCells(count);
    const start = this.cellStart;
    const counts = this.cellCount;
    let sum = 0;
    for (let c = 0; c < cells; c++) {
      start[c] = sum;
      sum += counts[c]!;
      counts[c] = 0;
    }
    start[cells] = sum;
    for (let i = 0; i < count; i++) {
      const c = this.cellOfPoint[i]!;
      const at = start[c]! + counts[c]!++;
      const p = points[i]!;
      this.items[at] = p;
      this.ix[at] = pos[3 * p]!;
      this.iy[at] = pos[3 * p + 1]!;
      this.iz[at] = pos[3 * p + 2]!;
    }
  }

  /** Numbers every cell of the box; counts points per cell. Returns the number of cells. */
  private denseCells(minX: number, maxX: number, minZ: number, maxZ: number, count: number): number {
    this.width = maxX - minX + 1;
    this.depth = maxZ - minZ + 1;
    this.minX = minX;
    this.minZ = minZ;
    const cells = count ? this.width * this.depth : 0;
    this.ensureCells(cells);
    this.cellCount.fill(0, 0, cells);
    for (let i = 0; i < count; i++) {
      const c = (this.pcx[i]! - minX) * this.depth + (this.pcz[i]! - minZ);
      this.cellOfPoint[i] = c;
      this.cellCount[c]!++;
    }
    return cells;
  }

  /** Numbers the occupied cells through the hash; counts points per cell. Returns the number of cells. */
  private hashCells(count: number): number {
    this.width = 0;
    const tableSize = 1 << Math.max(6, Math.ceil(Math.log2(count * 2 + 1)));
    if (this.tableKeys.length !== tableSize) {
      this.tableKeys = new Int32Array(tableSize);
      this.tableCells = new Int32Array(tableSize);
      this.tableMask = tableSize - 1;
    }
    this.tableKeys.fill(-1);
    this.ensureCells(count);
    let cells = 0;
    for (let i = 0; i < count; i++) {
      const key = this.keyOf(this.pcx[i]!, this.pcz[i]!);
      let c = this.lookup(key);
      if (c < 0) {
        c = cells++;
        this.insert(key, c);
        this.cellCount[c] = 0;
      }
      this.cellOfPoint[i] = c;
      this.cellCount[c]!++;
    }
    return cells;
  }

  private ensureCells(cells: number): void {
    if (this.cellStart.length > cells) return;
    this.cellStart = new Int32Array(cells * 2 + 1);
    this.cellCount = new Int32Array(cells * 2 + 1);
  }

  /** Cell number at cell coordinates, or -1 when none is there. */
  private cellAt(cx: number, cz: number): number {
    if (this.width === 0) return this.lookup(this.keyOf(cx, cz));
    const dx = cx - this.minX;
    const dz = cz - this.minZ;
    return dx < 0 || dz < 0 || dx >= this.width || dz >= this.depth ? -1 : dx * this.depth + dz;
  }

  nearest(self: number, k: number, radiusM: number, outIdx: Int32Array, outDist: Float64Array): number {
    const x = this.pos[3 * self]!;
    const y = this.pos[3 * self + 1]!;
    const z = this.pos[3 * self + 2]!;
    const cell = this.cellM;
    const cx = Math.floor(x / cell);
    const cz = Math.floor(z / cell);
    const r2max = radiusM * radiusM;
    const maxRing = Math.ceil(radiusM / cell);
    const { cellStart, cellCount, items, ix, iy, iz } = this;
    let found = 0;
    // Rings of cells outwards; after ring r every unvisited point is farther than r·cell.
    for (let ring = 0; ring <= maxRing; ring++) {
      for (let dx = -ring; dx <= ring; dx++) {
        const step = dx === -ring || dx === ring ? 1 : 2 * ring;
        for (let dz = -ring; dz <= ring; dz += step) {
          const c = this.cellAt(cx + dx, cz + dz);
          if (c >= 0) {
            const end = cellStart[c]! + cellCount[c]!;
            for (let at = cellStart[c]!; at < end; at++) {
              const ex = ix[at]! - x;
              const ey = iy[at]! - y;
              const ez = iz[at]! - z;
              const d2 = ex * ex + ey * ey + ez * ez;
              if (d2 > r2max || (found === k && d2 >= outDist[k - 1]!)) continue;
              const j = items[at]!;
              if (j !== self) found = insertTopK(j, d2, found, k, outIdx, outDist);
            }
          }
        }
      }
      const bound = ring * cell;
      if (found === k && outDist[k - 1]! <= bound * bound) break;
    }
    for (let i = 0; i < found; i++) outDist[i] = Math.sqrt(outDist[i]!);
    return found;
  }

  private slotOf(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> 0;
  }

  /** Cell number of a key, or -1. */
  private lookup(key: number): number {
    const keys = this.tableKeys;
    for (let at = this.slotOf(key) & this.tableMask; ; at = (at + 1) & this.tableMask) {
      const k = keys[at]!;
      if (k === key) return this.tableCells[at]!;
      if (k === -1) return -1;
    }
  }

  private insert(key: number, cell: number): void {
    const keys = this.tableKeys;
    let at = this.slotOf(key) & this.tableMask;
    while (keys[at] !== -1) at = (at + 1) & this.tableMask;
    keys[at] = key;
    this.tableCells[at] = cell;
  }

  private keyOf(cx: number, cz: number): number {
    // 15 bits an axis keeps keys small non-negative integers. Cells 32,768 apart share a
    // key; the distance check drops such far points, so this only costs a little time.
    return ((cx & 0x7fff) << 15) | (cz & 0x7fff);
  }
}

/**
 * All-pairs neighbour search: O(N) per query, O(N²) per tick. The reference the grid is
 * tested and benchmarked against.
 */
export class BruteForceIndex implements NeighbourIndex {
  private pos: Float64Array = new Float64Array(0);
  private points: ArrayLike<number> = [];
  private count = 0;

  rebuild(pos: Float64Array, points: ArrayLike<number>, count: number): void {
    this.pos = pos;
    this.points = points;
    this.count = count;
  }

  nearest(self: number, k: number, radiusM: number, outIdx: Int32Array, outDist: Float64Array): number {
    const r2max = radiusM * radiusM;
    let found = 0;
    for (let i = 0; i < this.count; i++) {
      const j = this.points[i]!;
      if (j === self) continue;
      const d2 = this.d2(self, j);
      if (d2 > r2max || (found === k && d2 >= outDist[k - 1]!)) continue;
      found = insertTopK(j, d2, found, k, outIdx, outDist);
    }
    for (let i = 0; i < found; i++) outDist[i] = Math.sqrt(outDist[i]!);
    return found;
  }

  private d2(a: number, b: number): number {
    const p = this.pos;
    const ex = p[3 * a]! - p[3 * b]!;
    const ey = p[3 * a + 1]! - p[3 * b + 1]!;
    const ez = p[3 * a + 2]! - p[3 * b + 2]!;
    return ex * ex + ey * ey + ez * ez;
  }
}
