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
  /** Closes the connection; safe twice. */
  close(): Promise<void>;
}
