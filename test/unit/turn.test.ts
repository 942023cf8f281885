import { createHmac } from "node:crypto";
import { expect, test } from "vitest";
import { turnCredentials } from "../../server/src/signaling/turn.js";

test("TURN credentials are time-limited HMACs of expiry:userId, never the secret", () => {
  const s = turnCredentials(["turn:turn.example.org:3478"], "s3cret", "guest_1", 1_700_000_000_000, 600);
  expect(s.username).toBe("1700000600:guest_1");
  expect(s.credential).toBe(createHmac("sha1", "s3cret").update("1700000600:guest_1").digest("base64"));
  expect(JSON.stringify(s)).not.toContain("s3cret");
});
