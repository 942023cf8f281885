/**
 * Who may call `/matchmake` and open the WebSocket from a browser. Patterns are origins
 * (`https://game.example.com`) where `*` matches any run of characters (`http://localhost:*`).
 * The server's own origin (the request's Host) is always allowed, and so is a request without
 * an Origin header: only browsers send one, and only browsers can be tricked into sending one.
 */
export class OriginPolicy {
  private readonly patterns: RegExp[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map(
      (p) =>
        new RegExp(
          `^${p
            .split("*")
            .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
            .join("[^/]*")}$`,
          "i",
        ),
    );
  }

  /** True when a request with this Origin and Host header may go on. */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (host !== undefined) {
      try {
        if (new URL(origin).host.toLowerCase() === host.toLowerCase()) return true;
      } catch {
        return false;
      }
    }
    return this.patterns.some((p) => p.test(origin));
  }
}
