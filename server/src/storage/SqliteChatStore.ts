import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { messageIdOf, messageSeq } from "@earshot/protocol";
import type { ChatMessage } from "@earshot/protocol";
import { StoreUnavailableError } from "./ChatStore.js";
import type { AuditEntry, ChatStore, NewChatMessage, NewReport, Report } from "./ChatStore.js";
import { reportIdOf, reportSeq, toAudit, toReport } from "./rows.js";
import type { AuditRow, ReportRow } from "./rows.js";

/** SQLite result codes that mean "can't write here now", not a bug: full, read-only, I/O, locked. */
const OUTAGE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|PROTOCOL)/;

/** Runs a statement; an outage becomes {@link StoreUnavailableError}, anything else is rethrown. */
async function guard<T>(work: () => T): Promise<T> {
  try {
    return await Promise.resolve(work());
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && OUTAGE.test(code))
      throw new StoreUnavailableError(`SQLite: ${(err as Error).message} (${code})`, { cause: err });
    throw err;
  }
}

interface Row {
  seq: number;
  sender: string;
  name: string;
  content: string;
  ts: number;
}

const toMessage = (r: Row): ChatMessage => ({
  messageId: messageIdOf(r.seq),
  from: r.sender,
  name: r.name,
  content: r.content,
  timestamp: r.ts,
});

/** The embedded default store: one SQLite file in WAL mode. */
export class SqliteChatStore implements ChatStore {
  private readonly db: Database.Database;
  private readonly insert: (zone: string, m: NewChatMessage) => number;
  private readonly recentStmt: Database.Statement<[string, number], Row>;
  private readonly afterStmt: Database.Statement<[string, number, number], Row>;
  private readonly heartbeat: Database.Statement<[number]>;

  /** @param file path of the database file, created with its folder; `:memory:` for tests. */
  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS zone_seq (zone TEXT PRIMARY KEY, last INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS messages (
        zone TEXT NOT NULL, seq INTEGER NOT NULL, sender TEXT NOT NULL, name TEXT NOT NULL,
        content TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (zone, seq)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS heartbeat (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT, zone TEXT NOT NULL, reporter TEXT NOT NULL, target TEXT NOT NULL,
        reason TEXT NOT NULL, message_id TEXT, context TEXT NOT NULL, created_at INTEGER NOT NULL,
        resolved_at INTEGER, resolved_by TEXT);
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, by_user TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
        zone TEXT, reason TEXT, until INTEGER, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS blocks (
        blocker TEXT NOT NULL, blocked TEXT NOT NULL, PRIMARY KEY (blocker, blocked)) WITHOUT ROWID;`);
    this.heartbeat = this.db.prepare("INSERT OR REPLACE INTO heartbeat (id, ts) VALUES (1, ?)");
    // The counter lives apart from the messages, so deleting messages never frees an id.
    const bump = this.db.prepare<[string], { last: number }>(
      "INSERT INTO zone_seq (zone, last) VALUES (?, 1) ON CONFLICT(zone) DO UPDATE SET last = last + 1 RETURNING last",
    );
    const add = this.db.prepare(
      "INSERT INTO messages (zone, seq, sender, name, content, ts) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.insert = this.db.transaction((zone: string, m: NewChatMessage) => {
      const seq = bump.get(zone)!.last;
      add.run(zone, seq, m.from, m.name, m.content, m.timestamp);
      return seq;
    });
    this.recentStmt = this.db.prepare(
      "SELECT * FROM (SELECT seq, sender, name, content, ts FROM messages WHERE zone = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
    );
    this.afterStmt = this.db.prepare(
      "SELECT seq, sender, name, content, ts FROM messages WHERE zone = ? AND seq > ? ORDER BY seq LIMIT ?",
    );
  }

  append(zoneId: string, message: NewChatMessage): Promise<ChatMessage> {
    return guard(() => ({ messageId: messageIdOf(this.insert(zoneId, message)), ...message }));
  }

  recent(zoneId: string, limit: number): Promise<ChatMessage[]> {
    return guard(() => this.recentStmt.all(zoneId, limit).map(toMessage));
  }

  after(zoneId: string, messageId: string | null | undefined, limit: number): Promise<ChatMessage[]> {
    return guard(() => this.afterStmt.all(zoneId, messageSeq(messageId) ?? 0, limit).map(toMessage));
  }

  addReport(r: NewReport): Promise<Report> {
    return guard(() => {
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO reports (zone, reporter, target, reason, message_id, context, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(r.zoneId, r.reporter, r.target, r.reason, r.messageId ?? null, JSON.stringify(r.context), r.createdAt);
      return { ...r, reportId: reportIdOf(lastInsertRowid), resolvedAt: null, resolvedBy: null };
    });
  }

  reports({ open = false, limit }: { open?: boolean; limit: number }): Promise<Report[]> {
    return guard(() =>
      this.db
        .prepare<[number], ReportRow>(
          `SELECT * FROM reports ${open ? "WHERE resolved_at IS NULL" : ""} ORDER BY id DESC LIMIT ?`,
        )
        .all(limit)
        .map(toReport),
    );
  }

  resolveReport(reportId: string, by: string, at: number): Promise<boolean> {
    const id = reportSeq(reportId);
    return guard(
      () =>
        id !== undefined &&
        this.db
          .prepare("UPDATE reports SET resolved_at = ?, resolved_by = ? WHERE id = ? AND resolved_at IS NULL")
          .run(at, by, id).changes === 1,
    );
  }

  addAudit(e: AuditEntry): Promise<void> {
    return guard(
      () =>
        void this.db
          .prepare("INSERT INTO audit (by_user, action, target, zone, reason, until, at) VALUES (?, ?, ?, ?, ?, ?, ?)")
          .run(e.by, e.action, e.target, e.zoneId ?? null, e.reason ?? null, e.until ?? null, e.at),
    );
  }

  audit(limit: number): Promise<AuditEntry[]> {
    return guard(() =>
      this.db.prepare<[number], AuditRow>("SELECT * FROM audit ORDER BY id DESC LIMIT ?").all(limit).map(toAudit),
    );
  }

  blocksOf(userId: string): Promise<string[]> {
    return guard(() =>
      this.db
        .prepare<[string], { blocked: string }>("SELECT blocked FROM blocks WHERE blocker = ? ORDER BY blocked")
        .all(userId)
        .map((r) => r.blocked),
    );
  }

  setBlock(blocker: string, blocked: string, on: boolean): Promise<void> {
    return guard(
      () =>
        void this.db
          .prepare(
            on
              ? "INSERT OR IGNORE INTO blocks (blocker, blocked) VALUES (?, ?)"
              : "DELETE FROM blocks WHERE blocker = ? AND blocked = ?",
          )
          .run(blocker, blocked),
    );
  }

  /** A real write (a heartbeat row): reading works on a full or read-only disk, writing doesn't. */
  ping(): Promise<void> {
    return guard(() => void this.heartbeat.run(Date.now()));
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
