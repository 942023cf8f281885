import { describe, expect, test } from "vitest";
import { TokenBucket, ratePer } from "../../server/src/chat/rateLimit.js";
import { sanitizeAvatar, sanitizeName } from "../../server/src/chat/identity.js";
import { checkChatContent } from "../../server/src/chat/ZoneChat.js";

describe("token bucket", () => {
  test("5 per 5 s: a burst of 5, then one a second, with the wait reported", () => {
    const bucket = ratePer(5, 5_000, 0);
    for (let i = 0; i < 5; i++) expect(bucket.take(0).ok).toBe(true);
    expect(bucket.take(0)).toEqual({ ok: false, retryAfterMs: 1_000 });
    expect(bucket.take(400)).toEqual({ ok: false, retryAfterMs: 600 });
    expect(bucket.take(1_000).ok).toBe(true);
    expect(bucket.take(1_000).ok).toBe(false);
  });

  test("never holds more than its capacity", () => {
    const bucket = new TokenBucket(3, 100, 0);
    const results = Array.from({ length: 5 }, () => bucket.take(1_000_000).ok);
    expect(results).toEqual([true, true, true, false, false]);
  });
});

describe("names and content", () => {
  test.each([
    ["  Alice  ", "Alice"],
    ["Bo\u0000b\u0007", "Bob"],
    ["\u202eevil", "evil"],
    ["", "Guest"],
    ["   ", "Guest"],
    [42, "Guest"],
    ["x".repeat(40), "x".repeat(32)],
    ["😀".repeat(40), "😀".repeat(32)],
  ])("name %j becomes %j", (raw, want) => {
    expect(sanitizeName(raw)).toBe(want);
  });

  test("avatars are short tokens only", () => {
    expect(sanitizeAvatar("#ff8800")).toBe("#ff8800");
    expect(sanitizeAvatar("<script>")).toBe("");
  });

  test("chat content: trimmed, 1..500 characters", () => {
    expect(checkChatContent("  hi ")).toEqual({ ok: true, content: "hi" });
    expect(checkChatContent("   ")).toMatchObject({ ok: false, code: "invalid_message" });
    expect(checkChatContent("a".repeat(500))).toMatchObject({ ok: true });
    expect(checkChatContent("a".repeat(501))).toMatchObject({ ok: false, code: "too_large" });
  });
});
