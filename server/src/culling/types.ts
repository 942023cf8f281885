import { HEAR_RADIUS_M, HYSTERESIS, MAX_PEERS, MAX_VISIBLE, REF_DISTANCE_M, VIEW_RADIUS_M } from "@earshot/protocol";
import type { AudiblePeer, PeerCloseReason } from "@earshot/protocol";

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
   * Each user looks for new links among its neighbours, and checks its volumes, every this
   * many ticks, staggered so each tick does 1/n of the users. Drops, and links to neighbours
   * found by a search, are handled every tick. Default 4 (400 ms at 10 Hz).
   */
  refreshTicks?: number;
  /**
   * A cull_update whose only change is volumes goes out at most once per this many ticks
   * (the client's panner follows real distance every frame; the volume is informational).
   * Link and muted-list changes go out at once. Default 10 (1 s at 10 Hz).
   */
  volumeTicks?: number;
  /**
   * A user's neighbour search (its view and its voice candidates) is redone when it has moved
   * `rescanMoveM` since the last one, or after this many ticks, whichever comes first.
   * Default 30 (3 s at 10 Hz).
   */
  rescanTicks?: number;
  /** See `rescanTicks`. Default 3 m. */
  rescanMoveM?: number;
}

export const DEFAULT_PROXIMITY: Required<ProximityOptions> = {
  hearRadius: HEAR_RADIUS_M,
  refDistance: REF_DISTANCE_M,
  hysteresis: HYSTERESIS,
  viewRadius: VIEW_RADIUS_M,
  maxVisible: MAX_VISIBLE,
  maxPeers: MAX_PEERS,
  refreshTicks: 4,
  volumeTicks: 10,
  rescanTicks: 30,
  rescanMoveM: 3,
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
  /**
   * Users whose cull state changed (their set, their muted list, or a volume by a quantum);
   * {@link ProximityEngine.cullUpdate} gives the message, built only when it is sent.
   */
  cull: string[];
  /** [viewer, target]: target's position enters viewer's state view. Apply after `viewRemove`. */
  viewAdd: [string, string][];
  /**
   * [viewer, target]: target's position leaves viewer's state view. Apply first: a target can
   * leave at the viewer's search and come back with a new link in the same tick.
   */
  viewRemove: [string, string][];
}

/** Lexical order of session ids decides who initiates a link. */
export function initiatorOf(a: string, b: string): [string, string] {
  return a < b ? [a, b] : [b, a];
}
