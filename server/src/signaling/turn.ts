import { createHmac } from "node:crypto";
import type { IceServer } from "@earshot/protocol";

/**
 * Time-limited TURN credentials (the TURN REST API used by coturn's `use-auth-secret`):
 * username `expiry:userId`, password base64(HMAC-SHA1(secret, username)). Browsers never see
 * the shared secret.
 */
export function turnCredentials(urls: string[], secret: string, userId: string, nowMs: number, ttlS = 3600): IceServer {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${userId}`;
  const credential = createHmac("sha1", secret).update(username).digest("base64");
  return { urls, username, credential };
}
