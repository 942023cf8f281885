/** Flat per-handle lists: `width` slots per handle in one typed array, plus a count. */
export class Lists {
  items: Int32Array;
  count: Int32Array;
  constructor(
    readonly width: number,
    cap: number,
  ) {
    this.items = new Int32Array(cap * width);
    this.count = new Int32Array(cap);
  }
  grow(cap: number): void {
    const items = new Int32Array(cap * this.width);
    items.set(this.items);
    const count = new Int32Array(cap);
    count.set(this.count);
    this.items = items;
    this.count = count;
  }
  has(h: number, v: number): boolean {
    const base = h * this.width;
    const end = base + this.count[h]!;
    for (let i = base; i < end; i++) if (this.items[i] === v) return true;
    return false;
  }
  push(h: number, v: number): boolean {
    const n = this.count[h]!;
    if (n >= this.width) return false;
    this.items[h * this.width + n] = v;
    this.count[h] = n + 1;
    return true;
  }
  /** Removes v (order is not kept: the last item takes its place). */
  remove(h: number, v: number): boolean {
    const base = h * this.width;
    const n = this.count[h]!;
    for (let i = 0; i < n; i++) {
      if (this.items[base + i] === v) {
        this.items[base + i] = this.items[base + n - 1]!;
        this.count[h] = n - 1;
        return true;
      }
    }
    return false;
  }
  /** Replaces h's list with `from[start..start+n-1]`. (A loop: `subarray` allocates, and costs more for ~40 items.) */
  assign(h: number, from: Int32Array, n: number, start = 0): void {
    const base = h * this.width;
    for (let k = 0; k < n; k++) this.items[base + k] = from[start + k]!;
    this.count[h] = n;
  }
  toArray(h: number): number[] {
    return Array.from(this.items.subarray(h * this.width, h * this.width + this.count[h]!));
  }
}

/**
 * Candidate pairs in flat typed arrays, sorted by distance with a bucket sort: O(M) for M
 * pairs (a join wave can bring hundreds of thousands), ties broken by handles.
 */
export class Candidates {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  d = new Float64Array(1024);
  length = 0;
  private order = new Int32Array(1024);
  private counts = new Int32Array(0);

  push(a: number, b: number, d: number): void {
    if (this.length === this.a.length) this.grow();
    const i = this.length++;
    this.a[i] = a;
    this.b[i] = b;
    this.d[i] = d;
  }

  /** Indices ordered by distance (all at most `maxD`); equal distances by handles. */
  sorted(maxD: number): Int32Array {
    const n = this.length;
    const buckets = Math.max(64, n);
    const scale = buckets / (maxD * 1.0001);
    if (this.counts.length < buckets + 1) this.counts = new Int32Array(buckets + 1);
    const counts = this.counts;
    counts.fill(0, 0, buckets + 1);
    const d = this.d;
    // (No closure for the bucket: a new one each call would throw away the optimised code.)
    for (let i = 0; i < n; i++) counts[Math.min(buckets - 1, Math.floor(d[i]! * scale)) + 1]!++;
    for (let k = 1; k <= buckets; k++) counts[k]! += counts[k - 1]!;
    const order = this.order;
    for (let i = 0; i < n; i++) order[counts[Math.min(buckets - 1, Math.floor(d[i]! * scale))]!++] = i;
    // Buckets hold about one pair each; insertion sort settles the few that share one.
    for (let k = 1; k < n; k++) {
      const v = order[k]!;
      let j = k - 1;
      while (j >= 0 && this.before(v, order[j]!)) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = v;
    }
    return order.subarray(0, n);
  }

  private before(p: number, q: number): boolean {
    const d = this.d;
    if (d[p]! !== d[q]!) return d[p]! < d[q]!;
    const pa = Math.min(this.a[p]!, this.b[p]!);
    const qa = Math.min(this.a[q]!, this.b[q]!);
    return pa !== qa ? pa < qa : Math.max(this.a[p]!, this.b[p]!) < Math.max(this.a[q]!, this.b[q]!);
  }

  private grow(): void {
    const size = this.a.length * 2;
    const a = new Int32Array(size);
    const b = new Int32Array(size);
    const d = new Float64Array(size);
    a.set(this.a);
    b.set(this.b);
    d.set(this.d);
    this.a = a;
    this.b = b;
    this.d = d;
    this.order = new Int32Array(size);
  }
}
