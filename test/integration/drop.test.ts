import { afterAll, beforeAll, expect, test } from "vitest";
import { bootServer, cutSocket, join, until } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  server = await bootServer({ reconnectWindowS: 1 });
});
afterAll(async () => {
  await server?.close();
});

test("a client that drops and does not come back within the window leaves the room", async () => {
  const stay = await join(server.url, "drop", "Stay");
  const gone = await join(server.url, "drop", "Gone");
  gone.room.reconnection.enabled = false;
  cutSocket(gone.room);
  const left = await stay.inbox.next("user_left", () => true, { timeoutMs: 10_000 });
  expect(left.sessionId).toBe(gone.room.sessionId);
  await until(() => !stay.room.state.users.has(gone.room.sessionId), 5_000, "the roster to drop Gone");
  await stay.room.leave();
});
