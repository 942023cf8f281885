import pg from "pg";
import { messageIdOf, messageSeq } from "@earshot/protocol";
import type { ChatMessage } from "@earshot/protocol";
import { StoreUnavailableError } from "./ChatStore.js";
import type { AuditEntry, ChatStore, NewChatMessage, NewReport, Report } from "./ChatStore.js";
import { reportIdOf, reportSeq, toAudit, toReport } from "./rows.js";
import type { AuditRow, ReportRow } from "./rows.js";

/**
 * A lost or refused connection, or a server shutting down or out of resources (SQLSTATE
 * classes 08, 53, 57): an outage. Errors with another SQLSTATE are bugs and are rethrown.
 */
function isOutage(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return /^(08|53|57)/.test(code);
  return true; // no SQLSTATE: the socket failed (ECONNREFUSED, "Connection terminated", a timeout)
}

const unavailable = (err: unknown) =>
  new StoreUnavailableError(`PostgreSQL: ${(err as Error).message || String(err)}`, { cause: err });

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
  );
  CREATE TABLE IF NOT EXISTS earshot_reports (
    id BIGSERIAL PRIMARY KEY, zone TEXT NOT NULL, reporter TEXT NOT NULL, target TEXT NOT NULL,
    reason TEXT NOT NULL, message_id TEXT, context JSONB NOT NULL, created_at BIGINT NOT NULL,
    resolved_at BIGINT, resolved_by TEXT);
  CREATE TABLE IF NOT EXISTS earshot_audit (
    id BIGSERIAL PRIMARY KEY, by_user TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    zone TEXT, reason TEXT, until BIGINT, at BIGINT NOT NULL);
  CREATE TABLE IF NOT EXISTS earshot_blocks (
    blocker TEXT NOT NULL, blocked TEXT NOT NULL, PRIMARY KEY (blocker, blocked));`;

/**
 * Chat history in PostgreSQL, shared by every process. The per-zone counter is bumped with an
 * atomic upsert in the same statement that inserts the message, so two processes never get
 * the same id.
 */
export class PostgresChatStore implements ChatStore {
  private closed = false;
  private migrated?: Promise<void>;
  onUnavailable?: (cause: StoreUnavailableError) => void;

  private constructor(private readonly pool: pg.Pool) {
    // An idle connection that the server closes (a restart: 57P01) is reported here; unheard,
    // it would crash the process.
    pool.on("error", (err) => this.onUnavailable?.(unavailable(err)));
  }

  /**
   * Connects and runs the migrations. When PostgreSQL is unreachable the store still opens,
   * down: calls fail with {@link StoreUnavailableError} and the migrations run once it answers.
   */
  static async connect(url: string): Promise<PostgresChatStore> {
    const store = new PostgresChatStore(
      new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 30_000 }),
    );
    try {
      await store.ready();
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) {
        await store.close();
        throw err;
      }
    }
    return store;
  }

  /** Runs the migrations once (again after a failed try). */
  private ready(): Promise<void> {
    this.migrated ??= this.run(async () => {
      // Concurrent starts would race on CREATE TABLE; an advisory lock serialises them.
      const client = await this.pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock(727373)");
        await client.query(MIGRATIONS);
        await client.query("SELECT pg_advisory_unlock(727373)");
      } finally {
        client.release();
      }
    }).catch((err: unknown) => {
      this.migrated = undefined;
      throw err;
    });
    return this.migrated;
  }

  /** Runs database work; an outage becomes {@link StoreUnavailableError}. */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw isOutage(err) ? unavailable(err) : err;
    }
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    await this.ready();
    return this.run(async () => (await this.pool.query<R>(sql, params)).rows);
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1", []);
  }

  async append(zoneId: string, m: NewChatMessage): Promise<ChatMessage> {
    const rows = await this.query<{ seq: string }>(
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
    const rows = await this.query<Row>(
      `SELECT * FROM (SELECT seq, sender, name, content, ts FROM earshot_messages
         WHERE zone = $1 ORDER BY seq DESC LIMIT $2) r ORDER BY seq`,
      [zoneId, limit],
    );
    return rows.map(toMessage);
  }

  async after(zoneId: string, messageId: string | null | undefined, limit: number): Promise<ChatMessage[]> {
    const rows = await this.query<Row>(
      `SELECT seq, sender, name, content, ts FROM earshot_messages
         WHERE zone = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [zoneId, messageSeq(messageId) ?? 0, limit],
    );
    return rows.map(toMessage);
  }

  async addReport(r: NewReport): Promise<Report> {
    const rows = await this.query<{ id: string }>(
      `INSERT INTO earshot_reports (zone, reporter, target, reason, message_id, context, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [r.zoneId, r.reporter, r.target, r.reason, r.messageId ?? null, JSON.stringify(r.context), r.createdAt],
    );
    return { ...r, reportId: reportIdOf(rows[0]!.id), resolvedAt: null, resolvedBy: null };
  }

  async reports({ open = false, limit }: { open?: boolean; limit: number }): Promise<Report[]> {
    const rows = await this.query<ReportRow>(
      `SELECT * FROM earshot_reports ${open ? "WHERE resolved_at IS NULL" : ""} ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toReport);
  }

  async resolveReport(reportId: string, by: string, at: number): Promise<boolean> {
    const id = reportSeq(reportId);
    if (id === undefined) return false;
    const rows = await this.query<{ id: string }>(
      "UPDATE earshot_reports SET resolved_at = $1, resolved_by = $2 WHERE id = $3 AND resolved_at IS NULL RETURNING id",
      [at, by, id],
    );
    return rows.length === 1;
  }

  async addAudit(e: AuditEntry): Promise<void> {
    await this.query(
      "INSERT INTO earshot_audit (by_user, action, target, zone, reason, until, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [e.by, e.action, e.target, e.zoneId ?? null, e.reason ?? null, e.until ?? null, e.at],
    );
  }

  async audit(limit: number): Promise<AuditEntry[]> {
    return (await this.query<AuditRow>("SELECT * FROM earshot_audit ORDER BY id DESC LIMIT $1", [limit])).map(toAudit);
  }

  async blocksOf(userId: string): Promise<string[]> {
    const rows = await this.query<{ blocked: string }>(
      "SELECT blocked FROM earshot_blocks WHERE blocker = $1 ORDER BY blocked",
      [userId],
    );
    return rows.map((r) => r.blocked);
  }

  async setBlock(blocker: string, blocked: string, on: boolean): Promise<void> {
    await this.query(
      on
        ? "INSERT INTO earshot_blocks (blocker, blocked) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        : "DELETE FROM earshot_blocks WHERE blocker = $1 AND blocked = $2",
      [blocker, blocked],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
