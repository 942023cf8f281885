import { afterAll, beforeAll, expect, test } from "vitest";
import { BANNED_CLOSE_CODE, ErrorCode } from "@earshot/protocol";
import { EarshotClient } from "@earshot/client";
import { Client } from "@colyseus/sdk";
import { bootServer, cutSocket, join, until } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  // Tokens are "user:<id>": lasting identities, which is what a ban is for.
  server = await bootServer(
    {},
    { authenticate: (token) => Promise.resolve(token ? { id: token.slice(5) } : undefined) },
  );
});
afterAll(async () => {
  await server?.close();
});

const admin = { authorization: `Basic ${Buffer.from("admin:test-password").toString("base64")}` };
const bans = (method = "GET", userId = "", headers: Record<string, string> = admin) =>
  fetch(`${server.url}/admin/api/bans${userId && `/${encodeURIComponent(userId)}`}`, { method, headers });

test("the ban API needs the admin password", async () => {
  expect((await bans("GET", "", {})).status).toBe(401);
  expect((await bans("PUT", "carol", {})).status).toBe(401);
  const ok = await bans();
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ bans: [] });
});

test("a ban closes the user's session with a banned error, the client does not come back, and joins are refused until lifted", async () => {
  const carol = new EarshotClient({
    serverUrl: server.url,
    user: { name: "Carol" },
    token: "user:carol",
    createPeer: () => {
      throw new Error("no voice in this test");
    },
  });
  const watcher = await join(server.url, "mod", "Watcher");
  await carol.join("mod");
  const errors: string[] = [];
  carol.on("serverError", (e) => errors.push(e.code));
  const states: string[] = [];
  carol.on("connectionState", (s) => states.push(s));

  expect((await bans("PUT", "carol")).status).toBe(204);
  expect((await watcher.inbox.next("user_left")).userId).toBe("carol");
  await until(() => carol.connectionState === "closed", 5_000, "Carol's client to close");
  expect(errors).toEqual([ErrorCode.Banned]);
  expect(states).toEqual(["closed"]); // no attempt to join again
  expect(await (await bans()).json()).toEqual({ bans: ["carol"] });

  const refused = await join(server.url, "mod", "Carol again", { token: "user:carol" }).catch((e: unknown) => e);
  expect(refused).toMatchObject({ code: BANNED_CLOSE_CODE, message: expect.stringContaining(ErrorCode.Banned) });

  expect((await bans("DELETE", "carol")).status).toBe(204);
  const back = await join(server.url, "mod", "Carol again", { token: "user:carol" });
  expect(back.joined.users.map((u) => u.id)).toContain("carol");
  expect(await (await bans()).json()).toEqual({ bans: [] });
  await back.room.leave();
  await watcher.room.leave();
  await carol.close();
});

test("a ban takes back the seat of a session whose socket just dropped", async () => {
  const watcher = await join(server.url, "mod-drop", "Watcher");
  const dave = await join(server.url, "mod-drop", "Dave", { token: "user:dave" });
  dave.room.reconnection.enabled = false;
  const token = dave.room.reconnectionToken;
  cutSocket(dave.room); // the server keeps Dave's seat for 20 s
  expect((await bans("PUT", "dave")).status).toBe(204);
  expect((await watcher.inbox.next("user_left")).userId).toBe("dave");
  const again = await new Client(server.url).reconnect(token).catch((e: unknown) => e);
  expect(again).toBeInstanceOf(Error);
  await bans("DELETE", "dave");
  await watcher.room.leave();
});

test("a malformed user id gets 400 with a code, and nothing is banned", async () => {
  const res = await bans("PUT", "has space");
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ error: { code: ErrorCode.InvalidMessage, message: expect.any(String) } });
  expect((await bans("PUT", "x".repeat(129))).status).toBe(400);
  expect(await (await bans()).json()).toEqual({ bans: [] });
});
