import { expect, test } from "vitest";
import { messageSeq } from "@earshot/protocol";
import { join, tempDb } from "../helpers/server.js";
import { spawnServer, stop } from "../helpers/process.js";

test("history survives a server restart on the same database file, and ids continue", async () => {
  const db = tempDb();
  const first = await spawnServer({ EARSHOT_DB: db });
  const a = await join(first.url, "events", "Alice");
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    a.room.send("chat", { content: `before restart ${i}`, clientMessageId: String(i) });
    ids.push((await a.inbox.next("message_ack", (m) => m.clientMessageId === String(i))).messageId);
  }
  // A hard kill: nothing gets a chance to flush on the way out.
  await stop(first.proc, "SIGKILL");

  const second = await spawnServer({ EARSHOT_DB: db });
  try {
    const b = await join(second.url, "events", "Bob");
    expect(b.joined.history.map((m) => m.messageId)).toEqual(ids);
    b.room.send("chat", { content: "after restart", clientMessageId: "x" });
    const ack = await b.inbox.next("message_ack");
    expect(messageSeq(ack.messageId)).toBe(messageSeq(ids.at(-1))! + 1);
    await b.room.leave();
  } finally {
    await stop(second.proc);
  }
});
