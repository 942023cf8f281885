import { createRemoteJWKSet, jwtVerify } from "jose";
import type { JWTVerifyGetKey } from "jose";
import type { Identity } from "../rooms/services.js";

/** Built-in verification of join tokens (README, "Security"). */
export interface JwtOptions {
  /** HMAC secret (HS256/384/512). Either this or `jwksUrl`. */
  secret?: string;
  /** URL of a JSON Web Key Set (RS256, ES256, EdDSA...). */
  jwksUrl?: string;
  /** Required `iss` claim, when set. */
  issuer?: string;
  /** Required `aud` claim, when set. */
  audience?: string;
}

/**
 * An `authenticate` hook verifying JWT join tokens with `jose`: the `sub` claim is the user id,
 * a `name` claim the display name and a `roles` claim (an array of strings) its roles. No token gives a guest (undefined); a bad, expired,
 * wrongly issued or wrongly signed token throws, which refuses the join with `unauthorized`.
 */
export function jwtAuthenticator(options: JwtOptions): (token: string | undefined) => Promise<Identity | undefined> {
  const key: Uint8Array | JWTVerifyGetKey | undefined = options.secret
    ? new TextEncoder().encode(options.secret)
    : options.jwksUrl
      ? createRemoteJWKSet(new URL(options.jwksUrl))
      : undefined;
  if (!key) throw new Error("jwtAuthenticator needs a secret or a jwksUrl");
  const verifyOptions = {
    ...(options.issuer && { issuer: options.issuer }),
    ...(options.audience && { audience: options.audience }),
  };
  return async (token) => {
    if (!token) return undefined;
    const { payload } = await (typeof key === "function"
      ? jwtVerify(token, key, verifyOptions)
      : jwtVerify(token, key, verifyOptions));
    if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 64)
      throw new Error("the token has no usable sub claim");
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : [];
    return {
      id: payload.sub,
      ...(typeof payload.name === "string" && { name: payload.name }),
      ...(roles.length && { roles }),
    };
  };
}
