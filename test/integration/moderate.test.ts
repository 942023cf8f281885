import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ErrorCode, KICKED_CLOSE_CODE, parseJoinRefusal } from "@earshot/protocol";
import { EarshotError } from "@earshot/protocol";
import type { ServerMessages } from "@earshot/protocol";
import { Bot, eventually } from "../helpers/bot.js";
import { bootServer, join } from "../helpers/server.js";

// Tokens: "mod:<id>" is a moderator, "user:<id>" anyone else signed in.
const authenticate = (token: string | undefined) => {
  if (!token) return undefined;
  const [kind, id] = token.split(":");
  return { id: id!, ...(kind === "mod" && { roles: ["moderator"] }) };
};
const admin = { authorization: `Basic ${Buffer.from("admin:test-password").toString("base64")}` };

describe("moderation in the world", () => {
  let server: Awaited<ReturnType<typeof bootServer>>;
  const bots: Bot[] = [];
  const bot = async (token: string, freq: number, x: number, zone = "stage") => {
    const b = new Bot(server.url, token.split(":")[1]!, freq, 0.3, token);
    bots.push(b);
    await b.enter(zone, x);
    return b;
  };
  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/admin/api${path}`, { ...init, headers: { ...admin, "content-type": "application/json" } });
  const audit = async () =>
    ((await (await api("/audit")).json()) as { audit: { by: string; action: string; target: string }[] }).audit;

  beforeAll(async () => {
    server = await bootServer({ tickMs: 50 }, { authenticate });
  });
  afterEach(async () => {
    await Promise.all(bots.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server?.close();
  });

  test("a moderator mutes a speaking bot: its links close at once and nobody hears it until unmute", async () => {
    const loud = await bot("user:loud", 440, 0);
    const near = await bot("user:near", 880, 2);
    const far = await bot("user:far", 660, -2);
    const mod = await bot("mod:mia", 550, 3);
    const hears = (b: Bot) => (b.listeners.get(loud.client.sessionId!)?.magnitude(440) ?? 0) > 0.05;
    await eventually(() => hears(near) && hears(far), 20_000, "both hear Loud");
    const told: ServerMessages["moderated"][] = [];
    loud.client.on("moderated", (m) => told.push(m));

    const started = Date.now();
    const ack = await mod.client.moderate("mute", "loud", { reason: "shouting" });
    expect(ack).toMatchObject({ action: "mute", userId: "loud", until: null });
    await eventually(() => !hears(near) && !hears(far), 5_000, "silence where Loud was heard");
    const silentAfterMs = Date.now() - started;
    console.log(`muted: silent at both listeners ${silentAfterMs} ms after the moderator's ack`);
    expect(silentAfterMs).toBeLessThan(1_000);
    expect(told).toEqual([expect.objectContaining({ action: "mute", until: null, reason: "shouting" })]);
    expect(loud.client.mutedByModerator).toBe(true);
    // Paired with nobody while it lasts, though everyone stands within earshot.
    await new Promise((r) => setTimeout(r, 1_000)); // a second of ticks (20 at 50 ms) to pair them if it could
    expect(loud.serverLinks).toEqual([]);
    expect(loud.liveConnections()).toEqual([]);
    // The others still hear each other.
    expect(near.serverLinks).toContain(far.client.sessionId);

    await mod.client.moderate("unmute", "loud");
    await eventually(() => hears(near) && hears(far), 20_000, "Loud heard again after unmute");
    expect(told.at(-1)).toMatchObject({ action: "unmute" });
    expect(loud.client.mutedByModerator).toBe(false);

    const actions = (await audit()).filter((e) => e.target === "loud").map((e) => `${e.by} ${e.action}`);
    expect(actions).toEqual(["mia unmute", "mia mute"]);
  }, 90_000);

  test("a timed mute ends by itself and the tone comes back", async () => {
    const loud = await bot("user:loud2", 440, 0);
    const near = await bot("user:near2", 880, 2);
    const mod = await bot("mod:max", 550, 30);
    const hears = () => (near.listeners.get(loud.client.sessionId!)?.magnitude(440) ?? 0) > 0.05;
    await eventually(hears, 20_000, "Near hears Loud");
    await mod.client.moderate("mute", "loud2", { durationS: 2 });
    await eventually(() => !hears(), 5_000, "silence");
    await eventually(hears, 20_000, "Loud heard again when the 2 s are up");
  }, 60_000);

  test("a non-moderator's moderate is unauthorized and changes nothing", async () => {
    const a = await join(server.url, "plain", "A", { token: "user:ann" });
    const b = await join(server.url, "plain", "B", { token: "user:bea" });
    a.room.send("moderate", { action: "kick", userId: "bea" });
    const err = await a.inbox.next("error");
    expect(err).toMatchObject({ code: ErrorCode.Unauthorized, ref: "moderate" });
    b.room.send("chat", { content: "still here", clientMessageId: "c1" });
    expect((await b.inbox.next("message_ack")).clientMessageId).toBe("c1");
    expect((await audit()).some((e) => e.target === "bea")).toBe(false);
    await a.room.leave();
    await b.room.leave();
  });

  test("chat mute refuses chats with muted until lifted; kick removes and refuses rejoins for durationS", async () => {
    const mod = await join(server.url, "talk", "Mod", { token: "mod:moe" });
    const chatty = await join(server.url, "talk", "Chatty", { token: "user:chatty" });
    mod.room.send("moderate", { action: "chat_mute", userId: "chatty", durationS: 60, reason: "spam" });
    expect(await mod.inbox.next("moderate_ack")).toMatchObject({ action: "chat_mute", userId: "chatty" });
    expect(await chatty.inbox.next("moderated")).toMatchObject({ action: "chat_mute", reason: "spam" });
    chatty.room.send("chat", { content: "buy now", clientMessageId: "m1" });
    const refused = await chatty.inbox.next("error");
    expect(refused).toMatchObject({ code: ErrorCode.Muted, ref: "m1" });
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    mod.room.send("moderate", { action: "chat_unmute", userId: "chatty" });
    await chatty.inbox.next("moderated");
    chatty.room.send("chat", { content: "sorry", clientMessageId: "m2" });
    expect((await chatty.inbox.next("message_ack")).clientMessageId).toBe("m2");
    expect((await mod.inbox.next("chat")).content).toBe("sorry"); // "buy now" was never relayed

    const closed = new Promise<number>((resolve) => chatty.room.onLeave((code) => resolve(code)));
    mod.room.send("moderate", { action: "kick", userId: "chatty", durationS: 2 });
    expect(await closed).toBe(KICKED_CLOSE_CODE);
    expect((await mod.inbox.next("user_left")).userId).toBe("chatty");
    const again = await join(server.url, "talk", "Chatty", { token: "user:chatty" }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: KICKED_CLOSE_CODE, message: expect.stringContaining(ErrorCode.Kicked) });
    // The refusal says how long the kick has left; after that a rejoin works.
    const wait = parseJoinRefusal((again as Error).message)?.retryAfterMs;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(2_000);
    await new Promise((r) => setTimeout(r, wait! + 50));
    const back = await join(server.url, "talk", "Chatty", { token: "user:chatty" });
    await back.room.leave();
    const actions = (await audit()).filter((e) => e.target === "chatty").map((e) => e.action);
    expect(actions).toEqual(["kick", "chat_unmute", "chat_mute"]);
    await mod.room.leave();
  });

  test("block: two bots 2 m apart never link and the blocker gets none of the blocked one's chat; unblock restores", async () => {
    const a = await bot("user:ada", 440, 0, "quiet");
    const b = await bot("user:bo", 880, 2, "quiet");
    const c = await bot("user:cy", 660, -30, "quiet"); // far: chat still reaches everyone in the zone
    await eventually(() => a.serverLinks.includes(b.client.sessionId!), 20_000, "Ada and Bo linked");
    await a.client.block("bo");
    await eventually(
      () => !a.serverLinks.includes(b.client.sessionId!) && a.liveConnections().length === 0,
      5_000,
      "link closed",
    );
    const seen = { a: [] as string[], c: [] as string[] };
    a.client.on("chat", (m) => seen.a.push(m.content));
    c.client.on("chat", (m) => seen.c.push(m.content));
    for (const [who, list] of [
      [a, seen.a],
      [c, seen.c],
    ] as const) {
      who.client.on("typing", (t) => list.push(`typing ${t.userId}`));
      who.client.on("presence", (p) => list.push(`presence ${p.userId} ${p.status}`));
    }
    b.client.setTyping(true);
    b.client.setPresence("busy");
    await b.client.sendChat("hello from Bo").done;
    await eventually(() => seen.c.includes("hello from Bo"), 5_000, "Cy gets Bo's chat");
    expect(seen.c).toEqual(expect.arrayContaining(["typing bo", "presence bo busy"]));
    await new Promise((r) => setTimeout(r, 1_000)); // ticks that would pair them again, and chat that would arrive
    expect(a.serverLinks).toEqual([]);
    expect(seen.a).toEqual([]);
    // Stored for a signed-in user: Ada's next session starts with it, its history without Bo.
    expect(await server.store.blocksOf("ada")).toEqual(["bo"]);
    const again = await join(server.url, "quiet", "Ada", { token: "user:ada" });
    expect(again.joined.history.map((m) => m.content)).not.toContain("hello from Bo");
    const other = await join(server.url, "quiet", "Cy again", { token: "user:cy" });
    expect(other.joined.history.map((m) => m.content)).toContain("hello from Bo");
    await again.room.leave();
    await other.room.leave();

    await a.client.unblock("bo");
    await eventually(() => a.serverLinks.includes(b.client.sessionId!), 20_000, "linked again");
    await b.client.sendChat("hello again").done;
    await eventually(() => seen.a.includes("hello again"), 5_000, "Ada gets Bo's chat again");
    expect(await server.store.blocksOf("ada")).toEqual([]);
    const actions = (await audit()).filter((e) => e.by === "ada").map((e) => `${e.action} ${e.target}`);
    expect(actions).toEqual(["unblock bo", "block bo"]);
  }, 60_000);

  test("personal space: only friends and moderators link inside it; others link at its edge and lose the link inside", async () => {
    const owner = await bot("user:owen", 440, 0, "space");
    owner.client.setPersonalSpace(3, ["pal"]);
    const stranger = await bot("user:stan", 880, 2, "space");
    const pal = await bot("user:pal", 660, -2, "space");
    const mod = await bot("mod:mo", 550, 0.5, "space");
    const linked = (b: Bot) => owner.serverLinks.includes(b.client.sessionId!);
    await eventually(() => linked(pal) && linked(mod), 20_000, "the friend and the moderator linked inside");
    await new Promise((r) => setTimeout(r, 1_000)); // ticks that would link the stranger if they could
    expect(linked(stranger)).toBe(false);
    expect(stranger.serverLinks).toContain(pal.client.sessionId); // the others link as usual
    stranger.client.sendPosition(3.5, 0, 0);
    await eventually(() => linked(stranger), 20_000, "the stranger linked outside the space");
    stranger.client.sendPosition(2, 0, 0);
    await eventually(() => !linked(stranger), 5_000, "the link closed when the stranger stepped inside");
    owner.client.setPersonalSpace(0);
    await eventually(() => linked(stranger), 20_000, "linked again with the space off");
  }, 60_000);

  test("a report is stored with the zone's last chat as context, listed and resolved by the admin API", async () => {
    const r = await join(server.url, "hall", "Rita", { token: "user:rita" });
    const t = await join(server.url, "hall", "Troll", { token: "user:troll" });
    t.room.send("chat", { content: "<b>rude</b>", clientMessageId: "t1" });
    const { messageId } = await t.inbox.next("message_ack");
    r.room.send("report", { userId: "troll", reason: "rude in chat", messageId });
    const { reportId } = await r.inbox.next("report_ack");
    expect(await api("/reports", { headers: {} }).then((x) => x.status)).toBe(200);
    expect((await fetch(`${server.url}/admin/api/reports`)).status).toBe(401);
    const { reports } = (await (await api("/reports?open=1")).json()) as { reports: Record<string, unknown>[] };
    const mine = reports.find((x) => x.reportId === reportId)!;
    expect(mine).toMatchObject({
      zoneId: "hall",
      reporter: "rita",
      target: "troll",
      reason: "rude in chat",
      messageId,
    });
    expect(mine.context).toEqual([expect.objectContaining({ messageId, from: "troll", content: "<b>rude</b>" })]);
    expect((await api(`/reports/${reportId}/resolve`, { method: "POST" })).status).toBe(204);
    expect((await api(`/reports/${reportId}/resolve`, { method: "POST" })).status).toBe(404);
    const open = (await (await api("/reports?open=1")).json()) as { reports: { reportId: string }[] };
    expect(open.reports.map((x) => x.reportId)).not.toContain(reportId);
    const trail = (await audit()).map((e) => `${e.by} ${e.action} ${e.target}`);
    expect(trail).toContain("rita report troll");
    expect(trail).toContain(`admin resolve_report ${reportId}`);
    await r.room.leave();
    await t.room.leave();
  });

  test("roles granted through the admin API take effect live: the badge shows and moderate is allowed", async () => {
    const g = await join(server.url, "roles", "Gia", { token: "user:gia" });
    const w = await join(server.url, "roles", "Wes", { token: "user:wes" });
    expect(g.room.state.users.get(g.room.sessionId)?.moderator).toBe(false);
    g.room.send("moderate", { action: "chat_mute", userId: "wes" });
    expect((await g.inbox.next("error")).code).toBe(ErrorCode.Unauthorized);
    expect((await api("/roles/gia", { method: "PUT", body: JSON.stringify({ roles: ["moderator"] }) })).status).toBe(
      204,
    );
    expect((await api("/roles/gia", { method: "PUT", body: JSON.stringify({ roles: ["Bad Role"] }) })).status).toBe(
      400,
    );
    expect(await (await api("/roles/gia")).json()).toEqual({ userId: "gia", roles: ["moderator"] });
    await eventually(() => w.room.state.users.get(g.room.sessionId)?.moderator === true, 5_000, "the badge at Wes");
    g.room.send("moderate", { action: "chat_mute", userId: "wes", durationS: 5 });
    expect(await g.inbox.next("moderate_ack")).toMatchObject({ action: "chat_mute", userId: "wes" });
    expect((await api("/roles/gia", { method: "DELETE" })).status).toBe(204);
    await eventually(() => w.room.state.users.get(g.room.sessionId)?.moderator === false, 5_000, "the badge gone");
    await g.room.leave();
    await w.room.leave();
  });

  test("a kicked client closes with the kicked code and does not try to come back; blocks it made are listed", async () => {
    const kid = await bot("user:kid", 440, 60, "yard");
    const mod = await bot("mod:mod2", 880, 62, "yard");
    const states: string[] = [];
    kid.client.on("connectionState", (st) => states.push(st));
    await mod.client.block("someone");
    expect([...mod.client.blocked]).toEqual(["someone"]);
    await mod.client.moderate("kick", "kid", { durationS: 30 });
    await eventually(() => kid.client.connectionState === "closed", 5_000, "the kicked client closed");
    expect(kid.client.closeReason).toMatchObject({ code: ErrorCode.Kicked });
    expect(states).toEqual(["closed"]);
  });

  test("the client's moderate rejects with the server's code", async () => {
    const plain = await bot("user:pat", 440, 50);
    const err = await plain.client.moderate("mute", "someone").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EarshotError);
    expect((err as EarshotError).code).toBe(ErrorCode.Unauthorized);
  });
});
