import type { Presence } from "@colyseus/core";
import express from "express";
import { ErrorCode } from "@earshot/protocol";

/** The set of banned user ids, in the shared presence: every process of a cluster sees it. */
export const BANNED_KEY = "earshot:banned";
/** Rooms listen here and close the sessions of a user who was just banned. */
export const KICK_CHANNEL = "earshot:kick";

/** User ids as the server makes them (guest ids, token subjects): printable, no spaces. */
const USER_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Bans by user id. A ban refuses future joins and closes the user's current sessions in every
 * zone and process. A guest id is new at each join, so banning one only ends that session:
 * lasting bans need an `authenticate` hook (token subjects).
 */
export class Moderation {
  private readonly kickListeners = new Set<(userId: string) => void>();
  private subscribed?: Promise<unknown>;

  constructor(private readonly presence: Presence) {}

  /**
   * Calls `listener` with each user id banned from now on, by any process. One presence
   * subscription per process serves every room. Returns the unsubscribe.
   */
  onKick(listener: (userId: string) => void): () => void {
    this.kickListeners.add(listener);
    this.subscribed ??= Promise.resolve(
      this.presence.subscribe(KICK_CHANNEL, (userId: unknown) => {
        for (const l of this.kickListeners) l(String(userId));
      }),
    ).catch(() => {
      this.subscribed = undefined; // Redis was down: the next room subscribes again
    });
    return () => this.kickListeners.delete(listener);
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
}

/**
 * `GET /bans` → `{bans}`; `PUT /bans/:userId` bans (and kicks), `DELETE /bans/:userId` lifts
 * it, both 204. A malformed id gets 400 `{error: {code, message}}`. Mount behind the admin password.
 */
export function moderationRoutes(moderation: Moderation): express.Router {
  const router = express.Router();
  router.get("/bans", async (_req, res) => {
    res.json({ bans: await moderation.bans() });
  });
  const withUserId =
    (act: (userId: string) => Promise<void>): express.RequestHandler =>
    async (req, res) => {
      const userId = String(req.params.userId);
      if (!USER_ID.test(userId)) {
        res.status(400).json({
          error: { code: ErrorCode.InvalidMessage, message: "userId: 1 to 128 printable characters, no spaces" },
        });
        return;
      }
      await act(userId);
      res.status(204).end();
    };
  router.put(
    "/bans/:userId",
    withUserId((id) => moderation.ban(id)),
  );
  router.delete(
    "/bans/:userId",
    withUserId((id) => moderation.unban(id)),
  );
  return router;
}
