import type { ChatMessage } from "@earshot/protocol";

/** A message before the store gives it an id. */
export interface NewChatMessage {
  from: string;
  name: string;
  content: string;
  timestamp: number;
}

/** A report before the store gives it an id. */
export interface NewReport {
  zoneId: string;
  /** User ids of who reported and whom. */
  reporter: string;
  target: string;
  reason: string;
  /** The chat message the report is about, if any. */
  messageId?: string;
  /** The zone's last chat messages when the report was made. */
  context: ChatMessage[];
  createdAt: number;
}
export interface Report extends NewReport {
  reportId: string;
  /** When an admin resolved it, and who; null while open. */
  resolvedAt: number | null;
  resolvedBy: string | null;
}

/** One moderation action (a `moderate`, a ban or role change through the admin API). */
export interface AuditEntry {
  /** User id of the moderator, or `admin` for the admin API. */
  by: string;
  action: string;
  /** User id acted on. */
  target: string;
  zoneId?: string;
  reason?: string;
  /** When a timed action ends (epoch ms). */
  until?: number | null;
  at: number;
}

/**
 * What moderation keeps: reports, the audit trail and signed-in users' blocks. Part of every
 * {@link ChatStore}, in the same database and migrations.
 */
export interface ModerationStore {
  addReport(report: NewReport): Promise<Report>;
  /** Reports, newest first; only the open ones when `open`. */
  reports(options: { open?: boolean; limit: number }): Promise<Report[]>;
  /** Marks a report resolved; false when there is no such open report. */
  resolveReport(reportId: string, by: string, at: number): Promise<boolean>;
  addAudit(entry: AuditEntry): Promise<void>;
  /** The audit trail, newest first. */
  audit(limit: number): Promise<AuditEntry[]>;
  /** User ids `userId` blocks. */
  blocksOf(userId: string): Promise<string[]>;
  setBlock(blocker: string, blocked: string, on: boolean): Promise<void>;
}

/**
 * Chat history of every zone. Ids are `msg_<n>`, increasing per zone and never reused, also
 * across restarts and across processes sharing the store. Implementations: SQLite (embedded
 * default) and PostgreSQL (`DATABASE_URL`); both pass `test/unit/storage.suite.ts`.
 */
export interface ChatStore extends ModerationStore {
  /** Stores a message and returns it with its new id. */
  append(zoneId: string, message: NewChatMessage): Promise<ChatMessage>;
  /** The last `limit` messages of a zone, oldest first. */
  recent(zoneId: string, limit: number): Promise<ChatMessage[]>;
  /**
   * Messages after `messageId`, oldest first, at most `limit`. An unknown or malformed id
   * counts as "before the first message".
   */
  after(zoneId: string, messageId: string | null | undefined, limit: number): Promise<ChatMessage[]>;
  /**
   * Resolves when the store can take a write now; throws {@link StoreUnavailableError} when it
   * can't. Used to find out when an outage is over.
   */
  ping(): Promise<void>;
  /**
   * Set by whoever watches the store (`GuardedStore`): called when the store finds out by
   * itself that it lost its database (a dropped idle connection), before any call fails.
   */
  onUnavailable?: (cause: StoreUnavailableError) => void;
  /** Closes the connection; safe twice. */
  close(): Promise<void>;
}

/**
 * The store could not be reached or written (a connection refused or lost, a full or read-only
 * disk). Nothing was stored; the same call may succeed later. Any other error is a bug.
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
