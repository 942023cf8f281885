import {
  HEAR_RADIUS_M,
  HYSTERESIS,
  MAX_PEERS,
  MAX_VISIBLE,
  REF_DISTANCE_M,
  VIEW_RADIUS_M,
  VOLUME_QUANTUM,
  volumeAt,
} from "@earshot/protocol";
import type { AudiblePeer, PeerCloseReason } from "@earshot/protocol";
import { SpatialGrid } from "./grid.js";
import type { NeighbourIndex } from "./grid.js";

/** Proximity settings; every field optional, defaults from @earshot/protocol. */
export interface ProximityOptions {
  /** New links form within this distance, metres. Default {@link HEAR_RADIUS_M}. */
  hearRadius?: number;
  /** Full volume up to this distance, metres. Default {@link REF_DISTANCE_M}. */
  refDistance?: number;
  /** Existing links last up to `hearRadius * hysteresis`. Default {@link HYSTERESIS}. */
  hysteresis?: number;
  /** Positions within this distance are replicated to a client, metres. Default {@link VIEW_RADIUS_M}. */
  viewRadius?: number;
  /** At most this many users in a client's view. Default {@link MAX_VISIBLE}. */
  maxVisible?: number;
  /** Voice links per person. Default {@link MAX_PEERS}. */
  maxPeers?: number;
  /**
   * Each user's neighbour search (view and voice candidates) is redone every this many ticks,
   * staggered so each tick does 1/n of the users. Link distances, volumes, drops and the cap
   * are still checked every tick. Default 4 (400 ms at 10 Hz).
   */
  refreshTicks?: number;
}

export const DEFAULT_PROXIMITY: Required<ProximityOptions> = {
  hearRadius: HEAR_RADIUS_M,
  refDistance: REF_DISTANCE_M,
  hysteresis: HYSTERESIS,
  viewRadius: VIEW_RADIUS_M,
  maxVisible: MAX_VISIBLE,
  maxPeers: MAX_PEERS,
  refreshTicks: 4,
};

/** What the engine reads of a user each tick (the room's schema objects fit as they are). */
export interface Body {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly inVoice: boolean;
  readonly micMuted: boolean;
}

export interface CullUpdate {
  audiblePeers: AudiblePeer[];
  mutedPeers: string[];
}

export interface ClosedLink {
  a: string;
  b: string;
  reason: PeerCloseReason;
}

/** Changes since the previous tick. */
export interface TickResult {
  /** New links as [initiator (lower id), other]. */
  opened: [string, string][];
  closed: ClosedLink[];
  /** A client's new cull state, only when its set changed or a volume moved by a quantum. */
  cull: [string, CullUpdate][];
  /** [viewer, target]: target's position enters viewer's state view. */
  viewAdd: [string, string][];
  /** [viewer, target]: target's position leaves viewer's state view. */
  viewRemove: [string, string][];
}

/** Lexical order of session ids decides who initiates a link. */
export function initiatorOf(a: string, b: string): [string, string] {
  return a < b ? [a, b] : [b, a];
}

/** Cached on each body object, so the tick finds a user's handle without a Map lookup. */
const HANDLE = Symbol("earshot.handle");
type Tagged = { [HANDLE]?: { id: string; h: number } };
const round = (v: number, step: number) => Math.round(v / step) * step;
/** One number for an unordered pair of handles (handles stay far below 2^26). */
const pairKey = (a: number, b: number) => (a < b ? a * 67_108_864 + b : b * 67_108_864 + a);

/** Flat per-handle lists: `width` slots per handle in one typed array, plus a count. */
class Lists {
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
  remove(h: number, v: number): void {
    const base = h * this.width;
    const n = this.count[h]!;
    for (let i = 0; i < n; i++) {
      if (this.items[base + i] === v) {
        this.items.copyWithin(base + i, base + i + 1, base + n);
        this.count[h] = n - 1;
        return;
      }
    }
  }
  /** Inserts v keeping the list ascending; false when present or full. */
  insertSorted(h: number, v: number): boolean {
    const base = h * this.width;
    const n = this.count[h]!;
    let i = n;
    while (i > 0 && this.items[base + i - 1]! > v) i--;
    if ((i > 0 && this.items[base + i - 1] === v) || n >= this.width) return false;
    this.items.copyWithin(base + i + 1, base + i, base + n);
    this.items[base + i] = v;
    this.count[h] = n + 1;
    return true;
  }
  toArray(h: number): number[] {
    return Array.from(this.items.subarray(h * this.width, h * this.width + this.count[h]!));
  }
}

/**
 * Decides, tick by tick, who sees whom and which voice links exist. Pure: bodies in, diffs
 * out, no Colyseus and no clock.
 *
 * Users get small integer handles, and every per-user list lives in flat typed arrays (one
 * JS object per user per list costs too much in the hot loops). Per tick: a grid rebuild
 * (O(N)); a k-nearest search for 1/refreshTicks of the users, giving their view and voice
 * candidates; a greedy pairing over existing links and the searched users' candidates
 * (bucket-sorted, O(N·k)); and per-user diffs.
 */
export class ProximityEngine {
  readonly options: Required<ProximityOptions>;
  private readonly index: NeighbourIndex;
  private tickNo = 0;
  private cap = 0;

  private readonly handles = new Map<string, number>();
  private ids: string[] = [];
  private freeList: number[] = [];
  private quarantine: [number, number][] = [];
  private created = 0;

  private phase = new Int32Array(0);
  private fresh = new Uint8Array(0);
  private dirty = new Uint8Array(0);
  private hadCull = new Uint8Array(0);
  private seen = new Int32Array(0);
  private inVoice = new Uint8Array(0);
  private micMuted = new Uint8Array(0);
  private hx = new Float64Array(0);
  private hy = new Float64Array(0);
  private hz = new Float64Array(0);
  private sx = new Float64Array(0);
  private sy = new Float64Array(0);
  private sz = new Float64Array(0);
  private lastVolume = new Float64Array(0);
  private readonly visible: Lists;
  private readonly cands: Lists;
  private readonly partners: Lists;
  private readonly nextPartners: Lists;
  private readonly lastAudible: Lists;
  private readonly lastMuted: Lists;

  private active: number[] = [];
  private refreshed: number[] = [];
  private flagsChanged = false;
  private readonly candidates = new Candidates();
  /** Pairs kept apart until a tick number, after a failed connection. */
  private readonly cooldown = new Map<number, number>();
  private readonly nIdx: Int32Array;
  private readonly nDist: Float64Array;
  private readonly scratch: Int32Array;

  /** @param index neighbour search; default a {@link SpatialGrid} with cells of hearRadius / 2. */
  constructor(options: ProximityOptions = {}, index?: NeighbourIndex) {
    this.options = { ...DEFAULT_PROXIMITY, ...options };
    const o = this.options;
    this.index = index ?? new SpatialGrid(o.hearRadius / 2);
    this.nIdx = new Int32Array(o.maxVisible);
    this.nDist = new Float64Array(o.maxVisible);
    const viewWidth = o.maxVisible + o.maxPeers;
    this.scratch = new Int32Array(viewWidth);
    this.visible = new Lists(viewWidth, 0);
    this.cands = new Lists(2 * o.maxPeers, 0);
    this.partners = new Lists(o.maxPeers, 0);
    this.nextPartners = new Lists(o.maxPeers, 0);
    this.lastAudible = new Lists(o.maxPeers, 0);
    this.lastMuted = new Lists(viewWidth, 0);
  }

  /** Current link partners of `id`. */
  partnersOf(id: string): ReadonlySet<string> {
    const h = this.handles.get(id);
    return new Set(h === undefined ? [] : this.partners.toArray(h).map((p) => this.ids[p]!));
  }

  /** Users whose positions `id` currently sees. */
  visibleOf(id: string): ReadonlySet<string> {
    const h = this.handles.get(id);
    return new Set(
      h === undefined
        ? []
        : this.visible
            .toArray(h)
            .map((v) => this.ids[v]!)
            .filter(Boolean),
    );
  }

  /** True when a and b are the two sides of a current link. */
  isLinked(a: string, b: string): boolean {
    const ha = this.handles.get(a);
    const hb = this.handles.get(b);
    return ha !== undefined && hb !== undefined && this.partners.has(ha, hb);
  }

  /**
   * Closes every link of `id` at once (voice off, leaving) instead of waiting for the tick.
   * With `forget`, the user is gone from the engine.
   */
  dropLinks(id: string, reason: PeerCloseReason, forget = false): ClosedLink[] {
    const h = this.handles.get(id);
    if (h === undefined) return [];
    const closed = this.unlinkAll(h, reason);
    if (forget) this.release(h);
    return closed;
  }

  /**
   * Closes the link between a and b because its connection failed, and keeps the pair apart
   * for `cooldownTicks`, after which the tick may pair them again (a fresh negotiation).
   */
  failLink(a: string, b: string, cooldownTicks: number): ClosedLink[] {
    const ha = this.handles.get(a);
    const hb = this.handles.get(b);
    if (ha === undefined || hb === undefined || !this.partners.has(ha, hb)) return [];
    this.partners.remove(ha, hb);
    this.partners.remove(hb, ha);
    this.dirty[ha] = this.dirty[hb] = 1;
    this.cooldown.set(pairKey(ha, hb), this.tickNo + cooldownTicks);
    return [{ ...this.named(ha, hb), reason: "failed" }];
  }

  /** Runs one tick over all users in the room, keyed by session id. */
  tick(users: Iterable<[string, Body]>): TickResult {
    const o = this.options;
    const result: TickResult = { opened: [], closed: [], cull: [], viewAdd: [], viewRemove: [] };
    const tickNo = ++this.tickNo;
    const previous = this.active;
    const n = this.load(users, tickNo);

    for (const h of previous) {
      if (this.seen[h] !== tickNo && this.ids[h]) {
        result.closed.push(...this.unlinkAll(h, "left"));
        this.release(h);
      }
    }
    // A freed handle is reused only after every view was refreshed, so no list still holds it.
    while (this.quarantine.length && this.quarantine[0]![1] <= tickNo) this.freeList.push(this.quarantine.shift()![0]);
    for (const h of this.active)
      if (!this.inVoice[h] && this.partners.count[h]) result.closed.push(...this.unlinkAll(h, "voice_off"));

    this.index.rebuild(this.sx, this.sy, this.sz, n);
    const slot = tickNo % o.refreshTicks;
    this.refreshed.length = 0;
    for (let s = 0; s < n; s++) {
      const h = this.active[s]!;
      if (this.fresh[h] || this.phase[h] === slot) {
        this.refresh(h, s, result);
        this.refreshed.push(h);
      }
    }
    this.pair(result);
    for (const h of this.active) this.diffCull(h, result);
    return result;
  }

  /** New view and voice candidates of handle h (slot s) from one k-nearest search. */
  private refresh(h: number, s: number, result: TickResult): void {
    const o = this.options;
    this.fresh[h] = 0;
    this.dirty[h] = 1;
    const count = this.index.nearest(s, o.maxVisible, o.viewRadius, this.nIdx, this.nDist);
    const keep = o.hearRadius * o.hysteresis;
    const next = this.scratch;
    let m = 0;
    this.cands.count[h] = 0;
    for (let c = 0; c < count; c++) {
      const other = this.active[this.nIdx[c]!]!;
      next[m++] = other;
      if (this.inVoice[h] && this.inVoice[other] && this.nDist[c]! <= keep) this.cands.push(h, other);
    }
    const pBase = h * this.partners.width;
    for (let i = 0; i < this.partners.count[h]!; i++) next[m++] = this.partners.items[pBase + i]!;
    // Insertion sort: about 40 small integers.
    for (let i = 1; i < m; i++) {
      const v = next[i]!;
      let j = i - 1;
      while (j >= 0 && next[j]! > v) {
        next[j + 1] = next[j]!;
        j--;
      }
      next[j + 1] = v;
    }
    // Merge with the old view (both ascending) to record the diff.
    const vis = this.visible;
    const base = h * vis.width;
    const before = vis.items.slice(base, base + vis.count[h]!);
    const id = this.ids[h]!;
    let i = 0;
    let j = 0;
    let out = 0;
    while (i < before.length || j < m) {
      const a = i < before.length ? before[i]! : Infinity;
      const b = j < m ? next[j]! : Infinity;
      if (out > 0 && b === vis.items[base + out - 1]) {
        j++;
      } else if (b < a) {
        vis.items[base + out++] = b;
        if (this.ids[b]) result.viewAdd.push([id, this.ids[b]]);
        j++;
      } else if (a < b) {
        if (this.ids[a]) result.viewRemove.push([id, this.ids[a]]);
        i++;
      } else {
        vis.items[base + out++] = b;
        i++;
        j++;
      }
    }
    vis.count[h] = out;
  }

  /** Greedy pairing, nearest first: existing links plus the searched users' candidates. */
  private pair(result: TickResult): void {
    const o = this.options;
    const keep = o.hearRadius * o.hysteresis;
    const c = this.candidates;
    const P = this.partners;
    c.length = 0;
    // New pairs come from the users searched this tick (everyone, over refreshTicks ticks);
    // a pair listed from both sides counts once, as the greedy pass skips duplicates.
    for (const a of this.refreshed) {
      if (!this.inVoice[a]) continue;
      const base = a * this.cands.width;
      for (let k = 0; k < this.cands.count[a]!; k++) {
        const b = this.cands.items[base + k]!;
        if (this.seen[b] !== this.tickNo || !this.inVoice[b] || P.has(a, b)) continue;
        if (this.cooldown.size && this.coolingDown(a, b)) continue;
        const d = this.distance(a, b);
        if (d <= o.hearRadius) c.push(a, b, d, d);
      }
    }
    // An existing link sorts as if `hysteresis` times nearer: a newcomer displaces it only
    // when clearly closer, so links don't flap at the cap.
    for (const a of this.active) {
      const base = a * P.width;
      for (let k = 0; k < P.count[a]!; k++) {
        const b = P.items[base + k]!;
        if (a > b) continue;
        const d = this.distance(a, b);
        if (d <= keep) c.push(a, b, d, d / o.hysteresis);
      }
    }
    const order = c.sortedByWeight(Math.max(keep / o.hysteresis, o.hearRadius));

    const N = this.nextPartners;
    for (const h of this.active) N.count[h] = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const a = c.a[i]!;
      const b = c.b[i]!;
      if (N.count[a]! >= o.maxPeers || N.count[b]! >= o.maxPeers || N.has(a, b)) continue;
      N.push(a, b);
      N.push(b, a);
    }
    for (const a of this.active) {
      const oldBase = a * P.width;
      const oldN = P.count[a]!;
      const newBase = a * N.width;
      const newN = N.count[a]!;
      let same = oldN === newN;
      for (let k = 0; k < oldN; k++) {
        const b = P.items[oldBase + k]!;
        if (N.has(a, b)) continue;
        same = false;
        if (a < b) {
          const reason = this.distance(a, b) > keep ? "out_of_range" : "over_capacity";
          result.closed.push({ ...this.named(a, b), reason });
        }
      }
      for (let k = 0; k < newN; k++) {
        const b = N.items[newBase + k]!;
        if (P.has(a, b)) continue;
        same = false;
        if (a < b) {
          const { a: ia, b: ib } = this.named(a, b);
          result.opened.push([ia, ib]);
        }
      }
      if (!same) this.dirty[a] = 1;
    }
    for (const a of this.active) {
      const base = a * P.width;
      P.items.set(N.items.subarray(base, base + N.count[a]!), base);
      P.count[a] = N.count[a]!;
      // You see whom you hear.
      for (let k = 0; k < P.count[a]; k++) {
        const b = P.items[base + k]!;
        if (this.visible.insertSorted(a, b)) result.viewAdd.push([this.ids[a]!, this.ids[b]!]);
      }
    }
  }

  private diffCull(h: number, result: TickResult): void {
    const LA = this.lastAudible;
    const LM = this.lastMuted;
    if (!this.inVoice[h]) {
      this.hadCull[h] = 0;
      LA.count[h] = 0;
      LM.count[h] = 0;
      return;
    }
    const o = this.options;
    const P = this.partners;
    const pBase = h * P.width;
    const pN = P.count[h]!;
    let changed = !this.hadCull[h] || pN !== LA.count[h];
    for (let k = 0; k < pN && !changed; k++) if (LA.items[pBase + k] !== P.items[pBase + k]) changed = true;
    // Volume-only changes go out on the user's refresh tick (at most every refreshTicks ticks):
    // the client's panner attenuates by real distance every frame, the server's volume is a hint.
    if (!changed && this.phase[h] === this.tickNo % o.refreshTicks) {
      for (let k = 0; k < pN && !changed; k++) {
        const v = volumeAt(this.distance(h, P.items[pBase + k]!), o);
        if (Math.abs(this.lastVolume[pBase + k]! - v) >= VOLUME_QUANTUM - 1e-9) changed = true;
      }
    }
    let mutedChanged = false;
    const mBase = h * LM.width;
    if (this.dirty[h] || this.flagsChanged) {
      this.dirty[h] = 0;
      const vis = this.visible;
      const vBase = h * vis.width;
      let m = 0;
      for (let k = 0; k < vis.count[h]!; k++) {
        const v = vis.items[vBase + k]!;
        if (this.seen[v] === this.tickNo && this.inVoice[v] && (this.micMuted[v] || !P.has(h, v))) {
          if (m >= LM.count[h]! || LM.items[mBase + m] !== v) mutedChanged = true;
          this.scratch[m++] = v;
        }
      }
      if (m !== LM.count[h]) mutedChanged = true;
      if (mutedChanged) {
        LM.items.set(this.scratch.subarray(0, m), mBase);
        LM.count[h] = m;
      }
    }
    if (!changed && !mutedChanged) return;
    this.hadCull[h] = 1;
    const audiblePeers: AudiblePeer[] = [];
    for (let k = 0; k < pN; k++) {
      const p = P.items[pBase + k]!;
      const distance = this.distance(h, p);
      const volume = volumeAt(distance, o);
      LA.items[pBase + k] = p;
      this.lastVolume[pBase + k] = volume;
      audiblePeers.push({ peerId: this.ids[p]!, distance: round(distance, 0.01), volume: round(volume, 0.001) });
    }
    LA.count[h] = pN;
    audiblePeers.sort((p, q) => p.distance - q.distance || (p.peerId < q.peerId ? -1 : 1));
    const mutedPeers: string[] = [];
    for (let k = 0; k < LM.count[h]!; k++) mutedPeers.push(this.ids[LM.items[mBase + k]!]!);
    result.cull.push([this.ids[h]!, { audiblePeers, mutedPeers }]);
  }

  private load(users: Iterable<[string, Body]>, tickNo: number): number {
    const active: number[] = [];
    const bodies: Body[] = [];
    for (const [id, body] of users) {
      const tag = (body as Tagged)[HANDLE];
      let h = tag !== undefined && tag.id === id && this.ids[tag.h] === id ? tag.h : this.handles.get(id);
      if (h === undefined) h = this.allocate(id);
      if (tag?.h !== h && Object.isExtensible(body)) {
        Object.defineProperty(body, HANDLE, { value: { id, h }, configurable: true, writable: true });
      }
      active.push(h);
      bodies.push(body);
    }
    const n = active.length;
    // Someone joining, leaving or toggling voice/mic can change anyone's muted list.
    let flags = n !== this.active.length;
    for (let s = 0; s < n; s++) {
      const h = active[s]!;
      const b = bodies[s]!;
      this.seen[h] = tickNo;
      this.hx[h] = this.sx[s] = b.x;
      this.hy[h] = this.sy[s] = b.y;
      this.hz[h] = this.sz[s] = b.z;
      const voice = b.inVoice ? 1 : 0;
      const mute = b.micMuted ? 1 : 0;
      if (this.inVoice[h] !== voice || this.micMuted[h] !== mute) flags = true;
      this.inVoice[h] = voice;
      this.micMuted[h] = mute;
    }
    this.active = active;
    this.flagsChanged = flags;
    return n;
  }

  private allocate(id: string): number {
    const h = this.freeList.pop() ?? this.ids.length;
    if (h >= this.cap) this.grow(Math.max(64, h * 2));
    this.handles.set(id, h);
    this.ids[h] = id;
    this.phase[h] = this.created++ % this.options.refreshTicks;
    this.fresh[h] = 1;
    this.dirty[h] = 1;
    this.hadCull[h] = 0;
    this.inVoice[h] = 0;
    this.micMuted[h] = 0;
    for (const l of [this.visible, this.cands, this.partners, this.nextPartners, this.lastAudible, this.lastMuted])
      l.count[h] = 0;
    return h;
  }

  private release(h: number): void {
    this.handles.delete(this.ids[h]!);
    this.ids[h] = "";
    for (const l of [this.visible, this.cands, this.partners, this.lastAudible, this.lastMuted]) l.count[h] = 0;
    this.quarantine.push([h, this.tickNo + this.options.refreshTicks + 1]);
  }

  private unlinkAll(h: number, reason: PeerCloseReason): ClosedLink[] {
    const closed: ClosedLink[] = [];
    for (const p of this.partners.toArray(h)) {
      this.partners.remove(p, h);
      this.dirty[p] = 1;
      closed.push({ a: this.ids[h]!, b: this.ids[p]!, reason });
    }
    this.partners.count[h] = 0;
    this.dirty[h] = 1;
    return closed;
  }

  private coolingDown(a: number, b: number): boolean {
    const key = pairKey(a, b);
    const until = this.cooldown.get(key);
    if (until === undefined) return false;
    if (until > this.tickNo) return true;
    this.cooldown.delete(key);
    return false;
  }

  private named(a: number, b: number): { a: string; b: string } {
    const [x, y] = initiatorOf(this.ids[a]!, this.ids[b]!);
    return { a: x, b: y };
  }

  private distance(a: number, b: number): number {
    const dx = this.hx[a]! - this.hx[b]!;
    const dy = this.hy[a]! - this.hy[b]!;
    const dz = this.hz[a]! - this.hz[b]!;
    return Math.sqrt(dx * dx + dy * dy + dz * dz);
  }

  private grow(cap: number): void {
    const copy = <T extends Float64Array | Int32Array | Uint8Array>(old: T, make: (n: number) => T, size = cap): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    const f64 = (n: number) => new Float64Array(n);
    const i32 = (n: number) => new Int32Array(n);
    const u8 = (n: number) => new Uint8Array(n);
    this.phase = copy(this.phase, i32);
    this.fresh = copy(this.fresh, u8);
    this.dirty = copy(this.dirty, u8);
    this.hadCull = copy(this.hadCull, u8);
    this.seen = copy(this.seen, i32);
    this.inVoice = copy(this.inVoice, u8);
    this.micMuted = copy(this.micMuted, u8);
    this.hx = copy(this.hx, f64);
    this.hy = copy(this.hy, f64);
    this.hz = copy(this.hz, f64);
    this.lastVolume = copy(this.lastVolume, f64, cap * this.options.maxPeers);
    this.sx = new Float64Array(cap);
    this.sy = new Float64Array(cap);
    this.sz = new Float64Array(cap);
    for (const l of [this.visible, this.cands, this.partners, this.nextPartners, this.lastAudible, this.lastMuted])
      l.grow(cap);
    this.cap = cap;
  }
}

/**
 * Candidate pairs in flat typed arrays, sorted by weight with a bucket sort: O(M) for M pairs,
 * where a comparison sort of hundreds of thousands of pairs would dominate the tick.
 */
class Candidates {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  d = new Float64Array(1024);
  w = new Float64Array(1024);
  length = 0;
  private order = new Int32Array(1024);
  private counts = new Int32Array(0);

  push(a: number, b: number, d: number, w: number): void {
    if (this.length === this.a.length) this.grow();
    const i = this.length++;
    this.a[i] = a;
    this.b[i] = b;
    this.d[i] = d;
    this.w[i] = w;
  }

  /** Indices ordered by weight; within a bucket by exact weight, then by handles. */
  sortedByWeight(maxWeight: number): Int32Array {
    const n = this.length;
    const buckets = Math.max(1024, n);
    const scale = buckets / (maxWeight * 1.0001);
    if (this.counts.length < buckets + 1) this.counts = new Int32Array(buckets + 1);
    const counts = this.counts;
    counts.fill(0, 0, buckets + 1);
    const w = this.w;
    for (let i = 0; i < n; i++) counts[Math.min(buckets - 1, Math.floor(w[i]! * scale)) + 1]!++;
    for (let k = 1; k <= buckets; k++) counts[k]! += counts[k - 1]!;
    const order = this.order;
    for (let i = 0; i < n; i++) order[counts[Math.min(buckets - 1, Math.floor(w[i]! * scale))]!++] = i;
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
    const w = this.w;
    if (w[p]! !== w[q]!) return w[p]! < w[q]!;
    const pa = Math.min(this.a[p]!, this.b[p]!);
    const qa = Math.min(this.a[q]!, this.b[q]!);
    return pa !== qa ? pa < qa : Math.max(this.a[p]!, this.b[p]!) < Math.max(this.a[q]!, this.b[q]!);
  }

  private grow(): void {
    const size = this.a.length * 2;
    const a = new Int32Array(size);
    const b = new Int32Array(size);
    const d = new Float64Array(size);
    const w = new Float64Array(size);
    a.set(this.a);
    b.set(this.b);
    d.set(this.d);
    w.set(this.w);
    Object.assign(this, { a, b, d, w, order: new Int32Array(size) });
  }
}
