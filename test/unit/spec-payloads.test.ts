import { describe, expect, test } from "vitest";
import { ENVELOPE_FIELDS, clientMessages, parseClientMessage } from "@earshot/protocol";
import type { ClientMessageType } from "@earshot/protocol";

const zone = { zoneId: "events", roomId: "r0OmId" };

/**
 * Every client message exactly as the packet-flow spec (docs/PROTOCOL.md) writes it, or, for the
 * types it shows no payload of, with every envelope field it puts in payloads. One row per
 * client message type; a type added to the protocol without a row fails the last test.
 */
const spec: Record<ClientMessageType, { payload: Record<string, unknown>; expect: Record<string, unknown> }> = {
  chat: {
    payload: { type: "chat", roomId: "events", content: "Hello!", timestamp: 1234567 },
    expect: { content: "Hello!" },
  },
  typing: { payload: { type: "typing", roomId: "events", isTyping: true }, expect: { isTyping: true } },
  presence: {
    payload: { type: "presence", userId: "user_123", status: "online", zone: "events", micMuted: false },
    expect: { status: "online", micMuted: false },
  },
  position: { payload: { type: "position", x: 5.2, y: 1.6, z: 3.1 }, expect: { x: 5.2, y: 1.6, z: 3.1 } },
  join_voice_zone: { payload: { zoneId: "events" }, expect: { zoneId: "events" } },
  disconnect_voice: { payload: { type: "disconnect_voice" }, expect: {} },
  offer: { payload: { type: "offer", to: "bob_id", sdp: "v=0..." }, expect: { to: "bob_id", sdp: "v=0..." } },
  answer: {
    payload: { type: "answer", to: "alice_id", from: "bob_id", sdp: "v=0..." },
    expect: { to: "alice_id", sdp: "v=0..." },
  },
  ice_candidate: {
    payload: {
      type: "ice_candidate",
      to: "bob_id",
      candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" },
    },
    expect: { to: "bob_id", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" } },
  },
  voice_state: {
    payload: { type: "voice_state", muted: false, speaking: true, volume: 0.8 },
    expect: { muted: false, speaking: true, volume: 0.8 },
  },
  reconnect: { payload: { type: "reconnect", lastMessageId: "msg_5" }, expect: { lastMessageId: "msg_5" } },
  leave_room: { payload: { roomId: "events" }, expect: {} },
  voice_link_failed: {
    payload: { type: "voice_link_failed", peerId: "bob_id", timestamp: 1 },
    expect: { peerId: "bob_id" },
  },
  moderate: {
    payload: { type: "moderate", action: "mute", userId: "user_9", durationS: 60, reason: "shouting" },
    expect: { action: "mute", userId: "user_9", durationS: 60, reason: "shouting" },
  },
  block: { payload: { type: "block", userId: "user_9" }, expect: { userId: "user_9" } },
  personal_space: {
    payload: { type: "personal_space", bubbleM: 1.5, friends: ["user_2"] },
    expect: { bubbleM: 1.5, friends: ["user_2"] },
  },
  unblock: { payload: { type: "unblock", userId: "user_9" }, expect: { userId: "user_9" } },
  report: {
    payload: { type: "report", userId: "user_9", reason: "spam", messageId: "msg_3" },
    expect: { userId: "user_9", reason: "spam", messageId: "msg_3" },
  },
  stage_offer: {
    payload: { type: "stage_offer", roomId: "events", stageId: "main", sdp: "v=0" },
    expect: { stageId: "main", sdp: "v=0" },
  },
  stage_answer: {
    payload: { type: "stage_answer", stageId: "main", speakerId: "abc", sdp: "v=0" },
    expect: { stageId: "main", speakerId: "abc", sdp: "v=0" },
  },
  stage_ice: {
    payload: {
      type: "stage_ice",
      stageId: "main",
      speakerId: "abc",
      candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" },
    },
    expect: {
      stageId: "main",
      speakerId: "abc",
      candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" },
    },
  },
};

describe("the spec's payloads", () => {
  test.each(Object.entries(spec))("%s is accepted as the spec writes it", (type, row) => {
    const parsed = parseClientMessage(type, row.payload, zone);
    expect(parsed).toEqual({ ok: true, message: { type, ...row.expect } });
  });

  test.each(["from", "userId", "timestamp"])("the server-owned %s never reaches the server's code", (field) => {
    const parsed = parseClientMessage("chat", { content: "hi", [field]: "spoofed" }, zone);
    expect(parsed.ok && field in parsed.message).toBe(false);
  });

  test.each([
    ["roomId", "movies", "wrong_zone"],
    ["zone", "movies", "wrong_zone"],
    ["roomId", "r0OmId", "ok"],
    ["zone", "events", "ok"],
    ["roomId", 5, "invalid_message"],
  ])("%s %s -> %s", (field, value, outcome) => {
    const parsed = parseClientMessage("chat", { content: "hi", [field]: value }, zone);
    expect(parsed.ok ? "ok" : parsed.code).toBe(outcome);
    if (!parsed.ok && outcome === "wrong_zone") expect(parsed.reason).toMatch(/not your zone; you are in "events"/);
  });

  test("every client message type has a spec row, and the envelope is what the docs list", () => {
    expect(Object.keys(spec).sort()).toEqual(Object.keys(clientMessages).sort());
    expect([...ENVELOPE_FIELDS].sort()).toEqual(["from", "roomId", "timestamp", "type", "userId", "zone"]);
  });
});
