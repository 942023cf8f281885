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
}

export const DEFAULT_PROXIMITY: Required<ProximityOptions> = {
  hearRadius: HEAR_RADIUS_M,
  refDistance: REF_DISTANCE_M,
  hysteresis: HYSTERESIS,
  viewRadius: VIEW_RADIUS_M,
  maxVisible: MAX_VISIBLE,
  maxPeers: MAX_PEERS,
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

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

const round = (v: number, step: number) => Math.round(v / step) * step;

/**
 * Decides, tick by tick, who sees whom and which voice links exist. Pure: bodies in, diffs
 * out, no Colyseus and no clock. Per tick it costs O(N·k): one grid k-nearest query per user
 * (k = maxVisible), then a greedy pairing over at most 2·maxPeers candidates per user.
 */
export class ProximityEngine {
  readonly options: Required<ProximityOptions>;
  private readonly grid: SpatialGrid;
  /** Current links: key -> [a, b, distance]. */
  private links = new Map<string, { a: string; b: string; distance: number }>();
  private linksOf = new Map<string, Set<string>>();
  private visible = new Map<string, Set<string>>();
  private lastCull = new Map<string, { volumes: Map<string, number>; muted: string }>();

  // Scratch buffers reused across ticks.
  private ids: string[] = [];
  private bodies: Body[] = [];
  private xs = new Float64Array(0);
  private ys = new Float64Array(0);
  private zs = new Float64Array(0);
  private readonly nIdx: Int32Array;
  private readonly nDist: Float64Array;

  constructor(options: ProximityOptions = {}) {
    this.options = { ...DEFAULT_PROXIMITY, ...options };
    this.grid = new SpatialGrid(this.options.hearRadius / 2);
    this.nIdx = new Int32Array(this.options.maxVisible);
    this.nDist = new Float64Array(this.options.maxVisible);
  }

  /** Number of current links. */
  get linkCount(): number {
    return this.links.size;
  }

  /** Current link partners of `id`. */
  partnersOf(id: string): ReadonlySet<string> {
    return this.linksOf.get(id) ?? new Set();
  }

  /** Users whose positions `id` currently sees. */
  visibleOf(id: string): ReadonlySet<string> {
    return this.visible.get(id) ?? new Set();
  }

  /** True when a and b are the two sides of a current link. */
  isLinked(a: string, b: string): boolean {
    return this.links.has(linkKey(a, b));
  }

  /**
   * Closes every link of `id` at once (voice off, leaving), instead of waiting for the tick.
   * With `forget`, its view and cull memory go too.
   */
  dropLinks(id: string, reason: PeerCloseReason, forget = false): ClosedLink[] {
    const closed: ClosedLink[] = [];
    for (const other of [...(this.linksOf.get(id) ?? [])]) {
      this.unlink(id, other);
      closed.push({ a: id, b: other, reason });
    }
    if (forget) {
      this.visible.delete(id);
      this.lastCull.delete(id);
      for (const seen of this.visible.values()) seen.delete(id);
    }
    return closed;
  }

  /** Runs one tick over all users in the room, keyed by session id. */
  tick(users: Iterable<[string, Body]>): TickResult {
    const o = this.options;
    const result: TickResult = { opened: [], closed: [], cull: [], viewAdd: [], viewRemove: [] };
    const n = this.load(users);
    this.grid.rebuild(this.xs, this.zs, n);

    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) index.set(this.ids[i]!, i);

    // Links whose user is gone or left voice close first.
    for (const link of [...this.links.values()]) {
      const ia = index.get(link.a);
      const ib = index.get(link.b);
      const reason: PeerCloseReason | undefined =
        ia === undefined || ib === undefined
          ? "left"
          : !this.bodies[ia]!.inVoice || !this.bodies[ib]!.inVoice
            ? "voice_off"
            : undefined;
      if (reason) {
        this.unlink(link.a, link.b);
        result.closed.push({ a: link.a, b: link.b, reason });
      }
    }
    for (const id of [...this.visible.keys()]) {
      if (!index.has(id)) {
        this.visible.delete(id);
        this.lastCull.delete(id);
      }
    }

    // Visible sets and voice candidates from one k-nearest query each.
    const hear = o.hearRadius;
    const keep = o.hearRadius * o.hysteresis;
    const perUser = 2 * o.maxPeers;
    const candidates: { a: number; b: number; d: number; key: number; existing: boolean }[] = [];
    const seenPair = new Set<number>();
    const nearest: { idx: Int32Array; dist: Float64Array; count: number }[] = [];
    for (let i = 0; i < n; i++) {
      const count = this.grid.nearest(i, this.ys, o.maxVisible, o.viewRadius, this.nIdx, this.nDist);
      nearest.push({ idx: this.nIdx.slice(0, count), dist: this.nDist.slice(0, count), count });
      if (!this.bodies[i]!.inVoice) continue;
      let taken = 0;
      for (let c = 0; c < count && taken < perUser; c++) {
        const j = this.nIdx[c]!;
        const d = this.nDist[c]!;
        if (d > keep) break;
        if (!this.bodies[j]!.inVoice) continue;
        taken++;
        this.addCandidate(candidates, seenPair, i, j, d, n, hear);
      }
      // Existing links stay candidates even when a crowd pushes them out of the k nearest.
      for (const other of this.linksOf.get(this.ids[i]!) ?? []) {
        const j = index.get(other)!;
        this.addCandidate(candidates, seenPair, i, j, this.distance(i, j), n, hear);
      }
    }

    // Greedy pairing, nearest first. An existing link sorts as if it were `hysteresis` times
    // nearer, so a newcomer displaces it only when clearly closer: no flapping at the cap.
    const weight = (c: (typeof candidates)[number]) => (c.existing ? c.d / o.hysteresis : c.d);
    candidates.sort((p, q) => weight(p) - weight(q) || p.key - q.key);
    const degree = new Int32Array(n);
    const next = new Map<string, { a: string; b: string; distance: number }>();
    for (const c of candidates) {
      if (c.d > (c.existing ? keep : hear)) continue;
      if (degree[c.a]! >= o.maxPeers || degree[c.b]! >= o.maxPeers) continue;
      degree[c.a]!++;
      degree[c.b]!++;
      const [a, b] = initiatorOf(this.ids[c.a]!, this.ids[c.b]!);
      next.set(`${a}|${b}`, { a, b, distance: c.d });
    }
    for (const [key, link] of [...this.links]) {
      if (next.has(key)) continue;
      this.unlink(link.a, link.b);
      const far = this.distance(index.get(link.a)!, index.get(link.b)!) > keep;
      result.closed.push({ a: link.a, b: link.b, reason: far ? "out_of_range" : "over_capacity" });
    }
    for (const [key, link] of next) {
      if (!this.links.has(key)) {
        result.opened.push([link.a, link.b]);
        this.linkSet(link.a).add(link.b);
        this.linkSet(link.b).add(link.a);
      }
      this.links.set(key, link);
    }

    // Views and cull updates, diffed per user.
    for (let i = 0; i < n; i++) {
      const id = this.ids[i]!;
      const near = nearest[i]!;
      const partners = this.linksOf.get(id);
      const now = new Set<string>();
      for (let c = 0; c < near.count; c++) now.add(this.ids[near.idx[c]!]!);
      if (partners) for (const p of partners) now.add(p);
      const before = this.visible.get(id);
      for (const t of now) if (!before?.has(t)) result.viewAdd.push([id, t]);
      if (before) for (const t of before) if (!now.has(t)) result.viewRemove.push([id, t]);
      this.visible.set(id, now);
      if (this.bodies[i]!.inVoice) this.diffCull(id, i, near, partners, index, result);
      else this.lastCull.delete(id);
    }
    return result;
  }

  private diffCull(
    id: string,
    i: number,
    near: { idx: Int32Array; dist: Float64Array; count: number },
    partners: Set<string> | undefined,
    index: Map<string, number>,
    result: TickResult,
  ): void {
    const o = this.options;
    const audiblePeers: AudiblePeer[] = [];
    const muted: string[] = [];
    for (const p of partners ?? []) {
      const j = index.get(p)!;
      const distance = this.distance(i, j);
      audiblePeers.push({
        peerId: p,
        distance: round(distance, 0.01),
        volume: round(volumeAt(distance, { refDistance: o.refDistance, hearRadius: o.hearRadius }), 0.001),
      });
      if (this.bodies[j]!.micMuted) muted.push(p);
    }
    for (let c = 0; c < near.count; c++) {
      const j = near.idx[c]!;
      if (this.bodies[j]!.inVoice && !partners?.has(this.ids[j]!)) muted.push(this.ids[j]!);
    }
    audiblePeers.sort((p, q) => p.distance - q.distance || (p.peerId < q.peerId ? -1 : 1));
    muted.sort();
    const mutedKey = muted.join(",");
    const last = this.lastCull.get(id);
    let changed = !last || last.muted !== mutedKey || last.volumes.size !== audiblePeers.length;
    if (!changed) {
      for (const p of audiblePeers) {
        const v = last!.volumes.get(p.peerId);
        if (v === undefined || Math.abs(v - p.volume) >= VOLUME_QUANTUM - 1e-9) {
          changed = true;
          break;
        }
      }
    }
    if (!changed) return;
    this.lastCull.set(id, { volumes: new Map(audiblePeers.map((p) => [p.peerId, p.volume])), muted: mutedKey });
    result.cull.push([id, { audiblePeers, mutedPeers: muted }]);
  }

  private addCandidate(
    out: { a: number; b: number; d: number; key: number; existing: boolean }[],
    seen: Set<number>,
    i: number,
    j: number,
    d: number,
    n: number,
    hear: number,
  ): void {
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    const key = a * n + b;
    if (seen.has(key)) return;
    const existing = this.links.has(linkKey(this.ids[a]!, this.ids[b]!));
    if (!existing && d > hear) return;
    seen.add(key);
    out.push({ a, b, d, key, existing });
  }

  private load(users: Iterable<[string, Body]>): number {
    let n = 0;
    for (const [id, body] of users) {
      this.ids[n] = id;
      this.bodies[n] = body;
      n++;
    }
    this.ids.length = n;
    this.bodies.length = n;
    if (this.xs.length < n) {
      const size = Math.max(16, n * 2);
      this.xs = new Float64Array(size);
      this.ys = new Float64Array(size);
      this.zs = new Float64Array(size);
    }
    for (let i = 0; i < n; i++) {
      const b = this.bodies[i]!;
      this.xs[i] = b.x;
      this.ys[i] = b.y;
      this.zs[i] = b.z;
    }
    return n;
  }

  private distance(i: number, j: number): number {
    return Math.hypot(this.xs[i]! - this.xs[j]!, this.ys[i]! - this.ys[j]!, this.zs[i]! - this.zs[j]!);
  }

  private linkSet(id: string): Set<string> {
    let set = this.linksOf.get(id);
    if (!set) this.linksOf.set(id, (set = new Set()));
    return set;
  }

  private unlink(a: string, b: string): void {
    this.links.delete(linkKey(a, b));
    this.linksOf.get(a)?.delete(b);
    this.linksOf.get(b)?.delete(a);
    if (this.linksOf.get(a)?.size === 0) this.linksOf.delete(a);
    if (this.linksOf.get(b)?.size === 0) this.linksOf.delete(b);
  }
}
