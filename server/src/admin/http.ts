import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { basicAuth, matchMaker } from "@colyseus/core";
import type { Presence } from "@colyseus/core";
import { monitor } from "@colyseus/monitor";
import express from "express";
import { ZONE_ROOM } from "@earshot/protocol";
import type { Metrics } from "../rooms/services.js";
import type { GuardedStore } from "../storage/GuardedStore.js";
import { moderationRoutes } from "./moderation.js";
import type { Moderation } from "./moderation.js";
import type { ModerationStore } from "../storage/ChatStore.js";
import { presenceKey } from "../rooms/ZoneRoom.js";
import { LoginBackoff } from "../guard/loginBackoff.js";

export interface HttpDeps {
  adminPassword: string;
  metrics: Metrics;
  presence: Presence;
  /** Its health is `/healthz`'s answer. */
  store: Pick<GuardedStore, "check"> & ModerationStore;
  moderation: Moderation;
  staticDir?: string;
  /** Failed logins per IP in a minute before 429 (doubling waits). */
  adminLoginFailuresPerMin: number;
  now: () => number;
}

const digest = (b: Buffer) => createHash("sha256").update(b).digest();

/**
 * Basic auth with a `WWW-Authenticate` challenge, so a browser shows its login prompt (the
 * monitor's own check answers 401 without one). Digests are compared in constant time, so
 * neither the password nor its length leaks; failures back off per IP (429, `Retry-After`).
 */
function requirePassword(password: string, backoff: LoginBackoff, now: () => number): express.RequestHandler {
  const expected = digest(Buffer.from(`admin:${password}`));
  return (req, res, next) => {
    const ip = String(req.headers["x-real-ip"] ?? req.socket.remoteAddress ?? "unknown");
    const wait = backoff.retryAfterMs(ip, now());
    if (wait !== undefined) {
      res
        .set("Retry-After", String(Math.ceil(wait / 1000)))
        .status(429)
        .send("Too many failed logins, try later");
      return;
    }
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Basic ") ? Buffer.from(header.slice(6), "base64") : Buffer.alloc(0);
    if (timingSafeEqual(digest(given), expected)) {
      backoff.succeeded(ip);
      return next();
    }
    // A request without credentials is a browser asking for the prompt, not a guess.
    if (header) backoff.failed(ip, now());
    res.set("WWW-Authenticate", 'Basic realm="Earshot admin"').status(401).send("Authentication required");
  };
}

const ADMIN_CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

let monitorHtml: string | undefined;
/** The Colyseus monitor's page without its link to fonts.googleapis.com. */
function monitorPage(): string {
  if (monitorHtml === undefined) {
    const build = dirname(createRequire(import.meta.url).resolve("@colyseus/monitor"));
    monitorHtml = readFileSync(join(build, "static", "index.html"), "utf8")
      .replace(/<link[^>]+fonts\.googleapis\.com[^>]*>\s*/g, "")
      .replace("<title>Colyseus Stats</title>", "<title>Earshot admin</title>");
  }
  return monitorHtml;
}

/** Counts users per zone across every process, from the shared room listings. */
export async function zoneCounts(): Promise<{ zoneId: string; users: number; rooms: number }[]> {
  const rooms = await matchMaker.query({ name: ZONE_ROOM });
  const zones = new Map<string, { users: number; rooms: number }>();
  for (const room of rooms) {
    const zoneId = (room.metadata as { zoneId?: string } | undefined)?.zoneId;
    if (!zoneId) continue;
    const z = zones.get(zoneId) ?? { users: 0, rooms: 0 };
    z.users += room.clients;
    z.rooms += 1;
    zones.set(zoneId, z);
  }
  return [...zones].map(([zoneId, z]) => ({ zoneId, ...z })).sort((a, b) => a.zoneId.localeCompare(b.zoneId));
}

const PLACEHOLDER = `<!doctype html><meta charset="utf-8"><title>Earshot</title>
<style>body{font:16px system-ui;max-width:40em;margin:3em auto;color:#222}</style>
<h1>Earshot server is running</h1>
<p>Colyseus zone rooms are ready on this port (room type <code>zone</code>).</p>
<p>The demo world is not built yet: run <code>npm run build -w demo</code>, then reload.</p>
<p><a href="/healthz">/healthz</a> · <a href="/api/zones">/api/zones</a> · <a href="/metrics">/metrics</a></p>`;

/** Routes of the HTTP side: health, metrics, zones, the admin monitor and the demo. */
export function mountHttp(app: express.Application, deps: HttpDeps): void {
  // For load balancers: 503 while the chat store is down (rooms and voice still work).
  app.get("/healthz", async (_req, res) => {
    const up = await deps.store.check();
    res.status(up ? 200 : 503).json({ ok: up, store: up ? "up" : "down" });
  });
  app.get("/api/zones", async (_req, res) => {
    const zones = await zoneCounts();
    const online = await Promise.all(zones.map((z) => deps.presence.hlen(presenceKey(z.zoneId))));
    res.json({ zones: zones.map((z, i) => ({ ...z, online: online[i] })) });
  });
  app.get("/metrics", async (_req, res) => {
    const lines: string[] = [];
    const typed = new Set<string>();
    for (const [name, value] of [...deps.metrics.counters].sort(([a], [b]) => a.localeCompare(b))) {
      const base = name.replace(/\{.*$/, "");
      if (!typed.has(base)) lines.push(`# TYPE ${base} counter`);
      typed.add(base);
      lines.push(`${name} ${value}`);
    }
    const zones = await zoneCounts();
    lines.push("# TYPE earshot_zone_users gauge");
    for (const z of zones) lines.push(`earshot_zone_users{zone="${z.zoneId}"} ${z.users}`);
    lines.push("# TYPE earshot_tick_ms gauge", `earshot_tick_ms ${deps.metrics.tickMs.toFixed(3)}`);
    lines.push("# TYPE earshot_tick_max_ms gauge", `earshot_tick_max_ms ${deps.metrics.tickMaxMs.toFixed(3)}`);
    res.type("text/plain; version=0.0.4").send(lines.join("\n") + "\n");
  });
  const backoff = new LoginBackoff({ maxFailures: deps.adminLoginFailuresPerMin });
  const password = requirePassword(deps.adminPassword, backoff, deps.now);
  // Before the monitor, which answers every path under /admin.
  app.use(
    "/admin/api",
    password,
    express.json({ limit: "16kb" }),
    moderationRoutes(deps.moderation, deps.store, deps.now),
  );
  // Nothing on /admin is fetched from another host: the monitor's page without its Google font
  // link (its icons show as their names), and a policy that would block any other.
  app.use("/admin", password, (_req, res, next) => {
    res.set("Content-Security-Policy", ADMIN_CSP);
    next();
  });
  app.get("/admin/", (_req, res) => {
    res.type("html").send(monitorPage());
  });
  app.use(
    "/admin",
    monitor({
      use: [basicAuth({ users: { admin: deps.adminPassword } })],
      // Rooms by zone id, with their user counts and who is in them (ZoneRoom's metadata).
      columns: [{ metadata: "zoneId" }, "clients", "maxClients", { metadata: "people" }, "roomId", "elapsedTime"],
    }) as express.RequestHandler,
  );
  const dir = deps.staticDir;
  if (dir && existsSync(join(dir, "index.html"))) {
    app.use(express.static(dir, { index: "index.html" }));
  } else {
    app.get("/", (_req, res) => {
      res.type("html").send(PLACEHOLDER);
    });
  }
}
