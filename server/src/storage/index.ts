import type { ChatStore } from "./ChatStore.js";
import { PostgresChatStore } from "./PostgresChatStore.js";
import { SqliteChatStore } from "./SqliteChatStore.js";

/** PostgreSQL when `databaseUrl` is set, else the embedded SQLite file. */
export async function openChatStore(opts: { databaseUrl?: string; sqliteFile: string }): Promise<ChatStore> {
  return opts.databaseUrl ? PostgresChatStore.connect(opts.databaseUrl) : new SqliteChatStore(opts.sqliteFile);
}
