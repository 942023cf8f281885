import { MODERATOR } from "../admin/moderation.js";
import type { Sanctions } from "../admin/moderation.js";

/**
 * What moderation means inside one zone instance, by session id: roles, mutes and blocks.
 * The room keeps it in step with the presence (`Moderation`) and asks it on every pairing,
 * relay and chat. Pure bookkeeping: no I/O.
 */
export class ZoneModeration {
  private readonly roles = new Map<string, ReadonlySet<string>>();
  /** Voice-muted sessions and when it ends (null: until lifted). */
  private readonly voiceMuted = new Map<string, number | null>();
  private readonly chatMuted = new Map<string, number | null>();
  /** User ids each session blocks (only sessions that block someone). */
  private readonly blocks = new Map<string, Set<string>>();
  /** Personal spaces: radius and the friends (user ids) let closer, by session. */
  readonly bubbles = new Map<string, { m: number; friends: ReadonlySet<string> }>();

  /** A session joined (or came back) with these roles and sanctions, blocking these user ids. */
  enter(sessionId: string, roles: Iterable<string>, sanctions: Sanctions, blocked: Iterable<string>): void {
    this.setRoles(sessionId, roles);
    if (sanctions.mute !== undefined) this.voiceMuted.set(sessionId, sanctions.mute);
    if (sanctions.chat_mute !== undefined) this.chatMuted.set(sessionId, sanctions.chat_mute);
    const set = new Set(blocked);
    if (set.size) this.blocks.set(sessionId, set);
  }

  leave(sessionId: string): void {
    this.bubbles.delete(sessionId);
    this.roles.delete(sessionId);
    this.voiceMuted.delete(sessionId);
    this.chatMuted.delete(sessionId);
    this.blocks.delete(sessionId);
  }

  setRoles(sessionId: string, roles: Iterable<string>): void {
    this.roles.set(sessionId, new Set(roles));
  }

  hasRole(sessionId: string, role: string): boolean {
    return this.roles.get(sessionId)?.has(role) ?? false;
  }

  /** True while a moderator's voice mute holds (until the tick lifts an expired one). */
  voiceMutedNow(sessionId: string): boolean {
    return this.voiceMuted.has(sessionId);
  }

  isModerator(sessionId: string): boolean {
    return this.roles.get(sessionId)?.has(MODERATOR) ?? false;
  }

  /** Mutes (`until`: epoch ms, null until lifted) or unmutes (`until` undefined) a session's voice. */
  muteVoice(sessionId: string, until: number | null | undefined): void {
    if (until === undefined) this.voiceMuted.delete(sessionId);
    else this.voiceMuted.set(sessionId, until);
  }

  muteChat(sessionId: string, until: number | null | undefined): void {
    if (until === undefined) this.chatMuted.delete(sessionId);
    else this.chatMuted.set(sessionId, until);
  }

  /** When a session's chat mute ends (null: until lifted); undefined when it may chat at `now`. */
  chatMutedUntil(sessionId: string, now: number): number | null | undefined {
    const until = this.chatMuted.get(sessionId);
    if (until === undefined) return undefined;
    if (until !== null && until <= now) {
      this.chatMuted.delete(sessionId);
      return undefined;
    }
    return until;
  }

  /** Voice mutes whose time is up at `now`: lifted here, returned so their sessions are told. */
  expiredVoiceMutes(now: number): string[] {
    const out: string[] = [];
    if (this.voiceMuted.size === 0) return out;
    for (const [sid, until] of this.voiceMuted)
      if (until !== null && until <= now) {
        this.voiceMuted.delete(sid);
        out.push(sid);
      }
    return out;
  }

  block(sessionId: string, userId: string): void {
    let set = this.blocks.get(sessionId);
    if (!set) this.blocks.set(sessionId, (set = new Set()));
    set.add(userId);
  }

  unblock(sessionId: string, userId: string): void {
    const set = this.blocks.get(sessionId);
    set?.delete(userId);
    if (set?.size === 0) this.blocks.delete(sessionId);
  }

  /** True when `recipient` blocks the user `fromUserId`: it gets nothing of theirs. */
  hides(recipient: string, fromUserId: string): boolean {
    return this.blocks.get(recipient)?.has(fromUserId) ?? false;
  }

  /** True while anyone here blocks someone (relays then look per recipient). */
  get anyBlocks(): boolean {
    return this.blocks.size > 0;
  }

  /** Sets a session's personal space (`m` 0: none). */
  setBubble(sessionId: string, m: number, friends: Iterable<string> = []): void {
    if (m > 0) this.bubbles.set(sessionId, { m, friends: new Set(friends) });
    else this.bubbles.delete(sessionId);
  }

  /** True when `other` (user `otherUser`) may come as close as `d` to `sessionId`. */
  private welcomeAt(sessionId: string, other: string, otherUser: string | undefined, d: number): boolean {
    const bubble = this.bubbles.get(sessionId);
    return !bubble || d >= bubble.m || bubble.friends.has(otherUser ?? "") || this.isModerator(other);
  }

  /**
   * Whether sessions a and b (users `userOf(a)`, `userOf(b)`), `d` metres apart, may be
   * linked: neither is voice-muted, neither blocks the other, and neither's personal space
   * keeps the other out. Cheap when nobody is muted, blocking or keeping a space.
   */
  mayLink(a: string, b: string, d: number, userOf: (sessionId: string) => string | undefined): boolean {
    if (this.voiceMuted.size && (this.voiceMuted.has(a) || this.voiceMuted.has(b))) return false;
    if (this.bubbles.size && (!this.welcomeAt(a, b, userOf(b), d) || !this.welcomeAt(b, a, userOf(a), d))) return false;
    if (this.blocks.size === 0) return true;
    return !this.hides(a, userOf(b) ?? "") && !this.hides(b, userOf(a) ?? "");
  }
}
