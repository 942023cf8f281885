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
