import "./node20.js";
import { randomBytes } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { LocalDriver, LocalPresence, Server, matchMaker } from "@colyseus/core";
import type { Presence } from "@colyseus/core";
import type express from "express";
import { Encoder } from "@colyseus/schema";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { ZONE_ROOM } from "@earshot/protocol";
import { mountHttp } from "./admin/http.js";
import { Moderation } from "./admin/moderation.js";
import { JanusGateway } from "./stage/janus.js";
import type { EarshotConfig } from "./config.js";
import { Metrics } from "./rooms/services.js";
import type { ZoneServices } from "./rooms/services.js";
import { ZoneRoom, zoneRoomWith } from "./rooms/ZoneRoom.js";
import { RedisWatch, guardMatchmaking } from "./scale/redis.js";
import { openChatStore } from "./storage/index.js";
import { jwtAuthenticator } from "./auth/jwt.js";
import { IpLimits } from "./guard/ipLimits.js";
import { beforeUpgrade, guardHttpServer } from "./guard/network.js";
import type { NetworkGuard } from "./guard/network.js";
import { OriginPolicy } from "./guard/origins.js";
import type { ChatStore } from "./storage/ChatStore.js";
import { GuardedStore } from "./storage/GuardedStore.js";
import { ThrottledLog } from "./util/throttledLog.js";

// A zone's full roster (500 users by default) is sent on join and exceeds the 8 KB default.
Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, 256 * 1024);

/** Frames above this close the socket (1009). Messages above MAX_MESSAGE_BYTES get `too_large`. */
export const TRANSPORT_MAX_PAYLOAD_BYTES = 256 * 1024;

export interface StartOptions {
  /** See {@link ZoneServices.authenticate}. */
  authenticate?: ZoneServices["authenticate"];
  /** Chat store to use instead of the one the config names. */
  store?: ChatStore;
  /** A ZoneRoom subclass to run instead of ZoneRoom (it gets the same services). */
  roomClass?: typeof ZoneRoom;
  /** Prints the start banner and the admin password. Default true. */
  log?: (line: string) => void;
}

/** A running Earshot server. */
export interface EarshotServer extends Omit<EarshotAttachment, "guard"> {
  port: number;
  /** The Colyseus server: define the game's own rooms on it (`server.define(...)`). */
  server: Server;
  /** Stops accepting, closes rooms, the store and the presence; safe twice. */
  close(): Promise<void>;
}

/** After a Redis restart: this process's zone rooms write their presence entries again. */
async function reannounceRooms(): Promise<void> {
  for (const listing of await matchMaker.query({ processId: matchMaker.processId })) {
    const room = matchMaker.getLocalRoomById(listing.roomId);
    if (room instanceof ZoneRoom) room.reannounce();
  }
}

/**
 * Colyseus' logger with errors and warnings throttled: stack traces are cut to their first
 * line, which is also the throttling key. Our own bugs are logged by `onUncaughtException`.
 */
function quietLogger(notices: ThrottledLog, metrics: Metrics) {
  const line = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? a.message : String(a)).split("\n")[0]).join(" ");
  return {
    debug: () => {},
    trace: () => {},
    info: (...args: unknown[]) => console.info(...args),
    warn: (...args: unknown[]) => void notices.log(`colyseus:${line(args)}`, `[colyseus] ${line(args)}`),
    error: (...args: unknown[]) => {
      const text = line(args);
      // Colyseus logs a frame it could not decode (the client is closed with 1011).
      if (/^(RangeError|TypeError|Error|SyntaxError)\b/.test(text))
        metrics.inc('earshot_refused_frames_total{reason="undecodable"}');
      notices.log(`colyseus:${text}`, `[colyseus] ${text}`);
    },
  };
}

/** Options of {@link attachEarshot}. */
export interface AttachOptions extends StartOptions {
  /**
   * The presence the game's Colyseus server uses (bans and the zones' online lists live there).
   * Default: Colyseus' own once its matchmaker is set up (`matchMaker.presence`).
   */
  presence?: Presence;
  /** Counters to add to (`/metrics`). Default: new ones. */
  metrics?: Metrics;
  /** Where repeatable lines go, one a minute per key. Default: a new one over `log`. */
  notices?: ThrottledLog;
  /** The network guard to use (its per-address counts). Default: one made from `config.access`. */
  networkGuard?: NetworkGuard;
}

/** Earshot's network guard for `access`: origins, per-address caps, the proxy rule. */
export function networkGuardFor(access: EarshotConfig["access"]): NetworkGuard {
  return {
    trustProxy: access.trustProxy,
    origins: new OriginPolicy(access.allowedOrigins),
    ipLimits: new IpLimits({
      maxConnections: access.maxConnectionsPerIp,
      joinsPerS: access.joinsPerIpPerS,
      joinBurst: access.joinBurstPerIp,
    }),
    // Joins over the cap are refused with a code in onAuth; this only stops raw socket floods.
    maxSocketsPerIp: 2 * access.maxConnectionsPerIp,
    now: Date.now,
  };
}

/** What {@link attachEarshot} made, for the game to use and close. */
export interface EarshotAttachment {
  adminPassword: string;
  metrics: Metrics;
  /** The chat store, guarded: down during a database outage (see `/healthz`), never fatal. */
  store: GuardedStore;
  /** Bans by user id, shared by every process through the presence (also at `/admin/api/bans`). */
  moderation: Moderation;
  /**
   * Puts Earshot's network guard in front of the HTTP server (the client address Colyseus
   * reads, origins, per-address join and connection caps, no CORS on `/admin`). Call once,
   * after `listen()`.
   */
  guard(http: HttpServer): void;
  /** Closes what Earshot made (its chat store); the Colyseus server stays the game's. Safe twice. */
  close(): Promise<void>;
}

/**
 * Adds Earshot to a game's own Colyseus server: defines the `zone` room (filtered by zone id)
 * and mounts Earshot's HTTP routes (`/healthz`, `/metrics`, `/api/zones`, `/admin`, and the
 * demo when `config.staticDir` is set) on its express app. The game's own rooms run beside it.
 * Call before `server.listen()`; call `guard(httpServer)` after it. Create the server's
 * `WebSocketTransport` with `maxPayload: TRANSPORT_MAX_PAYLOAD_BYTES`: WebRTC offers are larger
 * than Colyseus' 4 KB default.
 */
export async function attachEarshot(
  server: Server,
  config: EarshotConfig,
  options: AttachOptions = {},
): Promise<EarshotAttachment> {
  const log = options.log ?? ((line: string) => console.log(line));
  const store = new GuardedStore(options.store ?? (await openChatStore(config)), { log });
  if (!options.presence) await matchMaker.onReady;
  const presence = options.presence ?? matchMaker.presence;
  const metrics = options.metrics ?? new Metrics();
  const notices = options.notices ?? new ThrottledLog(log);
  const moderation = new Moderation(presence);
  const generated = !config.adminPassword;
  const adminPassword = config.adminPassword ?? randomBytes(12).toString("base64url");
  const access = config.access;
  const guard = options.networkGuard ?? networkGuardFor(access);
  const ipLimits = guard.ipLimits;
  const janus = config.janusUrl
    ? new JanusGateway(config.janusUrl, { log, apiSecret: config.janusApiSecret })
    : undefined;
  janus?.start();
  const services: ZoneServices = {
    store,
    settings: config.zone,
    metrics,
    moderation,
    now: Date.now,
    authenticate: options.authenticate ?? (access.jwt ? jwtAuthenticator(access.jwt) : undefined),
    access,
    ipLimits,
    liveZones: { count: 0 },
    log,
    notices,
    janus,
  };
  server.define(ZONE_ROOM, zoneRoomWith(services, options.roomClass)).filterBy(["zoneId"]);
  const app = server.transport.getExpressApp?.() as express.Application | undefined;
  if (!app) throw new Error("attachEarshot needs a transport with an express app (WebSocketTransport)");
  mountHttp(app, {
    adminPassword,
    metrics,
    presence,
    store,
    moderation,
    staticDir: config.staticDir,
    adminLoginFailuresPerMin: access.adminLoginFailuresPerMin,
    now: Date.now,
  });
  if (generated)
    log(`Admin dashboard: /admin  user "admin", password "${adminPassword}" (set ADMIN_PASSWORD to choose one)`);
  return {
    adminPassword,
    metrics,
    store,
    moderation,
    guard: (http) => guardHttpServer(http, guard),
    close: async () => {
      await janus?.close();
      await store.close();
    },
  };
}

/**
 * Starts Earshot on its own: a Colyseus server with the `zone` room, chat storage and the
 * HTTP routes, listening on `config.port`. One per process (Colyseus' matchmaker is
 * process-wide). To run Earshot inside a game's own Colyseus server, use {@link attachEarshot}.
 */
export async function startEarshot(config: EarshotConfig, options: StartOptions = {}): Promise<EarshotServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const redis = config.redisUrl ? new RedisWatch(config.redisUrl, log, reannounceRooms) : undefined;
  guardMatchmaking(redis);
  const { presence, driver } = redis ?? { presence: new LocalPresence(), driver: new LocalDriver() };
  const notices = new ThrottledLog(log);
  const metrics = new Metrics();
  const networkGuard = networkGuardFor(config.access);
  const transport = new WebSocketTransport({
    maxPayload: TRANSPORT_MAX_PAYLOAD_BYTES,
    beforeUpgrade: beforeUpgrade(networkGuard),
  });
  const server = new Server({
    transport,
    presence,
    driver,
    publicAddress: config.publicAddress,
    greet: false,
    gracefullyShutdown: false,
    // Colyseus logs each undecodable frame with a stack, and Redis' client each failed
    // reconnect: one line a minute per kind, counted in earshot_refused_frames_total.
    logger: quietLogger(notices, metrics),
  });
  const earshot = await attachEarshot(server, config, { ...options, log, presence, metrics, notices, networkGuard });
  await server.listen(config.port, config.host);
  const http = transport.server;
  if (http) earshot.guard(http);
  const port = (http?.address() as AddressInfo | null)?.port ?? config.port;
  log(
    `Earshot listening on http://localhost:${port} (chat store: ${config.databaseUrl ? "PostgreSQL" : config.sqliteFile}${config.redisUrl ? ", Redis presence" : ""})`,
  );

  let closing: Promise<void> | undefined;
  return {
    ...earshot,
    port,
    server,
    close: () =>
      (closing ??= (async () => {
        await server.gracefullyShutdown(false);
        // Colyseus stops the WebSocket side; the HTTP server and its keep-alive sockets are ours.
        if (http?.listening) {
          http.closeAllConnections();
          await new Promise<void>((resolve) => http.close(() => resolve()));
        }
        await earshot.close();
      })()),
  };
}
