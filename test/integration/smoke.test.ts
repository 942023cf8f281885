import { afterAll, beforeAll, expect, test } from "vitest";
import { bootServer, join } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  server = await bootServer();
});
afterAll(async () => {
  await server?.close();
});

test("two clients join and chat", async () => {
  const a = await join(server.url, "events", "Alice");
  const b = await join(server.url, "events", "Bob");
  await a.inbox.next("user_joined");
  a.room.send("chat", { content: "hi", clientMessageId: "c1" });
  const ack = await a.inbox.next("message_ack");
  const got = await b.inbox.next("chat");
  expect(got.messageId).toBe(ack.messageId);
  console.log(a.inbox.all.map((m) => m.type));
  await a.room.leave();
  await b.room.leave();
});
