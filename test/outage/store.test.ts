import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import pg from "pg";
import Database from "better-sqlite3";
import { ErrorCode } from "@earshot/protocol";
import type { ChatStatus } from "@earshot/client";
import { Bot, eventually } from "../helpers/bot.js";
import { spawnServer, stop } from "../helpers/process.js";
import { PrivatePostgres, SmallDisk, describeIf, postgresMissing, smallDiskMissing } from "../helpers/instances.js";

const OUTAGE_MS = 10_000;

interface Outage {
  /** Environment of the server process (its store). */
  env: Record<string, string>;
  breakStore(): void | Promise<void>;
  fixStore(): void | Promise<void>;
  /** Contents of the zone's stored messages, in id order. */
  stored(zone: string): Promise<string[]>;
}

/**
 * The acceptance of a store outage, for either store: two people chat and two talk while the
 * store is down for 10 s. The server stays up, the voice link stays, chats wait (pending,
 * `store_unavailable`) and are delivered once each, in order, when the store is back;
 * `/healthz` goes 503 and back to 200, and the outage is logged once.
 */
function outageScenario(setup: () => Promise<Outage>) {
  let outage: Outage;
  let server: { proc: ChildProcess; url: string; output: () => string };
  const bots: Bot[] = [];
  beforeAll(async () => {
    outage = await setup();
    server = await spawnServer({ TICK_MS: "50", ALLOW_CLIENT_SPAWN: "true", ...outage.env });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(bots.map((b) => b.close()));
    if (server) await stop(server.proc);
  });

  test("the server, its rooms and voice carry on; chats wait and arrive once each, in order", async () => {
    const zone = "outage";
    const health = async () => (await fetch(`${server.url}/healthz`)).status;
    const [ann, bob, talkA, talkB] = [
      new Bot(server.url, "Ann", 440),
      new Bot(server.url, "Bob", 440),
      new Bot(server.url, "TalkA", 440),
      new Bot(server.url, "TalkB", 880),
    ];
    bots.push(ann, bob, talkA, talkB);
    await ann.client.join(zone);
    await bob.client.join(zone);
    await talkA.enter(zone, 30);
    await talkB.enter(zone, 33);
    await eventually(() => talkA.hearsLinkedPeer(880) && talkB.hearsLinkedPeer(440), 20_000, "the two talkers");
    const closed: string[] = [];
    talkA.client.on("peerClosed", (id) => closed.push(id));
    talkB.client.on("peerClosed", (id) => closed.push(id));
    expect((await ann.client.sendChat("before").done).status).toBe("delivered");
    expect(await health()).toBe(200);

    const retrying: string[] = [];
    ann.client.on("chatStatus", (s: ChatStatus) => {
      if (s.status === "pending" && s.retrying?.code === ErrorCode.StoreUnavailable) retrying.push(s.content);
    });
    await outage.breakStore();
    const sent: Promise<ChatStatus>[] = [];
    const brokenAt = Date.now();
    // Once a second, as a person chats, for the length of the outage.
    for (let i = 1; Date.now() - brokenAt < OUTAGE_MS; i++) {
      sent.push(ann.client.sendChat(`during ${i}`).done);
      await new Promise((r) => setTimeout(r, 1_000)); // the chatter's pace
    }
    expect(await health()).toBe(503);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: false, store: "down" });
    expect(retrying.length).toBeGreaterThan(0);
    // Meanwhile: rooms, presence and voice work.
    expect(server.proc.exitCode).toBeNull();
    const late = new Bot(server.url, "Late", 440);
    bots.push(late);
    await late.client.join(zone);
    expect(talkA.hearsLinkedPeer(880) && talkB.hearsLinkedPeer(440)).toBe(true);
    const held = sent.length;

    await outage.fixStore();
    const results = await Promise.all(sent);
    expect(results.map((r) => r.status)).toEqual(Array(held).fill("delivered"));
    await eventually(async () => (await health()) === 200, 10_000, "/healthz 200 again");
    const expected = ["before", ...Array.from({ length: held }, (_, i) => `during ${i + 1}`)];
    await eventually(
      () => bob.client.messages.filter((m) => m.content !== "after").length === expected.length,
      10_000,
      "Bob to receive every chat",
    );
    expect(bob.client.messages.map((m) => m.content)).toEqual(expected);
    expect(await outage.stored(zone)).toEqual(expected);
    expect((await bob.client.sendChat("after").done).status).toBe("delivered");

    expect(closed).toEqual([]);
    expect(talkA.hearsLinkedPeer(880) && talkB.hearsLinkedPeer(440)).toBe(true);
    expect(server.proc.exitCode).toBeNull();
    const out = server.output();
    console.log(
      `${held} chats held during ${OUTAGE_MS / 1000} s, all delivered in order; log:\n${out
        .split("\n")
        .filter((l) => l.includes("chat store"))
        .join("\n")}`,
    );
    expect(out.match(/chat store unavailable/g)?.length).toBe(1);
    expect(out.match(/chat store is back/g)?.length).toBe(1);
  }, 120_000);
}

describeIf(postgresMissing(), "PostgreSQL stopped for 10 s", () => {
  let db: PrivatePostgres | undefined;
  outageScenario(async () => {
    db = await PrivatePostgres.create();
    const url = db.url;
    return {
      env: { DATABASE_URL: url },
      breakStore: () => db!.stop(),
      fixStore: () => db!.start(),
      stored: async (zone) => {
        const client = new pg.Client(url);
        await client.connect();
        try {
          const { rows } = await client.query<{ content: string }>(
            "SELECT content FROM earshot_messages WHERE zone = $1 ORDER BY seq",
            [zone],
          );
          return rows.map((r) => r.content);
        } finally {
          await client.end();
        }
      },
    };
  });
  // Restored (and removed) even when a test failed.
  afterAll(() => db?.destroy());
});

describeIf(smallDiskMissing(), "SQLite's disk full for 10 s", () => {
  let disk: SmallDisk | undefined;
  outageScenario(() => {
    disk = SmallDisk.create();
    const file = join(disk.dir, "data", "earshot.db");
    return Promise.resolve({
      env: { EARSHOT_DB: file },
      breakStore: () => disk!.fill(),
      fixStore: () => disk!.free(),
      stored: (zone) => {
        const db = new Database(file, { readonly: true });
        try {
          const rows = db.prepare("SELECT content FROM messages WHERE zone = ? ORDER BY seq").all(zone) as {
            content: string;
          }[];
          return Promise.resolve(rows.map((r) => r.content));
        } finally {
          db.close();
        }
      },
    });
  });
  afterAll(() => disk?.destroy());
});
