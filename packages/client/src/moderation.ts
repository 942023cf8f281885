import type { ServerMessages } from "@earshot/protocol";

/** The actions that lift a sanction: their notice replaces the sanction's. */
export const LIFTS: ReadonlySet<string> = new Set(["unmute", "chat_unmute"]);

/**
 * What to tell a person a moderator acted on (the `moderated` event), in one sentence: the
 * desktop notice and the VR wrist panel say the same. Times are shown in the local time zone.
 */
export function moderationNotice(m: ServerMessages["moderated"]): string {
  const until = m.until
    ? ` until ${new Date(m.until).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`
    : "";
  const why = m.reason ? ` (${m.reason})` : "";
  return {
    mute: `You were muted by a moderator${until}${why}.`,
    unmute: "A moderator unmuted you.",
    chat_mute: `Your chat was muted by a moderator${until}${why}.`,
    chat_unmute: "A moderator unmuted your chat.",
    kick: `A moderator removed you from this zone${why}.`,
    ban: `You were banned${why}.`,
  }[m.action];
}
