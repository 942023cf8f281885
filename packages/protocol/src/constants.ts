/** Wire protocol version. A client whose version differs is refused with `protocol_mismatch`. */
export const PROTOCOL_VERSION = 1;

/** Name of the Colyseus room type every zone uses. */
export const ZONE_ROOM = "zone";

/** Zone ids: lower-case letters, digits, `_` and `-`, 1..32 characters. */
export const ZONE_ID_PATTERN = /^[a-z0-9_-]{1,32}$/;

/** Simulation tick period. */
export const DEFAULT_TICK_MS = 100;
/** Beyond this distance nobody is heard. */
export const HEAR_RADIUS_M = 20;
/** Distance up to which a voice plays at full volume. */
export const REF_DISTANCE_M = 2;
/** An existing link is kept up to `hearRadius * HYSTERESIS`, so people at the edge don't flap. */
export const HYSTERESIS = 1.2;
/** Users within this distance are in your state view (positions replicated). */
export const VIEW_RADIUS_M = 50;
/** At most this many users are in a client's state view, nearest first. */
export const MAX_VISIBLE = 32;
/** Voice links per person, nearest first. */
export const MAX_PEERS = 8;
/** Volume changes smaller than this do not cause a `cull_update`. */
export const VOLUME_QUANTUM = 0.05;
/** Users per zone instance before a second instance of the zone opens. */
export const MAX_CLIENTS = 500;
/**
 * Users per instance of a zone with a stage, when stages are on: links stay capped at
 * `MAX_PEERS` per person and the stage's voice goes through the media server, so one audience
 * can be larger than a peer-to-peer crowd.
 */
export const STAGE_MAX_CLIENTS = 1_000;
/** World bounds on each axis (positions outside are rejected). */
export const WORLD_BOUND_M = 10_000;

/** Chat content limit, characters after trim. */
export const MAX_CHAT_CHARS = 500;
/** Display names are trimmed and cut to this many characters. */
export const MAX_NAME_CHARS = 32;
/** Chat token bucket: this many messages (also the burst)... */
export const CHAT_RATE_COUNT = 5;
/** ...per this window, refilling evenly. */
export const CHAT_RATE_WINDOW_MS = 5_000;
/** Position updates per second per client. */
export const MAX_POSITIONS_PER_S = 20;
/** Speaking changes (`voice_state`) per second per client. */
export const MAX_VOICE_STATES_PER_S = 10;
/**
 * Signaling messages (offer, answer, ice_candidate) per second per client, with twice that as
 * a burst: opening 8 links at once trickles about 20 ICE candidates each.
 */
export const MAX_SIGNALS_PER_S = 200;
/** A typing indicator expires after this long without a refresh. */
export const TYPING_TIMEOUT_MS = 5_000;
/** Messages sent in `room_joined.history`. */
export const HISTORY_LIMIT = 50;
/** At most this many messages are returned by one `reconnected` page (`more: true` when there are more). */
export const MAX_MISSED_MESSAGES = 200;
/** `reconnect` requests per session: this many as a burst... */
export const RECONNECT_RATE_COUNT = 2;
/** ...refilling one every this many ms. Asking for the next page of a `more: true` answer is free. */
export const RECONNECT_RATE_PER_MS = 2_000;
/** An offer not answered within this time gets `peer_unavailable {reason:"timeout"}`. */
export const OFFER_TIMEOUT_MS = 10_000;
/** A decoded client message larger than this (JSON bytes) gets `too_large`. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** WebSocket close code of a session ended by a ban; a join refused for a ban carries it too. */
export const BANNED_CLOSE_CODE = 4403;
/** WebSocket close code of a session a moderator kicked; a join refused during the kick carries it too. */
export const KICKED_CLOSE_CODE = 4410;
/** A kick without `durationS` keeps the user out this long, seconds. */
export const DEFAULT_KICK_S = 60;
/** WebSocket close code of a client whose unsent buffer passed `MAX_SEND_BUFFER_BYTES` (it may join again). */
export const SLOW_CONSUMER_CLOSE_CODE = 4408;
/** Seconds a dropped client may take to reconnect into its seat. */
export const RECONNECT_WINDOW_S = 20;

/** The spec's default ICE servers. */
export const DEFAULT_ICE_SERVERS: readonly { urls: string | string[]; username?: string; credential?: string }[] = [
  { urls: "stun:stun.l.google.com:19302" },
  { urls: "stun:stun1.l.google.com:19302" },
];

/** Microphone constraints of the packet-flow spec (docs/PROTOCOL.md, "WebRTC configuration"). */
export const AUDIO_CONSTRAINTS = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  sampleRate: 24_000,
  channelCount: 1,
} as const;

/** Opus target: max average bitrate in bits per second. */
export const OPUS_MAX_AVERAGE_BITRATE = 24_000;

// ---- authority and abuse limits (README, "Security") -------------------------------------

/** Fastest a user may move, metres per second; a farther position claim is clamped. */
export const MAX_SPEED_M_S = 10;
/**
 * Movement budget a user may save up, seconds of `MAX_SPEED_M_S` (so a stalled client can
 * catch up a little, but nobody saves up a teleport by standing still).
 */
export const MOVE_BURST_S = 1;
/** Extra metres allowed on top of the budget, for clock and network jitter. */
export const MOVE_SLACK_M = 1;
/** A client whose unsent WebSocket buffer passes this is dropped (`SLOW_CONSUMER_CLOSE_CODE`). */
export const MAX_SEND_BUFFER_BYTES = 1024 * 1024;
/** Concurrent connections from one IP address. */
export const MAX_CONNECTIONS_PER_IP = 20;
/** Joins per second from one IP address (sustained)... */
export const JOINS_PER_IP_PER_S = 5;
/** ...with this burst. */
export const JOIN_BURST_PER_IP = 20;
/** Live zone instances per process. */
export const MAX_ZONES = 100;
/** Failed admin logins per IP in a minute before `/admin` answers 429 (the wait doubles each time). */
export const ADMIN_LOGIN_FAILURES_PER_MIN = 10;
/** Names guests may not take (compared by confusable skeleton, case-insensitive). */
export const RESERVED_NAMES: readonly string[] = ["admin", "moderator", "system", "earshot"];
