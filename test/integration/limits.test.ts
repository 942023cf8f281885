import { afterEach, expect, test } from "vitest";
import { ErrorCode, MAX_CHAT_CHARS, MAX_MESSAGE_BYTES, chatLength } from "@earshot/protocol";
import { bootServer, join } from "../helpers/server.js";

const servers: Awaited<ReturnType<typeof bootServer>>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

test.each([
  ["100", 150, ErrorCode.InvalidMessage],
  ["100", 99, undefined],
  ["20000", 15_000, undefined],
])("WORLD_BOUND_M=%s: a position at x=%s is %s", async (bound, x, code) => {
  const server = await bootServer({}, { env: { WORLD_BOUND_M: bound } });
  servers.push(server);
  const j = await join(server.url, "bounds", "Walker");
  j.room.send("position", { x, y: 0, z: 0 });
  j.room.send("chat", { content: "done", clientMessageId: "marker" });
  await j.inbox.next("message_ack");
  const errors = j.inbox.of("error");
  if (code) expect(errors.map((e) => e.code)).toEqual([code]);
  else expect(errors).toEqual([]);
});

test("the 64 KB limit counts UTF-8 bytes: 30,000 euro signs are 90 KB", async () => {
  const server = await bootServer();
  servers.push(server);
  const j = await join(server.url, "bytes", "Euro");
  const content = "€".repeat(30_000);
  expect(JSON.stringify({ content }).length).toBeLessThan(MAX_MESSAGE_BYTES);
  j.room.send("chat", { content, clientMessageId: "euros" });
  const error = await j.inbox.next("error");
  expect(error).toMatchObject({ code: ErrorCode.TooLarge, ref: "euros" });
  expect(error.message).toMatch(/90\d{3} bytes, the limit is 65536/);
});

test("chat length is one definition: 300 emoji are 300 characters (600 UTF-16 units) and are accepted", async () => {
  const server = await bootServer();
  servers.push(server);
  const j = await join(server.url, "emoji", "Smiles");
  const content = "😀".repeat(300);
  expect(chatLength(content)).toBe(300);
  expect(content.length).toBe(600);
  j.room.send("chat", { content, clientMessageId: "smiles" });
  expect((await j.inbox.next("message_ack")).clientMessageId).toBe("smiles");
  j.room.send("chat", { content: "😀".repeat(MAX_CHAT_CHARS + 1), clientMessageId: "too many" });
  expect(await j.inbox.next("error")).toMatchObject({ code: ErrorCode.TooLarge, ref: "too many" });
});
