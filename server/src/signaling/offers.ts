/**
 * Offers waiting for an answer. After `timeoutMs` without one the offerer is told the peer is
 * unavailable. Timers come in through the constructor, so tests can drive them.
 */
export class PendingOffers {
  private readonly pending = new Map<string, unknown>();

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (offerer: string, target: string) => void,
    private readonly timers: {
      set: (fn: () => void, ms: number) => unknown;
      clear: (handle: unknown) => void;
    } = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) },
  ) {}

  /** An offer from `offerer` to `target` was relayed (a new offer restarts the wait). */
  offered(offerer: string, target: string): void {
    const key = `${offerer}>${target}`;
    this.cancel(offerer, target);
    this.pending.set(
      key,
      this.timers.set(() => {
        this.pending.delete(key);
        this.onTimeout(offerer, target);
      }, this.timeoutMs),
    );
  }

  /** `answerer` answered `offerer`. */
  answered(answerer: string, offerer: string): void {
    this.cancel(offerer, answerer);
  }

  /** Forgets the offers between a and b, in both directions (the link closed). */
  forgetPair(a: string, b: string): void {
    this.cancel(a, b);
    this.cancel(b, a);
  }

  /** Offerers still waiting on `target`; their offers are forgotten. */
  waitingOn(target: string): string[] {
    const offerers: string[] = [];
    for (const key of [...this.pending.keys()]) {
      const [offerer, to] = key.split(">") as [string, string];
      if (to === target) {
        offerers.push(offerer);
        this.cancel(offerer, to);
      } else if (offerer === target) this.cancel(offerer, to);
    }
    return offerers;
  }

  /** Cancels every timer; safe twice. */
  dispose(): void {
    for (const handle of this.pending.values()) this.timers.clear(handle);
    this.pending.clear();
  }

  private cancel(offerer: string, target: string): void {
    const key = `${offerer}>${target}`;
    const handle = this.pending.get(key);
    if (handle === undefined) return;
    this.timers.clear(handle);
    this.pending.delete(key);
  }
}
