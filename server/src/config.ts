import {
  ADMIN_LOGIN_FAILURES_PER_MIN,
  DEFAULT_ICE_SERVERS,
  DEFAULT_TICK_MS,
  JOIN_BURST_PER_IP,
  JOINS_PER_IP_PER_S,
  MAX_CLIENTS,
  STAGE_MAX_CLIENTS,
  MAX_CONNECTIONS_PER_IP,
  MAX_SEND_BUFFER_BYTES,
  MAX_SPEED_M_S,
  MAX_ZONES,
  MOVE_BURST_S,
  MOVE_SLACK_M,
  OFFER_TIMEOUT_MS,
  RECONNECT_WINDOW_S,
  RESERVED_NAMES,
  WORLD_BOUND_M,
  ZONE_ID_PATTERN,
  iceServerSchema,
  stageConfigSchema,
} from "@earshot/protocol";
import type { IceServer, StageConfig } from "@earshot/protocol";
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { SpawnPoint } from "./authority/spawn.js";
import { DEFAULT_PROXIMITY } from "./culling/types.js";
import type { ProximityOptions } from "./culling/types.js";
import type { JwtOptions } from "./auth/jwt.js";

/** Settings of every zone room; every field optional, defaults from @earshot/protocol. */
export interface ZoneSettings extends ProximityOptions {
  /** Simulation tick period, ms. Default {@link DEFAULT_TICK_MS}. */
  tickMs?: number;
  /** Users per zone instance. Default {@link MAX_CLIENTS}. */
  maxClients?: number;
  /** Users per instance of a zone with a stage, when stages are on (`JANUS_URL`). Default {@link STAGE_MAX_CLIENTS}. */
  stageMaxClients?: number;
  /** Positions must lie within ±this on each axis, metres. Default {@link WORLD_BOUND_M}. */
  worldBound?: number;
  /** Positions are replicated when a coordinate moved at least this far, metres. Default 0.25. */
  positionQuantumM?: number;
  /** Unanswered offers time out after this, ms. Default {@link OFFER_TIMEOUT_MS}. */
  offerTimeoutMs?: number;
  /** Seconds a dropped client may take to come back. Default {@link RECONNECT_WINDOW_S}. */
  reconnectWindowS?: number;
  /** STUN/TURN servers handed to clients. Default: the packet-flow spec's two STUN servers (docs/PROTOCOL.md). */
  iceServers?: IceServer[];
  /** With `turnSecret`: TURN urls that get time-limited credentials per user. */
  turnUrls?: string[];
  /** Shared secret of the TURN server (never sent to clients). */
  turnSecret?: string;
  /** Fastest a user may move, m/s; farther claims are clamped. Default {@link MAX_SPEED_M_S}. */
  maxSpeedMS?: number;
  /** Seconds of movement a user may save up. Default {@link MOVE_BURST_S}. */
  moveBurstS?: number;
  /** Metres of jitter allowed on top. Default {@link MOVE_SLACK_M}. */
  moveSlackM?: number;
  /** Spawn points by zone id; `"*"` for every zone not listed. Default: the origin. */
  spawnPoints?: Record<string, SpawnPoint[]>;
  /**
   * Zones where a client's first position after joining is taken as its spawn (deep links,
   * scripted placement), moved to the nearest spot 1.5 m (`SPAWN_GAP_M`) clear of everyone
   * (`position_corrected`): `true` for all, or a list of zone ids. Default false: the server spawns.
   */
  allowClientSpawn?: boolean | string[];
  /** A client whose unsent buffer passes this many bytes is dropped. Default {@link MAX_SEND_BUFFER_BYTES}. */
  maxSendBufferBytes?: number;
  /** Names guests may not use. Default {@link RESERVED_NAMES}. */
  reservedNames?: string[];
  /**
   * Stages by zone id (`"*"` for every zone not listed): areas whose speaker the whole zone
   * hears through Janus (README, "Stages"). Off without `JANUS_URL`. Default none.
   */
  stages?: Record<string, StageConfig[]>;
}

export const DEFAULT_ZONE_SETTINGS = {
  ...DEFAULT_PROXIMITY,
  tickMs: DEFAULT_TICK_MS,
  maxClients: MAX_CLIENTS,
  stageMaxClients: STAGE_MAX_CLIENTS,
  worldBound: WORLD_BOUND_M,
  positionQuantumM: 0.25,
  offerTimeoutMs: OFFER_TIMEOUT_MS,
  reconnectWindowS: RECONNECT_WINDOW_S,
  iceServers: [...DEFAULT_ICE_SERVERS] as IceServer[],
  turnUrls: [] as string[],
  turnSecret: "",
  maxSpeedMS: MAX_SPEED_M_S,
  moveBurstS: MOVE_BURST_S,
  moveSlackM: MOVE_SLACK_M,
  spawnPoints: {} as Record<string, SpawnPoint[]>,
  allowClientSpawn: false as boolean | string[],
  maxSendBufferBytes: MAX_SEND_BUFFER_BYTES,
  reservedNames: [...RESERVED_NAMES],
  stages: {} as Record<string, StageConfig[]>,
} satisfies Required<ZoneSettings>;

/** Process-wide caps and access rules (README, "Security"). */
export interface AccessSettings {
  /** Concurrent connections per IP. Default {@link MAX_CONNECTIONS_PER_IP}. */
  maxConnectionsPerIp: number;
  /** Joins per second per IP. Default {@link JOINS_PER_IP_PER_S}. */
  joinsPerIpPerS: number;
  /** Join burst per IP. Default {@link JOIN_BURST_PER_IP}. */
  joinBurstPerIp: number;
  /** Believe `X-Forwarded-For` (its last hop) for the client's address. Default false. */
  trustProxy: boolean;
  /** Live zone instances in this process. Default {@link MAX_ZONES}. */
  maxZones: number;
  /** When set, the only zone ids that exist; others are `unknown_zone`. */
  zones?: string[];
  /**
   * Browser origins allowed on `/matchmake` and the WebSocket besides the server's own;
   * `*` is a wildcard. Default `["http://localhost:*", "http://127.0.0.1:*"]` unless
   * NODE_ENV is production, then none.
   */
  allowedOrigins: string[];
  /** Join without a valid token. Default true. */
  guestAccess: boolean;
  /** Built-in JWT verification of join tokens; the `authenticate` start option wins over it. */
  jwt?: JwtOptions;
  /** Failed admin logins per IP in a minute before 429. Default {@link ADMIN_LOGIN_FAILURES_PER_MIN}. */
  adminLoginFailuresPerMin: number;
}

/** Access settings when nothing is configured. */
export function defaultAccess(env: NodeJS.ProcessEnv = process.env): AccessSettings {
  return {
    maxConnectionsPerIp: MAX_CONNECTIONS_PER_IP,
    joinsPerIpPerS: JOINS_PER_IP_PER_S,
    joinBurstPerIp: JOIN_BURST_PER_IP,
    trustProxy: false,
    maxZones: MAX_ZONES,
    allowedOrigins: env.NODE_ENV === "production" ? [] : ["http://localhost:*", "http://127.0.0.1:*"],
    guestAccess: true,
    adminLoginFailuresPerMin: ADMIN_LOGIN_FAILURES_PER_MIN,
  };
}

/** Everything the server process reads from its environment. */
export interface EarshotConfig {
  port: number;
  host: string;
  /** SQLite file for chat history (ignored when `databaseUrl` is set). */
  sqliteFile: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Address other processes use to reach this one (needed with Redis). */
  publicAddress?: string;
  /** Password of `/admin`; a random one is generated when unset. */
  adminPassword?: string;
  /** Folder of the built demo served at `/`, if present. */
  staticDir?: string;
  /** Janus' WebSocket API (`ws://host:8188`): stages are on only with it (README, "Stages"). */
  janusUrl?: string;
  /** Janus' `api_secret`, when it has one. */
  janusApiSecret?: string;
  zone: Required<ZoneSettings>;
  access: AccessSettings;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function iceServersFrom(raw: string | undefined): IceServer[] {
  if (!raw) return [...DEFAULT_ICE_SERVERS];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new Error('ICE_SERVERS must be JSON, e.g. [{"urls":"stun:stun.example.org:3478"}]', { cause });
  }
  return iceServerSchema.array().parse(parsed);
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

const spawnPointsSchema = z.record(
  z.string(),
  z.array(z.object({ x: z.number(), y: z.number(), z: z.number(), rotY: z.number().optional() })).min(1),
);

function spawnPointsFrom(raw: string | undefined): Record<string, SpawnPoint[]> {
  if (!raw) return {};
  try {
    return spawnPointsSchema.parse(JSON.parse(raw));
  } catch (cause) {
    throw new Error('SPAWN_POINTS must be JSON such as {"events":[{"x":-12,"y":1,"z":0}],"*":[{"x":0,"y":0,"z":0}]}', {
      cause,
    });
  }
}

const stagesSchema = z.record(z.string(), z.array(stageConfigSchema));

/** Stages from `STAGES` (JSON) or the JSON file `STAGES_FILE`; ids unique per zone. */
function stagesFrom(env: NodeJS.ProcessEnv): Record<string, StageConfig[]> {
  const file = env.STAGES_FILE;
  const raw = env.STAGES || (file ? readFileSync(file, "utf8") : "");
  if (!raw) return {};
  const where = env.STAGES ? "STAGES" : `STAGES_FILE (${file})`;
  let stages: Record<string, StageConfig[]>;
  try {
    stages = stagesSchema.parse(JSON.parse(raw));
  } catch (cause) {
    throw new Error(
      `${where} must be JSON such as {"events":[{"id":"main","area":{"kind":"box","minX":-32,"minZ":16,"maxX":-16,"maxZ":24}}]}: ${(cause as Error).message}`,
      { cause },
    );
  }
  for (const [zone, list] of Object.entries(stages)) {
    const ids = list.map((st) => st.id);
    if (new Set(ids).size !== ids.length) throw new Error(`${where}: zone "${zone}" names a stage id twice`);
  }
  return stages;
}

function zonesFrom(raw: string | undefined): string[] | undefined {
  const zones = list(raw);
  for (const z of zones ?? []) if (!ZONE_ID_PATTERN.test(z)) throw new Error(`ZONES: "${z}" is not a zone id`);
  return zones;
}

function clientSpawnFrom(raw: string | undefined): boolean | string[] {
  if (raw === undefined || raw === "" || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  return zonesFrom(raw) ?? false;
}

/** Reads the configuration from environment variables (README, "Configuration"). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EarshotConfig {
  const d = DEFAULT_ZONE_SETTINGS;
  return {
    port: num(env, "PORT", 2567),
    host: env.HOST || "0.0.0.0",
    sqliteFile: env.EARSHOT_DB || "./data/earshot.db",
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    // With Redis, other processes send clients here: default to this host and port.
    publicAddress:
      env.PUBLIC_ADDRESS || (env.REDIS_URL ? `${env.PUBLIC_HOST || "localhost"}:${num(env, "PORT", 2567)}` : undefined),
    adminPassword: env.ADMIN_PASSWORD || undefined,
    staticDir: env.EARSHOT_STATIC_DIR || undefined,
    janusUrl: env.JANUS_URL || undefined,
    janusApiSecret: env.JANUS_API_SECRET || undefined,
    zone: {
      tickMs: num(env, "TICK_MS", d.tickMs),
      hearRadius: num(env, "HEAR_RADIUS_M", d.hearRadius),
      refDistance: num(env, "REF_DISTANCE_M", d.refDistance),
      hysteresis: num(env, "HYSTERESIS", d.hysteresis),
      viewRadius: num(env, "VIEW_RADIUS_M", d.viewRadius),
      maxVisible: num(env, "MAX_VISIBLE", d.maxVisible),
      maxPeers: num(env, "MAX_PEERS", d.maxPeers),
      refreshTicks: num(env, "REFRESH_TICKS", d.refreshTicks),
      volumeTicks: num(env, "VOLUME_TICKS", d.volumeTicks),
      rescanTicks: num(env, "RESCAN_TICKS", d.rescanTicks),
      rescanMoveM: num(env, "RESCAN_MOVE_M", d.rescanMoveM),
      maxClients: num(env, "MAX_CLIENTS", d.maxClients),
      stageMaxClients: num(env, "STAGE_MAX_CLIENTS", d.stageMaxClients),
      worldBound: num(env, "WORLD_BOUND_M", d.worldBound),
      positionQuantumM: num(env, "POSITION_QUANTUM_M", d.positionQuantumM),
      offerTimeoutMs: num(env, "OFFER_TIMEOUT_MS", d.offerTimeoutMs),
      reconnectWindowS: num(env, "RECONNECT_WINDOW_S", d.reconnectWindowS),
      iceServers: iceServersFrom(env.ICE_SERVERS),
      turnUrls: (env.TURN_URLS ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      turnSecret: env.TURN_SECRET ?? "",
      maxSpeedMS: num(env, "MAX_SPEED_M_S", d.maxSpeedMS),
      moveBurstS: num(env, "MOVE_BURST_S", d.moveBurstS),
      moveSlackM: num(env, "MOVE_SLACK_M", d.moveSlackM),
      spawnPoints: spawnPointsFrom(env.SPAWN_POINTS),
      allowClientSpawn: clientSpawnFrom(env.ALLOW_CLIENT_SPAWN),
      maxSendBufferBytes: num(env, "MAX_SEND_BUFFER_BYTES", d.maxSendBufferBytes),
      reservedNames: list(env.RESERVED_NAMES) ?? d.reservedNames,
      stages: stagesFrom(env),
    },
    access: accessFrom(env),
  };
}

function accessFrom(env: NodeJS.ProcessEnv): AccessSettings {
  const a = defaultAccess(env);
  const jwt =
    env.AUTH_JWT_SECRET || env.AUTH_JWKS_URL
      ? {
          secret: env.AUTH_JWT_SECRET || undefined,
          jwksUrl: env.AUTH_JWKS_URL || undefined,
          issuer: env.AUTH_ISSUER || undefined,
          audience: env.AUTH_AUDIENCE || undefined,
        }
      : undefined;
  return {
    maxConnectionsPerIp: num(env, "MAX_CONNECTIONS_PER_IP", a.maxConnectionsPerIp),
    joinsPerIpPerS: num(env, "JOINS_PER_IP_PER_S", a.joinsPerIpPerS),
    joinBurstPerIp: num(env, "JOIN_BURST_PER_IP", a.joinBurstPerIp),
    trustProxy: bool(env, "TRUST_PROXY", a.trustProxy),
    maxZones: num(env, "MAX_ZONES", a.maxZones),
    zones: zonesFrom(env.ZONES),
    allowedOrigins: list(env.ALLOWED_ORIGINS) ?? a.allowedOrigins,
    guestAccess: bool(env, "GUEST_ACCESS", a.guestAccess),
    jwt,
    adminLoginFailuresPerMin: num(env, "ADMIN_LOGIN_FAILURES_PER_MIN", a.adminLoginFailuresPerMin),
  };
}
