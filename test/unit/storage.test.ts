import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { messageSeq } from "@earshot/protocol";
import { PostgresChatStore, SqliteChatStore } from "@earshot/server";
import type { ChatStore } from "@earshot/server";
import { tempDb } from "../helpers/server.js";
import { describeWithService, POSTGRES_URL } from "../helpers/services.js";

/** One contract, every store. */
function chatStoreSuite(open: () => Promise<ChatStore>, reopen?: (old: ChatStore) => Promise<ChatStore>) {
  let store: ChatStore;
  // Unique zones per run, so a shared database (PostgreSQL) needs no cleanup.
  const zone = (name: string) => `${name}-${randomBytes(4).toString("hex")}`;
  const msg = (content: string) => ({ from: "guest_1", name: "Ann", content, timestamp: 1_700_000_000_000 });
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store.close();
    await store.close(); // safe twice
  });

  test("ids are msg_<n>, increasing per zone, independent between zones", async () => {
    const a = zone("a");
    const b = zone("b");
    const ids = [await store.append(a, msg("1")), await store.append(a, msg("2")), await store.append(b, msg("x"))];
    expect(ids.map((m) => m.messageId)).toEqual(["msg_1", "msg_2", "msg_1"]);
    expect(ids[0]).toMatchObject({ from: "guest_1", name: "Ann", content: "1", timestamp: 1_700_000_000_000 });
  });

  test("recent returns the last n, oldest first", async () => {
    const z = zone("recent");
    for (let i = 0; i < 60; i++) await store.append(z, msg(`m${i}`));
    const recent = await store.recent(z, 50);
    expect(recent).toHaveLength(50);
    expect(recent[0]!.content).toBe("m10");
    expect(recent.at(-1)!.content).toBe("m59");
    expect(await store.recent(zone("empty"), 50)).toEqual([]);
  });

  test("after returns what follows an id, in order; unknown ids mean from the start", async () => {
    const z = zone("after");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await store.append(z, msg(`m${i}`))).messageId);
    expect((await store.after(z, ids[1], 100)).map((m) => m.messageId)).toEqual(ids.slice(2));
    expect(await store.after(z, ids[4], 100)).toEqual([]);
    expect((await store.after(z, null, 100)).map((m) => m.messageId)).toEqual(ids);
    expect((await store.after(z, "garbage", 100)).map((m) => m.messageId)).toEqual(ids);
    expect((await store.after(z, ids[0], 2)).map((m) => m.messageId)).toEqual(ids.slice(1, 3));
  });

  test("reports: stored with their context, listed newest first, resolved once", async () => {
    const z = zone("reports");
    const target = `troll-${z}`;
    const context = [
      { messageId: "msg_1", from: target, name: "Troll", content: "<b>spam</b>", timestamp: 1 },
      { messageId: "msg_2", from: "ann", name: "Ann", content: "stop", timestamp: 2 },
    ];
    const first = await store.addReport({
      zoneId: z,
      reporter: "ann",
      target,
      reason: "spam",
      messageId: "msg_1",
      context,
      createdAt: 10,
    });
    const second = await store.addReport({
      zoneId: z,
      reporter: "bob",
      target,
      reason: "rude",
      context: [],
      createdAt: 11,
    });
    expect(first.reportId).toMatch(/^report_\d+$/);
    expect(second.reportId).not.toBe(first.reportId);
    const mine = <T extends { target: string }>(list: T[]) => list.filter((r) => r.target === target);
    const listed = mine(await store.reports({ limit: 500 }));
    expect(listed).toEqual([second, first]); // newest first, context and message id as given
    expect(listed[1]).toMatchObject({ context, messageId: "msg_1", resolvedAt: null, resolvedBy: null });
    expect(await store.resolveReport(first.reportId, "admin", 20)).toBe(true);
    expect(await store.resolveReport(first.reportId, "admin", 21)).toBe(false); // once
    expect(await store.resolveReport("report_x", "admin", 21)).toBe(false);
    expect(mine(await store.reports({ open: true, limit: 500 })).map((r) => r.reportId)).toEqual([second.reportId]);
    expect(mine(await store.reports({ limit: 500 }))[1]).toMatchObject({ resolvedAt: 20, resolvedBy: "admin" });
  });

  test("the audit keeps every action, newest first; blocks are per blocker and idempotent", async () => {
    const target = zone("target");
    await store.addAudit({ by: "mod", action: "mute", target, zoneId: "events", reason: "loud", until: 99, at: 1 });
    await store.addAudit({ by: "admin", action: "ban", target, at: 2 });
    const entries = (await store.audit(500)).filter((e) => e.target === target);
    expect(entries).toEqual([
      { by: "admin", action: "ban", target, at: 2 },
      { by: "mod", action: "mute", target, zoneId: "events", reason: "loud", until: 99, at: 1 },
    ]);
    const blocker = zone("blocker");
    await store.setBlock(blocker, "b", true);
    await store.setBlock(blocker, "a", true);
    await store.setBlock(blocker, "a", true);
    expect(await store.blocksOf(blocker)).toEqual(["a", "b"]);
    await store.setBlock(blocker, "a", false);
    expect(await store.blocksOf(blocker)).toEqual(["b"]);
    expect(await store.blocksOf("b")).toEqual([]);
  });

  test("concurrent appends get distinct, gapless ids", async () => {
    const z = zone("concurrent");
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => store.append(z, msg(`c${i}`))));
    const seqs = got.map((m) => messageSeq(m.messageId)!).sort((p, q) => p - q);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  test("content is stored as given, including characters that look like HTML or SQL", async () => {
    const z = zone("text");
    const content = `<img src=x onerror=alert(1)> '); DROP TABLE messages; -- ✓ 日本`;
    await store.append(z, msg(content));
    expect((await store.recent(z, 1))[0]!.content).toBe(content);
  });

  if (reopen) {
    test("ids continue after reopening, never reused", async () => {
      const z = zone("reopen");
      await store.append(z, msg("1"));
      await store.append(z, msg("2"));
      store = await reopen(store);
      expect((await store.append(z, msg("3"))).messageId).toBe("msg_3");
      expect((await store.recent(z, 10)).map((m) => m.content)).toEqual(["1", "2", "3"]);
    });
  }
}

describe("SqliteChatStore", () => {
  const file = tempDb();
  chatStoreSuite(
    () => Promise.resolve(new SqliteChatStore(file)),
    async (old) => {
      await old.close();
      return new SqliteChatStore(file);
    },
  );
});

await describeWithService("PostgreSQL", POSTGRES_URL, "PostgresChatStore", () => {
  chatStoreSuite(
    () => PostgresChatStore.connect(POSTGRES_URL),
    async (old) => {
      await old.close();
      return PostgresChatStore.connect(POSTGRES_URL);
    },
  );
});
