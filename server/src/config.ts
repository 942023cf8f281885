import {
  DEFAULT_ICE_SERVERS,
  DEFAULT_TICK_MS,
  MAX_CLIENTS,
  OFFER_TIMEOUT_MS,
  RECONNECT_WINDOW_S,
  WORLD_BOUND_M,
  iceServerSchema,
} from "@earshot/protocol";
import type { IceServer } from "@earshot/protocol";
import { DEFAULT_PROXIMITY } from "./culling/types.js";
import type { ProximityOptions } from "./culling/types.js";

/** Settings of every zone room; every field optional, defaults from @earshot/protocol. */
export interface ZoneSettings extends ProximityOptions {
  /** Simulation tick period, ms. Default {@link DEFAULT_TICK_MS}. */
  tickMs?: number;
  /** Users per zone instance. Default {@link MAX_CLIENTS}. */
  maxClients?: number;
  /** Positions must lie within ±this on each axis, metres. Default {@link WORLD_BOUND_M}. */
  worldBound?: number;
  /** Positions are replicated when a coordinate moved at least this far, metres. Default 0.25. */
  positionQuantumM?: number;
  /** Unanswered offers time out after this, ms. Default {@link OFFER_TIMEOUT_MS}. */
  offerTimeoutMs?: number;
  /** Seconds a dropped client may take to come back. Default {@link RECONNECT_WINDOW_S}. */
  reconnectWindowS?: number;
  /** STUN/TURN servers handed to clients. Default: the spec's two STUN servers. */
  iceServers?: IceServer[];
  /** With `turnSecret`: TURN urls that get time-limited credentials per user. */
  turnUrls?: string[];
  /** Shared secret of the TURN server (never sent to clients). */
  turnSecret?: string;
}

export const DEFAULT_ZONE_SETTINGS = {
  ...DEFAULT_PROXIMITY,
  tickMs: DEFAULT_TICK_MS,
  maxClients: MAX_CLIENTS,
  worldBound: WORLD_BOUND_M,
  positionQuantumM: 0.25,
  offerTimeoutMs: OFFER_TIMEOUT_MS,
  reconnectWindowS: RECONNECT_WINDOW_S,
  iceServers: [...DEFAULT_ICE_SERVERS] as IceServer[],
  turnUrls: [] as string[],
  turnSecret: "",
} satisfies Required<ZoneSettings>;

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
  zone: Required<ZoneSettings>;
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
    },
  };
}
