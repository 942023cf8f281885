/**
 * Logs a line per key at most once per `intervalMs`, and counts what it held back. An
 * attacker who repeats a refused frame, or an outage that fails every query, writes one line
 * a minute, not one per event.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs = 60_000,
    /** Keys remembered at most; the oldest are forgotten first. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Writes `line` unless `key` was written within the interval. True when it was written. */
  log(key: string, line: string, now = Date.now()): boolean {
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.held++;
      return false;
    }
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value as string);
    this.last.set(key, { at: now, held: 0 });
    this.write(seen?.held ? `${line} (${seen.held} more like it since the last line)` : line);
    return true;
  }

  /** Forgets a key, so its next line is written at once (an outage ended). */
  reset(key: string): void {
    this.last.delete(key);
  }
}
