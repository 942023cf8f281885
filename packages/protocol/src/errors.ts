import { BANNED_CLOSE_CODE, KICKED_CLOSE_CODE } from "./constants.js";

/** Stable error codes sent in `error {code}` and carried by {@link EarshotError}. */
export const ErrorCode = {
  InvalidMessage: "invalid_message",
  TooLarge: "too_large",
  RateLimited: "rate_limited",
  NotInVoice: "not_in_voice",
  NotPaired: "not_paired",
  Unauthorized: "unauthorized",
  ProtocolMismatch: "protocol_mismatch",
  Banned: "banned",
  /** The zone is not one of the server's zones (`ZONES`). */
  UnknownZone: "unknown_zone",
  /** A message names another zone than the one the client is in. */
  WrongZone: "wrong_zone",
  /** The server cannot take more (zones, connections); retry after `retryAfterMs`. */
  ServerFull: "server_full",
  /** Something failed on the server's side. */
  Internal: "internal",
  /** The chat store (PostgreSQL or SQLite) is down: nothing was stored; retry after `retryAfterMs`. */
  StoreUnavailable: "store_unavailable",
  /** A service the server needs (Redis) is down: retry the join after `retryAfterMs`. */
  ServiceUnavailable: "service_unavailable",
  /** A moderator muted your chat: nothing was stored; see `retryAfterMs` for when it ends. */
  Muted: "muted",
  /** A moderator removed you from the zone; you may join again after `retryAfterMs`. */
  Kicked: "kicked",
  /**
   * Client-side only: the connection closed for good before the server answered (a pending
   * chat's failure). The server never sends it.
   */
  ConnectionClosed: "connection_closed",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const CODES = new Set<string>(Object.values(ErrorCode));

/** True when `code` is one of the registered {@link ErrorCode}s. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && CODES.has(code);
}

/** An error with a stable {@link ErrorCode}; keeps `cause`. */
export class EarshotError extends Error {
  override readonly name = "EarshotError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }
  /** For `rate_limited`: how long to wait before trying again. */
  readonly retryAfterMs: number | undefined;
}

/**
 * The WebSocket close code (4000 + an HTTP-like status) of a join refused with each code, so
 * the code travels in the close code's numeric field, not only in its text. Refusals made
 * during HTTP matchmaking (zone creation, origin and rate guards) use `code - 4000` as the HTTP
 * status and carry `{code, message}` in their JSON body.
 */
export const REFUSAL_CLOSE_CODES = {
  [ErrorCode.InvalidMessage]: 4400,
  [ErrorCode.Unauthorized]: 4401,
  [ErrorCode.Banned]: BANNED_CLOSE_CODE,
  [ErrorCode.Kicked]: KICKED_CLOSE_CODE,
  [ErrorCode.UnknownZone]: 4404,
  [ErrorCode.ProtocolMismatch]: 4426,
  [ErrorCode.RateLimited]: 4429,
  [ErrorCode.Internal]: 4500,
  [ErrorCode.ServiceUnavailable]: 4502,
  [ErrorCode.ServerFull]: 4503,
} as const satisfies Partial<Record<ErrorCode, number>>;

/** The codes a join can be refused with (those with a close code). */
export type RefusalCode = keyof typeof REFUSAL_CLOSE_CODES;

/** The error code of a refusal's close code (or its HTTP status), if it is one of ours. */
export function errorCodeOfClose(closeCode: unknown): ErrorCode | undefined {
  if (typeof closeCode !== "number") return undefined;
  const wanted = closeCode < 1000 ? closeCode + 4000 : closeCode;
  return (Object.keys(REFUSAL_CLOSE_CODES) as RefusalCode[]).find((c) => REFUSAL_CLOSE_CODES[c] === wanted);
}

/** Join refusals that waiting does not fix: a client never retries them. */
export const PERMANENT_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Banned,
  // Not permanent, but the person decides when to come back, not a retry loop.
  ErrorCode.Kicked,
  ErrorCode.Unauthorized,
  ErrorCode.UnknownZone,
  ErrorCode.ProtocolMismatch,
  ErrorCode.InvalidMessage,
]);

/**
 * A refused join travels as a Colyseus error message: `"<code>: <text>"`, with `" (retry in N
 * ms)"` when waiting helps. {@link joinRefusal} writes it, {@link parseJoinRefusal} reads it.
 */
export function joinRefusal(code: ErrorCode, text: string, retryAfterMs?: number): string {
  return `${code}: ${text}${retryAfterMs === undefined ? "" : ` (retry in ${Math.ceil(retryAfterMs)} ms)`}`;
}

/** The code and wait of a refused join's message; undefined when it is not one of ours. */
export function parseJoinRefusal(message: string): { code: ErrorCode; retryAfterMs?: number } | undefined {
  const m = /^([a-z_]+): [\s\S]*?(?: \(retry in (\d+) ms\))?$/.exec(message);
  if (!m || !isErrorCode(m[1])) return undefined;
  return m[2] === undefined ? { code: m[1] } : { code: m[1], retryAfterMs: Number(m[2]) };
}
