/** Settings of {@link LoginBackoff}. */
export interface LoginBackoffOptions {
  /** Failures per IP within `windowMs` before logins are refused. */
  maxFailures: number;
  /** Window of counted failures, ms. Default a minute. */
  windowMs?: number;
  /** First refusal period, ms; each further failure while counted doubles it. Default 10 s. */
  baseBlockMs?: number;
}

/**
 * Back-off on failed password checks per IP: after `maxFailures` in a window, refusals with a
 * wait that doubles with every further failure. A success forgets the address. Pure: the
 * caller passes the time.
 */
export class LoginBackoff {
  private readonly byIp = new Map<string, { failures: number[]; blockedUntil: number; blocks: number }>();
  private readonly windowMs: number;
  private readonly baseBlockMs: number;

  constructor(private readonly options: LoginBackoffOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.baseBlockMs = options.baseBlockMs ?? 10_000;
  }

  /** Undefined when `ip` may try now, else the ms to wait. */
  retryAfterMs(ip: string, now: number): number | undefined {
    const e = this.byIp.get(ip);
    return e && e.blockedUntil > now ? e.blockedUntil - now : undefined;
  }

  /** A wrong password from `ip` at `now`. */
  failed(ip: string, now: number): void {
    const e = this.byIp.get(ip) ?? { failures: [], blockedUntil: 0, blocks: 0 };
    e.failures = e.failures.filter((t) => now - t < this.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.options.maxFailures) {
      e.blockedUntil = now + this.baseBlockMs * 2 ** e.blocks;
      e.blocks += 1;
    } else if (e.failures.length === 1) e.blocks = 0;
    this.byIp.set(ip, e);
    if (this.byIp.size > 10_000) this.forget(now);
  }

  /** A right password from `ip`. */
  succeeded(ip: string): void {
    this.byIp.delete(ip);
  }

  private forget(now: number): void {
    for (const [ip, e] of this.byIp) {
      if (e.blockedUntil < now && e.failures.every((t) => now - t >= this.windowMs)) this.byIp.delete(ip);
    }
  }
}
