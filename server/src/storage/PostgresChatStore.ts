import pg from "pg";
import { messageIdOf, messageSeq } from "@earshot/protocol";
import type { ChatMessage } from "@earshot/protocol";
import type { ChatStore, NewChatMessage } from "./ChatStore.js";

interface Row {
  seq: string | number;
  sender: string;
  name: string;
  content: string;
  ts: string | number;
}

const toMessage = (r: Row): ChatMessage => ({
  messageId: messageIdOf(Number(r.seq)),
  from: r.sender,
  name: r.name,
  content: r.content,
  timestamp: Number(r.ts),
});

const MIGRATIONS = `
  CREATE TABLE IF NOT EXISTS earshot_zone_seq (zone TEXT PRIMARY KEY, last BIGINT NOT NULL);
  CREATE TABLE IF NOT EXISTS earshot_messages (
    zone TEXT NOT NULL, seq BIGINT NOT NULL, sender TEXT NOT NULL, name TEXT NOT NULL,
    content TEXT NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY (zone, seq)
  );`;

/**
 * Chat history in PostgreSQL, shared by every process. The per-zone counter is bumped with an
 * atomic upsert in the same statement that inserts the message, so two processes never get
 * the same id.
 */
export class PostgresChatStore implements ChatStore {
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and runs the migrations. */
  static async connect(url: string): Promise<PostgresChatStore> {
    const pool = new pg.Pool({ connectionString: url, max: 5 });
    try {
      // Concurrent starts would race on CREATE TABLE; an advisory lock serialises them.
      const client = await pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock(727373)");
        await client.query(MIGRATIONS);
        await client.query("SELECT pg_advisory_unlock(727373)");
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresChatStore(pool);
  }

  async append(zoneId: string, m: NewChatMessage): Promise<ChatMessage> {
    const { rows } = await this.pool.query<{ seq: string }>(
      `WITH s AS (
         INSERT INTO earshot_zone_seq (zone, last) VALUES ($1, 1)
         ON CONFLICT (zone) DO UPDATE SET last = earshot_zone_seq.last + 1 RETURNING last)
       INSERT INTO earshot_messages (zone, seq, sender, name, content, ts)
       SELECT $1, s.last, $2, $3, $4, $5 FROM s RETURNING seq`,
      [zoneId, m.from, m.name, m.content, m.timestamp],
    );
    return { messageId: messageIdOf(Number(rows[0]!.seq)), ...m };
  }

  async recent(zoneId: string, limit: number): Promise<ChatMessage[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM (SELECT seq, sender, name, content, ts FROM earshot_messages
         WHERE zone = $1 ORDER BY seq DESC LIMIT $2) r ORDER BY seq`,
      [zoneId, limit],
    );
    return rows.map(toMessage);
  }

  async after(zoneId: string, messageId: string | null | undefined, limit: number): Promise<ChatMessage[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT seq, sender, name, content, ts FROM earshot_messages
         WHERE zone = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [zoneId, messageSeq(messageId) ?? 0, limit],
    );
    return rows.map(toMessage);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
