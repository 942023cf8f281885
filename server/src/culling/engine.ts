import { VOLUME_QUANTUM, volumeAt } from "@earshot/protocol";
import type { AudiblePeer, PeerCloseReason } from "@earshot/protocol";
import { SpatialGrid } from "./grid.js";
import type { NeighbourIndex } from "./grid.js";
import { Candidates, Lists } from "./lists.js";
import { DEFAULT_PROXIMITY, initiatorOf } from "./types.js";
import type { Body, ClosedLink, CullUpdate, ProximityOptions, TickResult } from "./types.js";

/** Cached on each body object, so the tick finds a user's handle without a Map lookup. */
const HANDLE = Symbol("earshot.handle");
type Tagged = { [HANDLE]?: { id: string; h: number } };
const round = (v: number, step: number) => Math.round(v / step) * step;
/** One number for an unordered pair of handles (handles stay far below 2^26). */
const pairKey = (a: number, b: number) => (a < b ? a * 67_108_864 + b : b * 67_108_864 + a);

/**
 * Decides, tick by tick, who sees whom and which voice links exist. Pure: bodies in, diffs
 * out, no Colyseus and no clock.
 *
 * Work per tick follows what changes, not the room size squared:
 * - each user keeps a neighbour list (its nearest within view and hearing range), searched
 *   again in the grid only after it moved `rescanMoveM` or every `rescanTicks` ticks; its view
 *   is that list plus its voice partners;
 * - links are checked every tick for the drop distance; new links come from the neighbour
 *   lists of the users whose turn it is (`refreshTicks`), and are only tried where they would
 *   win: both sides have room, or the newcomer is nearer than a side's farthest link by the
 *   hysteresis margin (that link is then closed as `over_capacity`);
 * - a user's cull state is compared only when one of its links, its view or a neighbour's mic
 *   changed, or on its turn for volumes.
 *
 * Users get small integer handles and every per-user list lives in flat typed arrays: one JS
 * object per user per list costs too much in these loops.
 */
export class ProximityEngine {
  readonly options: Required<ProximityOptions>;
  private readonly index: NeighbourIndex;
  private tickNo = 0;
  /** Users whose phase equals this take their turn this tick. */
  private slot = 0;
  private cap = 0;

  private readonly handles = new Map<string, number>();
  private ids: string[] = [];
  private freeList: number[] = [];
  private quarantine: [number, number][] = [];
  private created = 0;

  // Per handle.
  private phase = new Int32Array(0);
  private seen = new Int32Array(0);
  /** Tick of each user's last neighbour search, and tick by which it is due again. */
  private scannedAt = new Int32Array(0);
  private dueAt = new Int32Array(0);
  /** Tick of each user's last cull_update. */
  private sentAt = new Int32Array(0);
  /** Scratch marks for set diffs (float: the counter outgrows 32 bits in a long-lived zone). */
  private mark = new Float64Array(0);
  private worstAt = new Int32Array(0);
  private worstPeer = new Int32Array(0);
  private worstWeight = new Float64Array(0);
  private fresh = new Uint8Array(0);
  private stale = new Uint8Array(0);
  /** Lost a link: looks for new ones next tick. */
  private lost = new Uint8Array(0);
  private inVoice = new Uint8Array(0);
  private micMuted = new Uint8Array(0);
  private cullChanged = new Uint8Array(0);
  private mutedDirty = new Uint8Array(0);
  private hadCull = new Uint8Array(0);
  /** Positions, x y z per handle side by side (one cache line per neighbour looked at). */
  private pos = new Float64Array(0);
  /** Where each user was at its last neighbour search. */
  private bx = new Float64Array(0);
  private by = new Float64Array(0);
  private bz = new Float64Array(0);
  // Per handle, one slot per link: what the last cull_update said.
  private sentDist = new Float64Array(0);
  /** Per handle, one slot per neighbour: its distance at the search. */
  private nearDist = new Float64Array(0);

  /** Neighbour lists, nearest first as of the last search. */
  private readonly near: Lists;
  private readonly visible: Lists;
  private readonly partners: Lists;
  private readonly sentPeers: Lists;
  private readonly muted: Lists;

  /** Users this tick, and last tick's (two arrays reused in turn). */
  private active: number[] = [];
  private spare: number[] = [];
  private joined = 0;
  private flagged: number[] = [];
  /** Reverse of `visible`: who sees each handle (flagged in `crowded` past its width). */
  private readonly viewers: Lists;
  private crowded = new Uint8Array(0);
  private markNo = 0;
  private readonly candidates = new Candidates();
  /** Pairs kept apart until a tick number, after a failed connection. */
  private readonly cooldown = new Map<number, number>();
  private readonly nearK: number;
  private readonly nearRadius: number;
  private readonly nIdx: Int32Array;
  private readonly nDist: Float64Array;
  private readonly scratch: Int32Array;

  /**
   * Who may be linked at all (moderation: a muted user, a blocked pair, a personal space), asked only for pairs
   * the search found close enough. Unset, anyone may. Existing links are not re-checked: close
   * them with {@link dropLinks} or {@link dropLink} when the answer changes.
   */
  gate?: (a: string, b: string, distance: number) => boolean;

  /** @param index neighbour search; default a {@link SpatialGrid} with cells of hearRadius. */
  constructor(options: ProximityOptions = {}, index?: NeighbourIndex) {
    this.options = { ...DEFAULT_PROXIMITY, ...options };
    const o = this.options;
    this.index = index ?? new SpatialGrid(o.hearRadius);
    // The search serves both the view and voice candidates (twice the cap, so the nearest
    // few that are full do not starve anyone).
    this.nearK = Math.max(o.maxVisible, 2 * o.maxPeers);
    this.nearRadius = Math.max(o.viewRadius, o.hearRadius + 3 * o.rescanMoveM);
    this.nIdx = new Int32Array(this.nearK);
    this.nDist = new Float64Array(this.nearK);
    const viewWidth = o.maxVisible + o.maxPeers;
    this.scratch = new Int32Array(viewWidth);
    this.near = new Lists(this.nearK, 0);
    this.visible = new Lists(viewWidth, 0);
    this.partners = new Lists(o.maxPeers, 0);
    this.sentPeers = new Lists(o.maxPeers, 0);
    this.viewers = new Lists(2 * viewWidth, 0);
    this.muted = new Lists(viewWidth, 0);
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
   * The `cull_update` for a user listed in the last tick's `cull`: its links with distance and
   * volume, nearest first, and the users in voice it sees but does not hear.
   */
  cullUpdate(id: string): CullUpdate {
    const h = this.handles.get(id);
    if (h === undefined) return { audiblePeers: [], mutedPeers: [] };
    const base = h * this.options.maxPeers;
    const audiblePeers: AudiblePeer[] = [];
    for (let k = 0; k < this.sentPeers.count[h]!; k++) {
      audiblePeers.push({
        peerId: this.ids[this.sentPeers.items[base + k]!]!,
        distance: round(this.sentDist[base + k]!, 0.01),
        volume: round(this.volume(this.sentDist[base + k]!), 0.001),
      });
    }
    audiblePeers.sort((p, q) => p.distance - q.distance || (p.peerId < q.peerId ? -1 : 1));
    const mutedPeers = this.muted.toArray(h).map((m) => this.ids[m]!);
    return { audiblePeers, mutedPeers: mutedPeers.filter(Boolean).sort() };
  }

  /**
   * Closes every link of `id` at once (voice off, leaving) instead of waiting for the tick.
   * With `forget`, the user is gone from the engine.
   */
  dropLinks(id: string, reason: PeerCloseReason, forget = false): ClosedLink[] {
    const h = this.handles.get(id);
    if (h === undefined) return [];
    const closed = this.unlinkAll(h, reason);
    if (forget) this.forget(h);
    return closed;
  }

  /**
   * Closes the link between a and b because its connection failed, and keeps the pair apart
   * for `cooldownTicks`, after which the tick may pair them again (a fresh negotiation).
   */
  failLink(a: string, b: string, cooldownTicks: number): ClosedLink[] {
    const closed = this.dropLink(a, b, "failed");
    if (closed.length)
      this.cooldown.set(pairKey(this.handles.get(a)!, this.handles.get(b)!), this.tickNo + cooldownTicks);
    return closed;
  }

  /** Closes the link between a and b now, if there is one (a block: the gate keeps them apart). */
  dropLink(a: string, b: string, reason: PeerCloseReason): ClosedLink[] {
    const ha = this.handles.get(a);
    const hb = this.handles.get(b);
    if (ha === undefined || hb === undefined || !this.partners.has(ha, hb)) return [];
    const closed: ClosedLink[] = [];
    this.unlink(ha, hb, reason, closed);
    return closed;
  }

  /** Runs one tick over all users in the room, keyed by session id. */
  tick(users: Iterable<[string, Body]>): TickResult {
    const result: TickResult = { opened: [], closed: [], cull: [], viewAdd: [], viewRemove: [] };
    const tickNo = ++this.tickNo;
    this.slot = tickNo % this.options.refreshTicks;
    const previous = this.active;
    this.load(users, tickNo);
    // Nobody left when nobody came and the count is the same.
    if (this.joined || previous.length !== this.active.length)
      for (const h of previous) if (this.seen[h] !== tickNo && this.ids[h]) this.depart(h, result);
    // A freed handle is reused only after every list was searched again, so none still holds it.
    while (this.quarantine.length && this.quarantine[0]![1] <= tickNo) this.freeList.push(this.quarantine.shift()![0]);
    for (const h of this.flagged)
      if (!this.inVoice[h] && this.partners.count[h]) result.closed.push(...this.unlinkAll(h, "voice_off"));

    this.index.rebuild(this.pos, this.active, this.active.length);
    this.rescan(result);
    for (const h of this.flagged) this.touchViewers(h);
    this.dropFar(result);
    this.pair(result);
    for (const h of this.active)
      if (this.cullChanged[h] || this.mutedDirty[h] || this.inVoice[h] !== this.hadCull[h]) this.diffCull(h, result);
    return result;
  }

  /** Searches again the neighbours of everyone who moved far enough, aged, or just came. */
  private rescan(result: TickResult): void {
    const o = this.options;
    const move2 = o.rescanMoveM * o.rescanMoveM;
    for (const h of this.active) {
      let due = this.fresh[h] === 1 || this.stale[h] === 1 || this.tickNo >= this.dueAt[h]!;
      if (!due) {
        const dx = this.pos[3 * h]! - this.bx[h]!;
        const dy = this.pos[3 * h + 1]! - this.by[h]!;
        const dz = this.pos[3 * h + 2]! - this.bz[h]!;
        due = dx * dx + dy * dy + dz * dz > move2;
      }
      if (due) this.scan(h, result);
    }
  }

  /** New neighbour list and view of h, with the view's diff. */
  private scan(h: number, result: TickResult): void {
    const o = this.options;
    const tickNo = this.tickNo;
    const wasFresh = this.fresh[h];
    this.fresh[h] = this.stale[h] = 0;
    // Newcomers' first age-out is spread over rescanTicks, so a wave of joins does not come back as one.
    this.scannedAt[h] = tickNo;
    this.dueAt[h] = tickNo + o.rescanTicks - (wasFresh ? h % o.rescanTicks : 0);
    this.bx[h] = this.pos[3 * h]!;
    this.by[h] = this.pos[3 * h + 1]!;
    this.bz[h] = this.pos[3 * h + 2]!;
    const count = this.index.nearest(h, this.nearK, this.nearRadius, this.nIdx, this.nDist);
    this.near.assign(h, this.nIdx, count);
    for (let k = 0; k < count; k++) this.nearDist[h * this.nearK + k] = this.nDist[k]!;

    // Diff by marks: OLD on the previous view, NEW on the next one.
    const OLD = ++this.markNo;
    const NEW = ++this.markNo;
    const mark = this.mark;
    const vis = this.visible;
    const vBase = h * vis.width;
    const vCount = vis.count[h]!;
    for (let k = 0; k < vCount; k++) mark[vis.items[vBase + k]!] = OLD;
    const next = this.scratch;
    const id = this.ids[h]!;
    let m = 0;
    const pBase = h * this.partners.width;
    const pCount = this.partners.count[h]!;
    const total = Math.min(count, o.maxVisible);
    for (let k = 0; k < total + pCount; k++) {
      let v: number;
      if (k < total) {
        if (this.nDist[k]! > o.viewRadius) continue;
        v = this.nIdx[k]!;
      } else {
        v = this.partners.items[pBase + k - total]!;
      }
      if (mark[v] === NEW) continue;
      if (mark[v] !== OLD) {
        result.viewAdd.push([id, this.ids[v]!]);
        this.addViewer(v, h);
      }
      mark[v] = NEW;
      next[m++] = v;
    }
    let changed = m !== vCount;
    for (let k = 0; k < vCount; k++) {
      const v = vis.items[vBase + k]!;
      if (mark[v] !== OLD) continue;
      changed = true;
      this.unview(v, h);
      if (this.ids[v]) result.viewRemove.push([id, this.ids[v]]);
    }
    vis.assign(h, next, m);
    if (changed) this.mutedDirty[h] = 1;
    // Neighbours that searched before this newcomer came do not know it yet.
    if (wasFresh) {
      for (let k = 0; k < count; k++) {
        const c = this.nIdx[k]!;
        if (!this.fresh[c] && this.scannedAt[c] !== tickNo) this.stale[c] = 1;
      }
    }
  }

  /** h's voice or mic changed, or h left: the muted lists of those who see h change. */
  private touchViewers(h: number): void {
    const V = this.viewers;
    if (this.crowded[h]) {
      // Seen by more than the list holds: ask every view (rare, and exact).
      for (const u of this.active) if (this.visible.has(u, h)) this.mutedDirty[u] = 1;
      return;
    }
    for (let k = 0; k < V.count[h]!; k++) this.mutedDirty[V.items[h * V.width + k]!] = 1;
  }

  private addViewer(target: number, viewer: number): void {
    if (!this.viewers.push(target, viewer)) this.crowded[target] = 1;
  }

  /** viewer no longer sees target. */
  private unview(target: number, viewer: number): void {
    this.viewers.remove(target, viewer);
  }

  /** Closes the links that went beyond hearRadius * hysteresis. */
  private dropFar(result: TickResult): void {
    const o = this.options;
    const keep = o.hearRadius * o.hysteresis;
    const P = this.partners;
    for (const a of this.active) if (P.count[a]) this.dropFarOf(a, keep * keep, result);
  }

  private dropFarOf(a: number, keep2: number, result: TickResult): void {
    const P = this.partners;
    const base = a * P.width;
    // Backwards: a removal moves the last item into the freed slot.
    for (let k = P.count[a]! - 1; k >= 0; k--) {
      const b = P.items[base + k]!;
      if (a < b && this.distance2(a, b) > keep2) this.unlink(a, b, "out_of_range", result.closed);
    }
  }

  /**
   * New links, nearest first, among the neighbours of the users whose turn it is (and of
   * everyone searched this tick). A pair is tried only where it would win.
   *
   * (Loop bodies here and elsewhere are small methods: V8 optimises a method called thousands
   * of times a tick with full type feedback, where a once-a-tick function with loops gets
   * compiled mid-loop and bails out at the first branch it had not seen yet, every tick.)
   */
  private pair(result: TickResult): void {
    const c = this.candidates;
    c.length = 0;
    for (const a of this.active) {
      if (this.inVoice[a] && (this.phase[a] === this.slot || this.scannedAt[a] === this.tickNo || this.lost[a]))
        this.collect(a);
    }
    if (!c.length) return;
    const order = c.sorted(this.options.hearRadius);
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      this.tryLink(c.a[i]!, c.b[i]!, c.d[i]!, result);
    }
  }

  /** a's turn: its links are reviewed, and its neighbours that could win a link become candidates. */
  private collect(a: number): void {
    const o = this.options;
    const P = this.partners;
    const N = this.near;
    const mark = this.mark;
    this.lost[a] = 0;
    this.review(a);
    // Nothing farther than a's farthest link (less the margin) can win a place.
    const limit = P.count[a]! < o.maxPeers ? o.hearRadius : Math.min(o.hearRadius, this.worstWeight[a]!);
    const limit2 = limit * limit;
    // Skin: say a's search was the later one. Since then a moved under rescanMoveM, and b under
    // 2 * rescanMoveM (less than that since its own, earlier, search). So a pair within limit
    // now was within limit + 3 * rescanMoveM in the later list; the earlier list may skip it.
    // (Lists are nearest first.)
    const reach = limit + 3 * o.rescanMoveM;
    const LINKED = ++this.markNo;
    const pBase = a * P.width;
    for (let k = 0; k < P.count[a]!; k++) mark[P.items[pBase + k]!] = LINKED;
    const base = a * N.width;
    const end = base + N.count[a]!;
    const items = N.items;
    const nearDist = this.nearDist;
    const pos = this.pos;
    const ax = pos[3 * a]!;
    const ay = pos[3 * a + 1]!;
    const az = pos[3 * a + 2]!;
    for (let k = base; k < end && nearDist[k]! <= reach; k++) {
      const b = items[k]!;
      const dx = pos[3 * b]! - ax;
      const dy = pos[3 * b + 1]! - ay;
      const dz = pos[3 * b + 2]! - az;
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 < limit2 && mark[b] !== LINKED) this.consider(a, b, d2);
    }
  }

  private consider(a: number, b: number, d2: number): void {
    if (this.seen[b] !== this.tickNo || !this.inVoice[b]) return;
    if (this.cooldown.size && this.coolingDown(a, b)) return;
    const d = Math.sqrt(d2);
    if (this.gate && !this.gate(this.ids[a]!, this.ids[b]!, d)) return;
    // A first sift with b's farthest link from its last review (tryLink checks exactly).
    if (this.partners.count[b]! < this.options.maxPeers || this.recentFarthest(b) > d) this.candidates.push(a, b, d);
  }

  /** h's farthest link weight as of its last review, if that was in the last refreshTicks ticks and no link changed since. */
  private recentFarthest(h: number): number {
    if (this.tickNo - this.worstAt[h]! >= this.options.refreshTicks) this.review(h);
    return this.worstWeight[h]!;
  }

  /** Links a and b if both still have room for it, closing a full side's farthest link. */
  private tryLink(a: number, b: number, d: number, result: TickResult): void {
    if (this.partners.has(a, b) || !this.hasRoomFor(a, d) || !this.hasRoomFor(b, d)) return;
    const max = this.options.maxPeers;
    if (this.partners.count[a]! >= max) this.unlink(a, this.worstPeer[a]!, "over_capacity", result.closed);
    if (this.partners.count[b]! >= max) this.unlink(b, this.worstPeer[b]!, "over_capacity", result.closed);
    this.link(a, b, result);
  }

  /**
   * True when h can take a link at distance d: it has room, or its farthest link is farther
   * than d by the hysteresis margin (an existing link wins ties, so links do not flap).
   */
  private hasRoomFor(h: number, d: number): boolean {
    return this.partners.count[h]! < this.options.maxPeers || this.farthest(h) > d;
  }

  /** h's farthest link as a weight (distance / hysteresis), cached for the tick in worstPeer/worstWeight. */
  private farthest(h: number): number {
    if (this.worstAt[h] !== this.tickNo) this.review(h);
    return this.worstWeight[h]!;
  }

  /**
   * One pass over h's links: caches its farthest link for the tick and, on h's turn, marks its
   * cull state changed when a volume moved by a quantum since it was sent. (Without a link
   * change the partners are the sent peers, slot for slot.) Volume-only changes wait for the
   * user's turn: the client's panner follows real distance every frame, the volume is a hint.
   */
  private review(h: number): void {
    const P = this.partners;
    const base = h * P.width;
    let checkVolume =
      this.hadCull[h] === 1 &&
      this.cullChanged[h] === 0 &&
      this.phase[h] === this.slot &&
      this.tickNo - this.sentAt[h]! >= this.options.volumeTicks;
    let worst = -1;
    let peer = -1;
    for (let k = 0; k < P.count[h]!; k++) {
      const p = P.items[base + k]!;
      const d2 = this.distance2(h, p);
      if (d2 > worst) {
        worst = d2;
        peer = p;
      }
      if (checkVolume && this.volumeMoved(this.sentDist[base + k]!, Math.sqrt(d2))) {
        this.cullChanged[h] = 1;
        checkVolume = false;
      }
    }
    this.worstWeight[h] = Math.sqrt(worst) / this.options.hysteresis;
    this.worstPeer[h] = peer;
    this.worstAt[h] = this.tickNo;
  }

  private link(a: number, b: number, result: TickResult): void {
    this.partners.push(a, b);
    this.partners.push(b, a);
    this.linkChanged(a);
    this.linkChanged(b);
    this.hears(a, b);
    this.hears(b, a);
    result.opened.push(initiatorOf(this.ids[a]!, this.ids[b]!));
    this.see(a, b, result);
    this.see(b, a, result);
  }

  /** You see whom you hear; a full view catches up at the next search. */
  private see(viewer: number, target: number, result: TickResult): void {
    if (this.visible.has(viewer, target)) return;
    if (this.visible.push(viewer, target)) {
      result.viewAdd.push([this.ids[viewer]!, this.ids[target]!]);
      this.addViewer(target, viewer);
      this.mutedDirty[viewer] = 1;
    } else {
      this.stale[viewer] = 1;
    }
  }

  private unlink(a: number, b: number, reason: PeerCloseReason, closed: ClosedLink[]): void {
    this.partners.remove(a, b);
    this.partners.remove(b, a);
    // Both look for a replacement at the next tick, not at their next turn.
    this.lost[a] = this.lost[b] = 1;
    this.linkChanged(a);
    this.linkChanged(b);
    this.stopsHearing(a, b);
    this.stopsHearing(b, a);
    const [x, y] = initiatorOf(this.ids[a]!, this.ids[b]!);
    closed.push({ a: x, b: y, reason });
  }

  private linkChanged(h: number): void {
    this.cullChanged[h] = 1;
    this.worstAt[h] = 0;
  }

  /** x now hears y: y leaves x's muted list unless y's mic is muted. */
  private hears(x: number, y: number): void {
    if (!this.micMuted[y]) this.muted.remove(x, y);
  }

  /** x no longer hears y: y joins x's muted list if x sees y and y is (still) in voice. */
  private stopsHearing(x: number, y: number): void {
    if (this.seen[y] === this.tickNo && this.inVoice[y] && this.visible.has(x, y) && !this.muted.has(x, y))
      this.muted.push(x, y);
  }

  /** Records h's cull state and lists it in `cull` when it differs from what was last sent. */
  private diffCull(h: number, result: TickResult): void {
    if (!this.inVoice[h]) {
      this.hadCull[h] = this.cullChanged[h] = this.mutedDirty[h] = 0;
      this.sentPeers.count[h] = this.muted.count[h] = 0;
      return;
    }
    const changed = !this.hadCull[h] || this.cullChanged[h] === 1;
    const mutedChanged = (this.mutedDirty[h] === 1 || !this.hadCull[h]) && this.updateMuted(h);
    this.mutedDirty[h] = 0;
    if (!changed && !mutedChanged) return;
    const P = this.partners;
    const base = h * P.width;
    for (let k = 0; k < P.count[h]!; k++) {
      const d = Math.sqrt(this.distance2(h, P.items[base + k]!));
      this.sentDist[base + k] = d;
    }
    this.sentPeers.assign(h, P.items, P.count[h]!, base);
    this.hadCull[h] = 1;
    this.sentAt[h] = this.tickNo;
    this.cullChanged[h] = 0;
    result.cull.push(this.ids[h]!);
  }

  /**
   * Recomputes h's muted list (visible, in voice, mic muted or not linked) after its view or a
   * neighbour's flags changed; true when it changed. Link changes update it as they happen.
   */
  private updateMuted(h: number): boolean {
    const mark = this.mark;
    const BEFORE = ++this.markNo;
    const list = this.muted;
    const lBase = h * list.width;
    for (let k = 0; k < list.count[h]!; k++) mark[list.items[lBase + k]!] = BEFORE;
    // Linked and unmuted: heard. (Equal sets below: every one kept was there before, and as many.)
    const HEARD = ++this.markNo;
    const P = this.partners;
    const pBase = h * P.width;
    for (let k = 0; k < P.count[h]!; k++) {
      const p = P.items[pBase + k]!;
      if (!this.micMuted[p]) mark[p] = HEARD;
    }
    const vis = this.visible;
    const vBase = h * vis.width;
    let m = 0;
    let same = true;
    for (let k = 0; k < vis.count[h]!; k++) {
      const v = vis.items[vBase + k]!;
      if (this.seen[v] !== this.tickNo || !this.inVoice[v] || mark[v] === HEARD) continue;
      if (mark[v] !== BEFORE) same = false;
      this.scratch[m++] = v;
    }
    if (same && m === list.count[h]) return false;
    list.assign(h, this.scratch, m);
    return true;
  }

  private load(users: Iterable<[string, Body]>, tickNo: number): void {
    const active = this.spare;
    let n = 0;
    this.joined = 0;
    this.flagged.length = 0;
    for (const [id, body] of users) {
      const tag = (body as Tagged)[HANDLE];
      let h = tag !== undefined && tag.id === id && this.ids[tag.h] === id ? tag.h : this.handles.get(id);
      if (h === undefined) {
        h = this.allocate(id);
        this.joined++;
      }
      if (tag?.h !== h && Object.isExtensible(body)) {
        Object.defineProperty(body, HANDLE, { value: { id, h }, configurable: true, writable: true });
      }
      active[n++] = h;
      this.seen[h] = tickNo;
      this.pos[3 * h] = body.x;
      this.pos[3 * h + 1] = body.y;
      this.pos[3 * h + 2] = body.z;
      const voice = body.inVoice ? 1 : 0;
      const mute = body.micMuted ? 1 : 0;
      if (!this.fresh[h] && (this.inVoice[h] !== voice || this.micMuted[h] !== mute)) this.flagged.push(h);
      this.inVoice[h] = voice;
      this.micMuted[h] = mute;
    }
    active.length = n;
    this.spare = this.active;
    this.active = active;
  }

  /** h left the room: its links close, and those who saw it update their muted lists. */
  private depart(h: number, result: TickResult): void {
    result.closed.push(...this.unlinkAll(h, "left"));
    this.forget(h);
  }

  /** h is gone: those who saw it update their muted lists, and its handle rests in quarantine. */
  private forget(h: number): void {
    this.touchViewers(h);
    this.release(h);
  }

  private allocate(id: string): number {
    const h = this.freeList.pop() ?? this.ids.length;
    if (h >= this.cap) this.grow(Math.max(64, h * 2));
    this.handles.set(id, h);
    this.ids[h] = id;
    this.crowded[h] = 0;
    this.phase[h] = this.created++ % this.options.refreshTicks;
    this.fresh[h] = 1;
    this.stale[h] = this.lost[h] = this.inVoice[h] = this.micMuted[h] = this.hadCull[h] = 0;
    this.cullChanged[h] = this.mutedDirty[h] = 0;
    this.worstAt[h] = 0;
    for (const l of this.lists()) l.count[h] = 0;
    return h;
  }

  private release(h: number): void {
    this.handles.delete(this.ids[h]!);
    this.ids[h] = "";
    const vis = this.visible;
    for (let k = 0; k < vis.count[h]!; k++) this.unview(vis.items[h * vis.width + k]!, h);
    for (const l of this.lists()) l.count[h] = 0;
    this.quarantine.push([h, this.tickNo + this.options.rescanTicks + 1]);
  }

  private lists(): Lists[] {
    return [this.near, this.visible, this.partners, this.sentPeers, this.muted, this.viewers];
  }

  private unlinkAll(h: number, reason: PeerCloseReason): ClosedLink[] {
    const closed: ClosedLink[] = [];
    while (this.partners.count[h]! > 0) this.unlink(h, this.partners.items[h * this.partners.width]!, reason, closed);
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

  /** True when the volume at distance `now` differs by a quantum from the one at `sent`. */
  private volumeMoved(sent: number, now: number): boolean {
    return Math.abs(this.volume(sent) - this.volume(now)) >= VOLUME_QUANTUM - 1e-9;
  }

  /** {@link volumeAt} for these options. */
  private volume(d: number): number {
    return volumeAt(d, this.options);
  }

  private distance2(a: number, b: number): number {
    const p = this.pos;
    const dx = p[3 * a]! - p[3 * b]!;
    const dy = p[3 * a + 1]! - p[3 * b + 1]!;
    const dz = p[3 * a + 2]! - p[3 * b + 2]!;
    return dx * dx + dy * dy + dz * dz;
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
    this.seen = copy(this.seen, i32);
    this.scannedAt = copy(this.scannedAt, i32);
    this.dueAt = copy(this.dueAt, i32);
    this.sentAt = copy(this.sentAt, i32);
    this.mark = copy(this.mark, f64);
    this.worstAt = copy(this.worstAt, i32);
    this.worstPeer = copy(this.worstPeer, i32);
    this.worstWeight = copy(this.worstWeight, f64);
    this.fresh = copy(this.fresh, u8);
    this.stale = copy(this.stale, u8);
    this.lost = copy(this.lost, u8);
    this.crowded = copy(this.crowded, u8);
    this.inVoice = copy(this.inVoice, u8);
    this.micMuted = copy(this.micMuted, u8);
    this.cullChanged = copy(this.cullChanged, u8);
    this.mutedDirty = copy(this.mutedDirty, u8);
    this.hadCull = copy(this.hadCull, u8);
    this.pos = copy(this.pos, f64, cap * 3);
    this.bx = copy(this.bx, f64);
    this.by = copy(this.by, f64);
    this.bz = copy(this.bz, f64);
    this.sentDist = copy(this.sentDist, f64, cap * this.options.maxPeers);
    this.nearDist = copy(this.nearDist, f64, cap * this.nearK);
    for (const l of this.lists()) l.grow(cap);
    this.cap = cap;
  }
}
