import type { ChatMessage } from "@earshot/protocol";
import { StoreUnavailableError } from "./ChatStore.js";
import type { AuditEntry, ChatStore, NewChatMessage, NewReport, Report } from "./ChatStore.js";

/** How often a store that is down is probed, and the `retryAfterMs` clients are given. */
export const STORE_RETRY_MS = 1_000;

/** Options of {@link GuardedStore}. */
export interface GuardedStoreOptions {
  /** Probe interval while down, and the wait clients are told. Default {@link STORE_RETRY_MS}. */
  retryMs?: number;
  /** One line when an outage starts and one when it ends. */
  log?: (line: string) => void;
  now?: () => number;
}

/**
 * A {@link ChatStore} that survives its database. The first {@link StoreUnavailableError}
 * marks it down (logged once); from then on calls fail at once, without touching the
 * database, until a probe (`ping`, every `retryMs`) succeeds. Failing fast while down keeps
 * order: a chat can't be stored while an earlier one of the same zone is being refused.
 */
export class GuardedStore implements ChatStore {
  private downSince?: number;
  private reason = "";
  private probe?: ReturnType<typeof setInterval>;
  private probing = false;
  private lastCheck = Number.NEGATIVE_INFINITY;
  private checking?: Promise<boolean>;
  private closed = false;
  readonly retryMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;

  constructor(
    readonly inner: ChatStore,
    options: GuardedStoreOptions = {},
  ) {
    this.retryMs = options.retryMs ?? STORE_RETRY_MS;
    this.log = options.log ?? ((line) => console.warn(line));
    this.now = options.now ?? Date.now;
    inner.onUnavailable = (cause) => this.markDown(cause);
  }

  /** False while the store is known to be down. */
  get up(): boolean {
    return this.downSince === undefined;
  }

  append(zoneId: string, message: NewChatMessage): Promise<ChatMessage> {
    return this.call(() => this.inner.append(zoneId, message));
  }

  recent(zoneId: string, limit: number): Promise<ChatMessage[]> {
    return this.call(() => this.inner.recent(zoneId, limit));
  }

  after(zoneId: string, messageId: string | null | undefined, limit: number): Promise<ChatMessage[]> {
    return this.call(() => this.inner.after(zoneId, messageId, limit));
  }

  ping(): Promise<void> {
    return this.call(() => this.inner.ping());
  }

  addReport(report: NewReport): Promise<Report> {
    return this.call(() => this.inner.addReport(report));
  }

  reports(options: { open?: boolean; limit: number }): Promise<Report[]> {
    return this.call(() => this.inner.reports(options));
  }

  resolveReport(reportId: string, by: string, at: number): Promise<boolean> {
    return this.call(() => this.inner.resolveReport(reportId, by, at));
  }

  addAudit(entry: AuditEntry): Promise<void> {
    return this.call(() => this.inner.addAudit(entry));
  }

  audit(limit: number): Promise<AuditEntry[]> {
    return this.call(() => this.inner.audit(limit));
  }

  blocksOf(userId: string): Promise<string[]> {
    return this.call(() => this.inner.blocksOf(userId));
  }

  setBlock(blocker: string, blocked: string, on: boolean): Promise<void> {
    return this.call(() => this.inner.setBlock(blocker, blocked, on));
  }

  /**
   * Whether the store works now, for `/healthz`: while up, a ping at most once per `retryMs`
   * (an idle store's outage is found without a chat); while down, false.
   */
  check(): Promise<boolean> {
    if (!this.up) return Promise.resolve(false);
    if (this.now() - this.lastCheck < this.retryMs) return Promise.resolve(true);
    this.checking ??= this.ping()
      .then(
        () => true,
        () => false,
      )
      .finally(() => {
        this.lastCheck = this.now();
        this.checking = undefined;
      });
    return this.checking;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    await this.inner.close();
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    if (!this.up) throw new StoreUnavailableError(`the chat store is unavailable: ${this.reason}`);
    try {
      return await work();
    } catch (err) {
      if (err instanceof StoreUnavailableError) this.markDown(err);
      throw err;
    }
  }

  private markDown(cause: StoreUnavailableError): void {
    if (!this.up || this.closed) return;
    this.downSince = this.now();
    this.reason = cause.message;
    this.log(`[earshot] chat store unavailable (${cause.message}); chats get store_unavailable until it is back`);
    this.probe = setInterval(() => void this.tryRecover(), this.retryMs);
    this.probe.unref();
  }

  private async tryRecover(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    try {
      await this.inner.ping();
      const downMs = this.now() - (this.downSince ?? this.now());
      clearInterval(this.probe);
      this.downSince = undefined;
      this.lastCheck = this.now();
      this.log(`[earshot] chat store is back after ${(downMs / 1000).toFixed(1)} s`);
    } catch {
      // Still down: the next probe tries again.
    } finally {
      this.probing = false;
    }
  }
}
