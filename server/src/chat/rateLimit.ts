/** Outcome of {@link TokenBucket.take}. */
export type Take = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * A token bucket: `capacity` tokens, refilled evenly at `perMs` milliseconds per token. The
 * caller passes the time, so the bucket is pure and testable without a clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes one token at time `now`, or says how long until one is free. */
  take(now: number): Take {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) / this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - this.tokens) * this.perMs) };
  }

  /** Gives back a token taken for work that did not happen (a chat the store refused). */
  refund(): void {
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }
}

/** `count` per `windowMs`, with a burst of `count`. */
export const ratePer = (count: number, windowMs: number, now: number) => new TokenBucket(count, windowMs / count, now);
