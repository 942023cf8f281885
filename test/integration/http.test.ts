import { afterAll, beforeAll, expect, test } from "vitest";
import { bootServer, join } from "../helpers/server.js";

let server: Awaited<ReturnType<typeof bootServer>>;
beforeAll(async () => {
  server = await bootServer();
});
afterAll(async () => {
  await server?.close();
});

const basic = (user: string, pw: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`,
});

test("/healthz answers 200", async () => {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true, store: "up" });
});

test("/admin needs the password: 401 without or with a wrong one, 200 with it", async () => {
  expect((await fetch(`${server.url}/admin/`)).status).toBe(401);
  expect((await fetch(`${server.url}/admin/`, { headers: basic("admin", "nope") })).status).toBe(401);
  const ok = await fetch(`${server.url}/admin/`, { headers: basic("admin", "test-password") });
  expect(ok.status).toBe(200);
  expect(await ok.text()).toContain("<");
});

test("without ADMIN_PASSWORD a random password is generated and printed once", async () => {
  // One Colyseus server per process: read the generated password from a child process.
  const { spawnServer, stop } = await import("../helpers/process.js");
  const child = await spawnServer({ ADMIN_PASSWORD: "", EARSHOT_DB: ":memory:" });
  try {
    const pw = /password "([^"]+)"/.exec(child.output())?.[1];
    expect(pw).toMatch(/^[\w-]{12,}$/);
    expect((await fetch(`${child.url}/admin/`)).status).toBe(401);
    expect((await fetch(`${child.url}/admin/`, { headers: basic("admin", pw!) })).status).toBe(200);
  } finally {
    await stop(child.proc);
  }
});

test("/api/zones counts users per zone and / says what is running", async () => {
  const a = await join(server.url, "events", "A");
  const b = await join(server.url, "movies", "B");
  const c = await join(server.url, "movies", "C");
  const zones = (await (await fetch(`${server.url}/api/zones`)).json()) as {
    zones: { zoneId: string; users: number }[];
  };
  expect(zones.zones.map((z) => [z.zoneId, z.users])).toEqual([
    ["events", 1],
    ["movies", 2],
  ]);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toContain('earshot_zone_users{zone="movies"} 2');
  expect(metrics).toMatch(/earshot_joins_total 3/);
  const home = await (await fetch(`${server.url}/`)).text();
  expect(home).toContain("Earshot");
  await Promise.all([a, b, c].map((j) => j.room.leave()));
});
