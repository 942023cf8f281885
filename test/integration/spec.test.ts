import { afterAll, beforeAll, expect, test } from "vitest";
import { ErrorCode } from "@earshot/protocol";
import { bootServer, join } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  server = await bootServer();
});
afterAll(() => server?.close());

test("the spec's chat and presence payloads work as written; server-owned fields are the server's; another zone is wrong_zone", async () => {
  const alice = await join(server.url, "spec", "Alice");
  const bob = await join(server.url, "spec", "Bob");
  const aliceId = (await alice.inbox.next("connected")).userId;

  const before = Date.now();
  alice.room.send("chat", {
    type: "chat",
    roomId: "spec",
    content: "Hello!",
    timestamp: 1234567,
    from: "user_123",
    clientMessageId: "c1",
  });
  const ack = await alice.inbox.next("message_ack");
  expect(ack.clientMessageId).toBe("c1");
  const chat = await bob.inbox.next("chat", (m) => m.content === "Hello!");
  expect(chat.from).toBe(aliceId);
  expect(chat.timestamp).toBeGreaterThanOrEqual(before);
  expect(chat.timestamp).toBe(ack.timestamp);

  alice.room.send("presence", { type: "presence", userId: "user_123", status: "away", zone: "spec", micMuted: false });
  const presence = await bob.inbox.next("presence");
  expect(presence).toMatchObject({ userId: aliceId, status: "away", zone: "spec", micMuted: false });

  alice.room.send("chat", { type: "chat", roomId: "movies", content: "wrong room", clientMessageId: "c2" });
  const error = await alice.inbox.next("error", (e) => e.ref === "c2");
  expect(error.code).toBe(ErrorCode.WrongZone);
  expect(error.message).toMatch(/"movies" is not your zone/);
  expect((await server.store.recent("spec", 10)).map((m) => m.content)).toEqual(["Hello!"]);
  expect(alice.room.connection.isOpen).toBe(true);
});
