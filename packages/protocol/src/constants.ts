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
/** At most this many messages are returned by one `reconnect`. */
export const MAX_MISSED_MESSAGES = 1_000;
/** An offer not answered within this time gets `peer_unavailable {reason:"timeout"}`. */
export const OFFER_TIMEOUT_MS = 10_000;
/** A decoded client message larger than this (JSON bytes) gets `too_large`. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** WebSocket close code of a session ended by a ban; a join refused for a ban carries it too. */
export const BANNED_CLOSE_CODE = 4403;
/** Seconds a dropped client may take to reconnect into its seat. */
export const RECONNECT_WINDOW_S = 20;

/** The spec's default ICE servers. */
export const DEFAULT_ICE_SERVERS: readonly { urls: string | string[]; username?: string; credential?: string }[] = [
  { urls: "stun:stun.l.google.com:19302" },
  { urls: "stun:stun1.l.google.com:19302" },
];

/** Microphone constraints of the spec. */
export const AUDIO_CONSTRAINTS = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  sampleRate: 24_000,
  channelCount: 1,
} as const;

/** Opus target: max average bitrate in bits per second. */
export const OPUS_MAX_AVERAGE_BITRATE = 24_000;
