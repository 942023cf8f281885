import type { Moderation } from "../admin/moderation.js";
import type { GuardedStore } from "../storage/GuardedStore.js";
import type { ThrottledLog } from "../util/throttledLog.js";
import type { AccessSettings, ZoneSettings } from "../config.js";
import type { IpLimits } from "../guard/ipLimits.js";
import type { JanusGateway } from "../stage/janus.js";

/** Who someone is, as decided on join. */
export interface Identity {
  id: string;
  name?: string;
  /** Roles such as `moderator` and `speaker` (a game may add its own); guests have none. */
  roles?: string[];
}

/** Counters exported at `/metrics`; a name may carry Prometheus labels: `name{reason="x"}`. */
export class Metrics {
  readonly counters = new Map<string, number>();
  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }
  /** Tick durations, for a histogram-free summary (last value and max). */
  tickMs = 0;
  tickMaxMs = 0;
}

/** What a zone room gets from its server (constructor injection through a subclass). */
export interface ZoneServices {
  /** Chat history; calls fail with `StoreUnavailableError` during an outage. */
  store: GuardedStore;
  settings: Required<ZoneSettings>;
  metrics: Metrics;
  /**
   * Turns a join token into an identity. Unset: everybody is a guest with a server-made id.
   * Throwing refuses the join with `unauthorized`.
   */
  authenticate?: (token: string | undefined) => Promise<Identity | undefined> | Identity | undefined;
  /** Bans: a banned user's join fails with `banned`, and a ban closes their sessions. */
  moderation: Moderation;
  now: () => number;
  /** Process-wide caps and access rules. */
  access: AccessSettings;
  /** Per-IP connection counts and join buckets of this process. */
  ipLimits: IpLimits;
  /** Live zone instances of this process (checked against `access.maxZones`). */
  liveZones: { count: number };
  /** The process' Janus connection when `JANUS_URL` is set: stages are off without it. */
  janus?: JanusGateway;
  /** Logs one line (refusals, dropped clients); rate-limited by the caller's design, never a stack. */
  log: (line: string) => void;
  /** Lines that an outage or an attacker could repeat: at most one a minute per key. */
  notices: ThrottledLog;
}
