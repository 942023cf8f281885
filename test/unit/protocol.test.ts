import { describe, expect, test } from "vitest";
import { messageIdOf, messageSeq, parseClientMessage, pannerFor, volumeAt } from "@earshot/protocol";

describe("volumeAt", () => {
  test.each([
    [0, 1],
    [2, 1],
    [8.5, 0.6389],
    [11, 0.5],
    [20, 0],
    [25, 0],
  ])("at %s m the volume is %s", (d, v) => {
    expect(volumeAt(d)).toBeCloseTo(v, 4);
  });

  test("equals Web Audio's linear distance model with the panner settings", () => {
    const p = pannerFor({ refDistance: 1, hearRadius: 30 });
    for (const d of [1, 5, 12.5, 29]) {
      const webAudio =
        1 -
        (p.rolloffFactor * (Math.max(Math.min(d, p.maxDistance), p.refDistance) - p.refDistance)) /
          (p.maxDistance - p.refDistance);
      expect(volumeAt(d, { refDistance: 1, hearRadius: 30 })).toBeCloseTo(webAudio, 10);
    }
  });
});

describe("messages", () => {
  test("client messages are strict: extra fields other than the spec's envelope are refused", () => {
    expect(parseClientMessage("chat", { content: "hi" }).ok).toBe(true);
    expect(parseClientMessage("chat", { content: "hi", mood: "x" })).toMatchObject({
      ok: false,
      code: "invalid_message",
    });
    expect(parseClientMessage("nope", {})).toEqual({
      ok: false,
      code: "invalid_message",
      reason: 'unknown message type "nope"',
    });
  });

  test("message ids round-trip and reject anything else", () => {
    expect(messageSeq(messageIdOf(42))).toBe(42);
    for (const bad of ["msg_", "msg_-1", "msg_1.5", "x_1", "", null, undefined])
      expect(messageSeq(bad)).toBeUndefined();
  });
});
