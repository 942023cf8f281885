import type { ChatMessage } from "@earshot/protocol";

/** A message before the store gives it an id. */
export interface NewChatMessage {
  from: string;
  name: string;
  content: string;
  timestamp: number;
}

/**
 * Chat history of every zone. Ids are `msg_<n>`, increasing per zone and never reused, also
 * across restarts and across processes sharing the store. Implementations: SQLite (embedded
 * default) and PostgreSQL (`DATABASE_URL`); both pass `test/unit/storage.suite.ts`.
 */
export interface ChatStore {
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
