import { z } from "zod";
import { MAX_CHAT_CHARS, ZONE_ID_PATTERN } from "./constants.js";
import { ErrorCode } from "./errors.js";
import { stageSchema, stageStatusSchema } from "./stage.js";

/**
 * The wire contract (docs/PROTOCOL.md describes every message). Colyseus carries the message type beside the payload, so each
 * direction is a map from type to payload schema; {@link ClientMessage} and
 * {@link ServerMessage} are the matching discriminated unions.
 *
 * Client payloads are strict: an unknown field is `invalid_message`, except the envelope
 * fields the packet-flow spec puts in every payload ({@link ENVELOPE_FIELDS}): `type`, `roomId`
 * and `zone` are checked, `from`, `userId`, `timestamp` and `zone` are the server's and ignored
 * (except in a message whose own field it is: `userId` names whom `moderate`, `block`,
 * `unblock` and `report` are about).
 * Server payloads are open, so an older client ignores fields a newer server adds.
 */

const finite = z.number().finite();
/** Finite here; the world's bounds are the server's setting (`WORLD_BOUND_M`), checked by the room. */
const coordinate = finite;
/** Session ids and user ids as they appear on the wire. */
const id = z.string().min(1).max(64);
const sdp = z.string().min(1).max(60_000);
const stageId = stageSchema.shape.id;

export const zoneIdSchema = z.string().regex(ZONE_ID_PATTERN);
export const presenceStatusSchema = z.enum(["online", "away", "busy"]);
export type PresenceStatus = z.infer<typeof presenceStatusSchema>;

/**
 * The length of chat content as every part of Earshot counts it: in code points (an emoji is
 * one or two, never four UTF-16 units). The server counts after cleaning the text.
 */
export function chatLength(content: string): number {
  return Array.from(content).length;
}

/** Chat content: 1..MAX_CHAT_CHARS ({@link chatLength}) after trim. Longer content is `too_large`. */
export const chatContentSchema = z
  .string()
  .trim()
  .min(1)
  .refine((s) => chatLength(s) <= MAX_CHAT_CHARS, `at most ${MAX_CHAT_CHARS} characters`);

export const iceCandidateSchema = z.object({
  candidate: z.string().max(2_000),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});

/** What `moderate` can do: mute (voice) and chat mute, and lift them; kick; ban. */
export const moderationActionSchema = z.enum(["mute", "unmute", "chat_mute", "chat_unmute", "kick", "ban"]);
export type ModerationAction = z.infer<typeof moderationActionSchema>;
/** Longest timed moderation action, seconds (30 days). */
export const MAX_MODERATION_S = 30 * 24 * 3600;
/** Largest personal space, metres. */
export const MAX_BUBBLE_M = 5;
/** Longest reason of a moderation action or report. */
export const MAX_REASON_CHARS = 500;

/** What a client may send: message type -> payload schema. */
export const clientMessages = {
  chat: z.strictObject({ content: z.string(), clientMessageId: z.string().min(1).max(64).optional() }),
  typing: z.strictObject({ isTyping: z.boolean() }),
  presence: z.strictObject({ status: presenceStatusSchema, micMuted: z.boolean().optional() }),
  position: z.strictObject({ x: coordinate, y: coordinate, z: coordinate, rotY: finite.optional() }),
  join_voice_zone: z.strictObject({ zoneId: zoneIdSchema }),
  disconnect_voice: z.strictObject({}),
  offer: z.strictObject({ to: id, sdp }),
  answer: z.strictObject({ to: id, sdp }),
  ice_candidate: z.strictObject({ to: id, candidate: iceCandidateSchema }),
  voice_state: z.strictObject({
    muted: z.boolean(),
    speaking: z.boolean(),
    volume: z.number().min(0).max(1).optional(),
  }),
  reconnect: z.strictObject({ lastMessageId: z.string().max(64).nullable().optional() }),
  leave_room: z.strictObject({}),
  /** The WebRTC connection of a link failed for good (after one restart): re-pair it later. */
  voice_link_failed: z.strictObject({ peerId: id }),
  /** A moderator's action on a user (by user id), in every zone and process. */
  moderate: z.strictObject({
    action: moderationActionSchema,
    userId: id,
    /** How long a mute, chat mute or kick lasts; without it a mute lasts until lifted, a kick 60 s. */
    durationS: z.number().int().min(1).max(MAX_MODERATION_S).optional(),
    reason: z.string().max(MAX_REASON_CHARS).optional(),
  }),
  /** Never be linked with `userId`, nor receive their chat, typing or presence. */
  block: z.strictObject({ userId: id }),
  unblock: z.strictObject({ userId: id }),
  /**
   * Your personal space: nobody but `friends` (user ids) and moderators is linked with you
   * closer than `bubbleM` metres; 0 turns it off (the default).
   */
  personal_space: z.strictObject({
    bubbleM: z.number().min(0).max(MAX_BUBBLE_M),
    friends: z.array(id).max(100).optional(),
  }),
  /** Reports `userId` to the admins, with the zone's last chat messages as context. */
  report: z.strictObject({
    userId: id,
    reason: z.string().trim().min(1).max(MAX_REASON_CHARS),
    messageId: z.string().max(64).optional(),
  }),
  /** Your microphone's offer to the stage's media server, after `stage_publish {publish: true}`. */
  stage_offer: z.strictObject({ stageId, sdp }),
  /** Your answer to the media server's `stage_offer` carrying `speakerId`'s stage voice. */
  stage_answer: z.strictObject({ stageId, speakerId: id, sdp }),
  /** An ICE candidate of a stage link: `speakerId` is whose voice it carries (your own session id when you publish). */
  stage_ice: z.strictObject({ stageId, speakerId: id, candidate: iceCandidateSchema }),
} as const;

export type ClientMessages = { [K in keyof typeof clientMessages]: z.infer<(typeof clientMessages)[K]> };
export type ClientMessageType = keyof ClientMessages;
/** Any client message, with its type. */
export type ClientMessage = { [K in ClientMessageType]: { type: K } & ClientMessages[K] }[ClientMessageType];

export const userSummarySchema = z.object({
  sessionId: z.string(),
  id: z.string(),
  name: z.string(),
  avatar: z.string(),
});
export type UserSummary = z.infer<typeof userSummarySchema>;

export const rosterEntrySchema = userSummarySchema.extend({
  status: presenceStatusSchema,
  micMuted: z.boolean(),
  speaking: z.boolean(),
  inVoice: z.boolean(),
  /** Has the `moderator` role (a badge in the roster). */
  moderator: z.boolean().optional(),
});
export type RosterEntry = z.infer<typeof rosterEntrySchema>;

export const chatMessageSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  name: z.string(),
  content: z.string(),
  timestamp: z.number(),
});
/** A stored chat message as clients see it. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const limitsSchema = z.object({
  maxChatChars: z.number(),
  chatRateCount: z.number(),
  chatRateWindowMs: z.number(),
  maxPositionsPerS: z.number(),
  maxSignalsPerS: z.number(),
  tickMs: z.number(),
  refDistance: z.number(),
  hearRadius: z.number(),
  hysteresis: z.number(),
  viewRadius: z.number(),
  maxPeers: z.number(),
  /** Fastest a user may move, m/s; farther claims get `position_corrected`. */
  maxSpeedMS: z.number(),
  /** True when the zone takes a client's first position after joining as its spawn. */
  allowClientSpawn: z.boolean(),
});
export type Limits = z.infer<typeof limitsSchema>;

export const iceServerSchema = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

export const peerCloseReasonSchema = z.enum([
  "out_of_range",
  "left",
  "voice_off",
  "over_capacity",
  "failed",
  "moderated",
  /** One of you speaks on a stage: the stage carries the voice instead. */
  "on_stage",
]);
export type PeerCloseReason = z.infer<typeof peerCloseReasonSchema>;

export const audiblePeerSchema = z.object({ peerId: z.string(), distance: z.number(), volume: z.number() });
export type AudiblePeer = z.infer<typeof audiblePeerSchema>;

/** What a server may send: message type -> payload schema. */
export const serverMessages = {
  connected: z.object({ clientId: z.string(), userId: z.string() }),
  room_joined: z.object({
    roomId: z.string(),
    zoneId: z.string(),
    users: z.array(rosterEntrySchema),
    history: z.array(chatMessageSchema),
    iceServers: z.array(iceServerSchema),
    limits: limitsSchema,
    /** Where the server placed you; move your avatar here (unless `limits.allowClientSpawn`). */
    spawn: z.object({ x: z.number(), y: z.number(), z: z.number(), rotY: z.number() }),
    /** The zone's stages (docs/PROTOCOL.md, "Stages"); each one's `stage_state` follows. */
    stages: z.array(stageSchema).optional(),
  }),
  user_joined: z.object({ user: userSummarySchema }),
  user_left: z.object({ userId: z.string(), sessionId: z.string() }),
  chat: chatMessageSchema,
  message_ack: z.object({
    messageId: z.string(),
    clientMessageId: z.string().optional(),
    status: z.literal("delivered"),
    timestamp: z.number(),
  }),
  typing: z.object({ userId: z.string(), sessionId: z.string(), isTyping: z.boolean() }),
  presence: z.object({
    userId: z.string(),
    sessionId: z.string(),
    status: presenceStatusSchema,
    zone: z.string(),
    micMuted: z.boolean(),
  }),
  zone_joined: z.object({ zoneId: z.string(), peers: z.array(z.string()) }),
  new_peer: z.object({ peerId: z.string() }),
  peer_closed: z.object({ peerId: z.string(), reason: peerCloseReasonSchema }),
  cull_update: z.object({ audiblePeers: z.array(audiblePeerSchema), mutedPeers: z.array(z.string()) }),
  offer: z.object({ from: z.string(), sdp: z.string() }),
  answer: z.object({ from: z.string(), sdp: z.string() }),
  ice_candidate: z.object({ from: z.string(), candidate: iceCandidateSchema }),
  peer_unavailable: z.object({ peerId: z.string(), reason: z.enum(["timeout", "left"]) }),
  peer_voice_state: z.object({
    peerId: z.string(),
    muted: z.boolean(),
    speaking: z.boolean(),
    audioLevel: z.number(),
  }),
  /** A page of missed messages; with `more: true`, ask again from the last one for the rest. */
  reconnected: z.object({ missedMessages: z.array(chatMessageSchema), more: z.boolean().optional() }),
  /** Your position claim moved faster than allowed: you are here instead; snap your avatar. */
  position_corrected: z.object({ x: z.number(), y: z.number(), z: z.number() }),
  room_left: z.object({ roomId: z.string() }),
  /**
   * A moderator acted on you: `mute` (nobody hears you until `until`, epoch ms; null: until
   * lifted), `unmute`, `chat_mute`, `chat_unmute`, or `kick` (the connection closes next).
   */
  moderated: z.object({
    action: moderationActionSchema,
    until: z.number().nullable().optional(),
    reason: z.string().optional(),
  }),
  /** Your `moderate` was done (in every process). */
  moderate_ack: z.object({
    action: moderationActionSchema,
    userId: z.string(),
    until: z.number().nullable().optional(),
  }),
  /** Your `block` or `unblock` holds. */
  block_ack: z.object({ userId: z.string(), blocked: z.boolean() }),
  /** Your `report` is stored. */
  report_ack: z.object({ reportId: z.string() }),
  /** What a stage is doing; `speakers` are the session ids whose stage voice is live. */
  stage_state: z.object({
    stageId: z.string(),
    state: stageStatusSchema,
    speakers: z.array(z.string()),
    reason: z.string().optional(),
  }),
  /**
   * You may speak on a stage now (`publish: true`: send `stage_offer` with your microphone), or
   * no longer (`false`: close that link; `reason`: `stepped_off`, `moderated`, `unavailable`).
   */
  stage_publish: z.object({ stageId: z.string(), publish: z.boolean(), reason: z.string().optional() }),
  /** The media server's offer of `speakerId`'s stage voice: answer with `stage_answer`. */
  stage_offer: z.object({ stageId: z.string(), speakerId: z.string(), sdp: z.string() }),
  /** The media server's answer to your `stage_offer`. */
  stage_answer: z.object({ stageId: z.string(), sdp: z.string() }),
  error: z.object({
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    ref: z.string().optional(),
    retryAfterMs: z.number().optional(),
  }),
} as const;

export type ServerMessages = { [K in keyof typeof serverMessages]: z.infer<(typeof serverMessages)[K]> };
export type ServerMessageType = keyof ServerMessages;
/** Any server message, with its type. */
export type ServerMessage = { [K in ServerMessageType]: { type: K } & ServerMessages[K] }[ServerMessageType];

/** Join options for `client.joinOrCreate("zone", options)`. */
export const joinOptionsSchema = z.object({
  zoneId: zoneIdSchema,
  userInfo: z
    .object({ name: z.string().max(1_000).optional(), avatar: z.string().max(64).optional() })
    .passthrough()
    .optional(),
  protocolVersion: z.number().int(),
  lastMessageId: z.string().max(64).nullable().optional(),
  token: z.string().max(4_096).optional(),
});
export type JoinOptions = z.infer<typeof joinOptionsSchema>;

/**
 * Fields the packet-flow spec puts in client payloads beside a message's own. `type` must
 * name the message's type; `roomId` and `zone` must name the client's zone (or its room), or
 * the message is `wrong_zone`. The server owns `from`, `userId`, `timestamp` and `zone`: a
 * client's values are ignored and replaced by its own (chat carries the server's receive time).
 */
export const ENVELOPE_FIELDS = ["type", "roomId", "zone", "from", "userId", "timestamp"] as const;

const envelopeSchema = z.object({
  type: z.string().max(64).optional(),
  roomId: z.string().max(64).optional(),
  zone: z.string().max(64).optional(),
  from: z.unknown().optional(),
  userId: z.unknown().optional(),
  timestamp: z.unknown().optional(),
});

/** Where a client message is parsed: its zone and room, for `roomId`/`zone` in payloads. */
export interface ParseContext {
  zoneId: string;
  /** The Colyseus room id, which a client may also name in `roomId`. */
  roomId?: string;
}

/** Outcome of {@link parseClientMessage}. */
export type ParsedClientMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: typeof ErrorCode.InvalidMessage | typeof ErrorCode.WrongZone; reason: string };

/**
 * Parses one client message; `ok:false` carries the error code and a readable reason. Without
 * a context (tests, tools) `roomId` and `zone` are not checked.
 */
export function parseClientMessage(type: string, payload: unknown, context?: ParseContext): ParsedClientMessage {
  const invalid = (reason: string) => ({ ok: false as const, code: ErrorCode.InvalidMessage, reason });
  if (!Object.hasOwn(clientMessages, type)) return invalid(`unknown message type "${type}"`);
  let body = payload;
  if (payload !== null && typeof payload === "object" && !Array.isArray(payload)) {
    const fields = { ...(payload as Record<string, unknown>) };
    const envelope: Record<string, unknown> = {};
    const own = clientMessages[type as ClientMessageType].shape as Record<string, unknown>;
    for (const key of ENVELOPE_FIELDS) {
      // A message's own field of that name (the `userId` a block names) is not envelope.
      if (!Object.hasOwn(fields, key) || Object.hasOwn(own, key)) continue;
      envelope[key] = fields[key];
      delete fields[key];
    }
    const env = envelopeSchema.safeParse(envelope);
    if (!env.success) return invalid(`${type}: ${env.error.issues[0]?.path.join(".") ?? ""}: must be a short string`);
    if (env.data.type !== undefined && env.data.type !== type)
      return invalid(`${type}: the payload's type says "${env.data.type}"`);
    for (const key of ["roomId", "zone"] as const) {
      const named = env.data[key];
      if (named === undefined || !context || named === context.zoneId || named === context.roomId) continue;
      return {
        ok: false,
        code: ErrorCode.WrongZone,
        reason: `${type}: ${key} "${named}" is not your zone; you are in "${context.zoneId}"`,
      };
    }
    body = fields;
  }
  const schema = clientMessages[type as ClientMessageType];
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") + ": " : "";
    return invalid(`${type}: ${where}${issue?.message ?? "invalid"}`);
  }
  return { ok: true, message: { type, ...result.data } as ClientMessage };
}

/** Parses one server message; returns undefined when it does not match the contract. */
export function parseServerMessage(type: string, payload: unknown): ServerMessage | undefined {
  if (!Object.hasOwn(serverMessages, type)) return undefined;
  const result = serverMessages[type as ServerMessageType].safeParse(payload);
  return result.success ? ({ type, ...(result.data as object) } as ServerMessage) : undefined;
}

/** Message ids are `msg_<n>`; returns n, or undefined for anything else. */
export function messageSeq(messageId: string | null | undefined): number | undefined {
  const m = /^msg_(\d{1,15})$/.exec(messageId ?? "");
  return m ? Number(m[1]) : undefined;
}

/** The message id for sequence number `n`. */
export function messageIdOf(seq: number): string {
  return `msg_${seq}`;
}
