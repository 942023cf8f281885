import { TokenBucket } from "../chat/rateLimit.js";
import type { Take } from "../chat/rateLimit.js";

/** Settings of {@link IpLimits}. */
export interface IpLimitOptions {
  /** Concurrent connections per IP. */
  maxConnections: number;
  /** Joins per second per IP, sustained. */
  joinsPerS: number;
  /** Join burst per IP. */
  joinBurst: number;
}

/**
 * Per-address caps of one process: open connections, and a join-rate bucket. Pure apart from
 * its maps; the caller passes the time. Idle buckets are forgotten so the maps stay small.
 */
export class IpLimits {
  private readonly open = new Map<string, number>();
  private readonly joins = new Map<string, { bucket: TokenBucket; last: number }>();

  constructor(private readonly options: IpLimitOptions) {}

  /** Open connections from `ip`. */
  connections(ip: string): number {
    return this.open.get(ip) ?? 0;
  }

  /** A connection from `ip` opened; the returned function closes it (safe twice). */
  opened(ip: string): () => void {
    this.open.set(ip, this.connections(ip) + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const n = this.connections(ip) - 1;
      if (n > 0) this.open.set(ip, n);
      else this.open.delete(ip);
    };
  }

  /** True while `ip` is below its connection cap (counting the one asking). */
  mayConnect(ip: string): boolean {
    return this.connections(ip) <= this.options.maxConnections;
  }

  /** Takes a join from `ip`'s bucket at time `now`. */
  join(ip: string, now: number): Take {
    this.forgetIdle(now);
    let entry = this.joins.get(ip);
    if (!entry) {
      const o = this.options;
      entry = { bucket: new TokenBucket(o.joinBurst, 1000 / o.joinsPerS, now), last: now };
      this.joins.set(ip, entry);
    }
    entry.last = now;
    return entry.bucket.take(now);
  }

  private forgetIdle(now: number): void {
    if (this.joins.size < 1_000) return;
    // A bucket idle this long is full again: dropping it changes nothing.
    const full = (this.options.joinBurst / this.options.joinsPerS) * 1000;
    for (const [ip, e] of this.joins) if (now - e.last > full) this.joins.delete(ip);
  }
}
