import type { Presence } from "@colyseus/core";
import express from "express";
import { ErrorCode } from "@earshot/protocol";
import type { ModerationAction } from "@earshot/protocol";
import type { ModerationStore } from "../storage/ChatStore.js";

/** The set of banned user ids, in the shared presence: every process of a cluster sees it. */
export const BANNED_KEY = "earshot:banned";
/** Rooms listen here and close the sessions of a user who was just banned. */
export const KICK_CHANNEL = "earshot:kick";

/** User ids as the server makes them (guest ids, token subjects): printable, no spaces. */
const USER_ID = /^[\x21-\x7e]{1,128}$/;

/** Granted roles by user id (JSON arrays), in the shared presence. */
export const ROLES_KEY = "earshot:roles";
/** Rooms listen here for role changes (the user id). */
export const ROLES_CHANNEL = "earshot:roles";
/** Rooms listen here for moderators' actions ({@link ModerationEvent}). */
export const ACTIONS_CHANNEL = "earshot:moderation";
/** The role that may `moderate`. */
export const MODERATOR = "moderator";

/** A timed or lasting sanction, kept in the presence under its key until it ends. */
type Sanction = "mute" | "chat_mute" | "kick";
const sanctionKey = (kind: Sanction, userId: string) => `earshot:${kind}:${userId}`;
/** What each action sets (with the time it ends) or lifts. */
const EFFECT: Partial<Record<ModerationAction, { kind: Sanction; on: boolean }>> = {
  mute: { kind: "mute", on: true },
  unmute: { kind: "mute", on: false },
  chat_mute: { kind: "chat_mute", on: true },
  chat_unmute: { kind: "chat_mute", on: false },
  kick: { kind: "kick", on: true },
};

/** A moderator's action as every room of every process hears it. */
export interface ModerationEvent {
  action: ModerationAction;
  userId: string;
  /** When it ends (epoch ms); null: until lifted. */
  until: number | null;
  reason?: string;
  /** User id of the moderator (`admin` for the admin API). */
  by: string;
}

/** The sanctions on a user now: each one's end (epoch ms), null while it lasts until lifted. */
export interface Sanctions {
  mute?: number | null;
  chat_mute?: number | null;
  kick?: number | null;
}

/**
 * Bans, roles and moderators' actions, all in the shared presence: every process of a cluster
 * sees them. A ban refuses future joins and closes the user's current sessions in every zone
 * and process. A guest id is new at each join, so banning one only ends that session: lasting
 * bans need an `authenticate` hook (token subjects).
 */
export class Moderation {
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(private readonly presence: Presence) {}

  /**
   * Calls `listener` with each message on `channel` from now on, from any process. One
   * presence subscription per channel and process serves every room. Returns the unsubscribe.
   */
  private listen(channel: string, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    if (!this.subscribed.has(channel))
      this.subscribed.set(
        channel,
        Promise.resolve(
          this.presence.subscribe(channel, (payload: unknown) => {
            for (const l of this.listeners.get(channel) ?? []) l(payload);
          }),
        ).catch(() => this.subscribed.delete(channel)), // Redis was down: the next room subscribes again
      );
    return () => set.delete(listener);
  }

  /** Each user id banned from now on, by any process. */
  onKick(listener: (userId: string) => void): () => void {
    return this.listen(KICK_CHANNEL, (userId) => listener(String(userId)));
  }

  /** Each moderator's action from now on, by any process. */
  onAction(listener: (event: ModerationEvent) => void): () => void {
    return this.listen(ACTIONS_CHANNEL, (event) => listener(event as ModerationEvent));
  }

  /** Each user id whose granted roles changed. */
  onRoles(listener: (userId: string) => void): () => void {
    return this.listen(ROLES_CHANNEL, (userId) => listener(String(userId)));
  }

  async ban(userId: string): Promise<void> {
    await this.presence.sadd(BANNED_KEY, userId);
    await this.presence.publish(KICK_CHANNEL, userId);
  }

  async unban(userId: string): Promise<void> {
    await this.presence.srem(BANNED_KEY, userId);
  }

  async isBanned(userId: string): Promise<boolean> {
    return Boolean(await this.presence.sismember(BANNED_KEY, userId));
  }

  /** Banned user ids, sorted. */
  async bans(): Promise<string[]> {
    return (await this.presence.smembers(BANNED_KEY)).sort();
  }

  /** Roles an admin granted `userId` (beside those of their token). */
  async grantedRoles(userId: string): Promise<string[]> {
    const raw = (await this.presence.hget(ROLES_KEY, userId)) as string | null | undefined;
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  /** Sets the roles granted to `userId` (none: revoked), live in every process. */
  async setRoles(userId: string, roles: string[]): Promise<void> {
    if (roles.length) await this.presence.hset(ROLES_KEY, userId, JSON.stringify([...new Set(roles)].sort()));
    else await this.presence.hdel(ROLES_KEY, userId);
    await this.presence.publish(ROLES_CHANNEL, userId);
  }

  /**
   * Records a moderator's action in the presence (a timed one expires by itself) and tells
   * every room of every process. A ban is {@link ban}.
   */
  async act(event: ModerationEvent, now = Date.now()): Promise<void> {
    if (event.action === "ban") return this.ban(event.userId);
    const effect = EFFECT[event.action]!;
    const key = sanctionKey(effect.kind, event.userId);
    if (!effect.on) await Promise.resolve(this.presence.del(key));
    else if (event.until === null) await this.presence.set(key, "0");
    else await this.presence.setex(key, String(event.until), Math.max(1, Math.ceil((event.until - now) / 1000)));
    await this.presence.publish(ACTIONS_CHANNEL, event);
  }

  /** The sanctions on `userId` now (for a join, or a session that comes back). */
  async sanctions(userId: string, now = Date.now()): Promise<Sanctions> {
    const out: Sanctions = {};
    for (const kind of ["mute", "chat_mute", "kick"] as const) {
      const raw = (await this.presence.get(sanctionKey(kind, userId))) as string | null | undefined;
      if (raw === null || raw === undefined) continue;
      const until = Number(raw) || null;
      if (until === null || until > now) out[kind] = until;
    }
    return out;
  }
}

/** Roles: short lower-case words (`moderator`, `speaker`, a game's own). */
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;
/** Entries a list answers with, at most. */
const LIST_LIMIT = 500;

/**
 * The admin API (mount behind the admin password, with a JSON body parser):
 * - `GET /bans` → `{bans}`; `PUT /bans/:userId` bans (and kicks), `DELETE /bans/:userId` lifts it.
 * - `GET /roles/:userId` → `{userId, roles}` (those granted here); `PUT /roles/:userId` with
 *   `{roles: [...]}` sets them, live in every process; `DELETE /roles/:userId` revokes them all.
 * - `GET /reports[?open=1]` → `{reports}`, newest first; `POST /reports/:reportId/resolve`.
 * - `GET /audit` → `{audit}`: every moderation action, newest first.
 * Changes answer 204 and are written to the audit (`by: "admin"`). A malformed id or body gets
 * 400 `{error: {code, message}}`; an unknown report 404.
 */
export function moderationRoutes(moderation: Moderation, store: ModerationStore, now: () => number): express.Router {
  const router = express.Router();
  const bad = (res: express.Response, message: string, status = 400) =>
    void res.status(status).json({ error: { code: ErrorCode.InvalidMessage, message } });
  const audit = (action: string, target: string) => store.addAudit({ by: "admin", action, target, at: now() });
  const withUserId =
    (act: (userId: string, req: express.Request) => Promise<void>): express.RequestHandler =>
    async (req, res) => {
      const userId = String(req.params.userId);
      if (!USER_ID.test(userId)) return bad(res, "userId: 1 to 128 printable characters, no spaces");
      await act(userId, req);
      if (!res.headersSent) res.status(204).end();
    };
  router.get("/bans", async (_req, res) => {
    res.json({ bans: await moderation.bans() });
  });
  router.put(
    "/bans/:userId",
    withUserId(async (id) => {
      await moderation.ban(id);
      await audit("ban", id);
    }),
  );
  router.delete(
    "/bans/:userId",
    withUserId(async (id) => {
      await moderation.unban(id);
      await audit("unban", id);
    }),
  );
  router.get(
    "/roles/:userId",
    withUserId(async (id, req) => void req.res!.json({ userId: id, roles: await moderation.grantedRoles(id) })),
  );
  router.put(
    "/roles/:userId",
    withUserId(async (id, req) => {
      const roles = (req.body as { roles?: unknown } | undefined)?.roles;
      if (!Array.isArray(roles) || !roles.every((r) => typeof r === "string" && ROLE.test(r)))
        return bad(req.res!, 'body: {"roles": ["moderator", ...]}, each role ^[a-z][a-z0-9_-]{0,31}$');
      await moderation.setRoles(id, roles as string[]);
      await audit(`roles:${(roles as string[]).join(",") || "none"}`, id);
    }),
  );
  router.delete(
    "/roles/:userId",
    withUserId(async (id) => {
      await moderation.setRoles(id, []);
      await audit("roles:none", id);
    }),
  );
  router.get("/reports", async (req, res) => {
    res.json({ reports: await store.reports({ open: req.query.open === "1", limit: LIST_LIMIT }) });
  });
  router.post("/reports/:reportId/resolve", async (req, res) => {
    const id = String(req.params.reportId);
    if (!(await store.resolveReport(id, "admin", now()))) return bad(res, `no open report ${id}`, 404);
    await audit("resolve_report", id);
    res.status(204).end();
  });
  router.get("/audit", async (_req, res) => {
    res.json({ audit: await store.audit(LIST_LIMIT) });
  });
  return router;
}
