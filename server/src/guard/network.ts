import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { BeforeUpgradeHandler } from "@colyseus/core";
import { ErrorCode, joinRefusal } from "@earshot/protocol";
import type { IpLimits } from "./ipLimits.js";
import type { OriginPolicy } from "./origins.js";

/** What {@link guardHttpServer} and {@link beforeUpgrade} need. */
export interface NetworkGuard {
  /** Believe the last hop of `X-Forwarded-For` (a reverse proxy in front); else the socket's peer. */
  trustProxy: boolean;
  origins: OriginPolicy;
  ipLimits: IpLimits;
  /** Raw sockets per IP beyond this are refused at the upgrade (joins are refused with a code earlier). */
  maxSocketsPerIp: number;
  now: () => number;
}

const CLIENT_IP_HEADERS = ["x-real-ip", "x-forwarded-for", "x-client-ip"] as const;

/**
 * Decides the client's address once, where Colyseus reads it (`x-real-ip`), so `onAuth`,
 * `beforeUpgrade` and the counters all see the same one and a client can't choose it.
 */
function pinClientIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? String(req.headers["x-forwarded-for"] ?? "")
        .split(",")
        .at(-1)
        ?.trim()
    : undefined;
  const ip = forwarded || req.socket.remoteAddress || "unknown";
  for (const h of CLIENT_IP_HEADERS) delete req.headers[h];
  req.headers["x-real-ip"] = ip;
  return ip;
}

const isAdmin = (url: string | undefined) => /^\/admin(\/|$|\?)/.test(url ?? "");
const isMatchmake = (url: string | undefined) => /^\/matchmake(\/|$|\?)/.test(url ?? "");

/**
 * Keeps CORS headers (which Colyseus adds to every response) only for allowed origins, and
 * never on `/admin`: a browser on another site can't read or drive these routes.
 */
function filterCors(res: ServerResponse, keep: boolean): void {
  if (keep) return;
  const drop = (name: string) => name.toLowerCase().startsWith("access-control-");
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name: string, value: number | string | readonly string[]) =>
    drop(name) ? res : setHeader(name, value);
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = (status: number, ...rest: unknown[]) => {
    const headers = rest.find((r) => r && typeof r === "object") as Record<string, unknown> | undefined;
    if (headers && !Array.isArray(headers)) for (const k of Object.keys(headers)) if (drop(k)) delete headers[k];
    return writeHead(status, ...rest);
  };
}

/** A refused matchmaking request, in the shape the SDK reads (`message`) and with our code in it. */
function refuse(res: ServerResponse, status: number, code: ErrorCode, text: string, retryAfterMs?: number): void {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (retryAfterMs !== undefined) headers["retry-after"] = String(Math.ceil(retryAfterMs / 1000));
  res.writeHead(status, headers);
  res.end(JSON.stringify({ code, message: joinRefusal(code, text, retryAfterMs) }));
}

/**
 * Puts the guard in front of every `request` and `upgrade` listener of the HTTP server
 * (Colyseus' matchmaker and express included): the client's address is pinned, foreign
 * origins get 403 on `/matchmake`, CORS headers go only to allowed origins and never on
 * `/admin`, and upgrade sockets are counted per address. Call after `listen()`.
 */
export function guardHttpServer(server: Server, guard: NetworkGuard): void {
  const onRequest = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const ip = pinClientIp(req, guard.trustProxy);
    const origin = req.headers.origin;
    const allowed = guard.origins.allows(origin, req.headers.host);
    filterCors(res, allowed && !isAdmin(req.url));
    if (isMatchmake(req.url)) {
      if (!allowed) return refuse(res, 403, ErrorCode.Unauthorized, `origin ${origin} may not join here`);
      // Matchmaking is where zones get created: the per-address join rate applies here.
      const take = req.method === "POST" ? guard.ipLimits.join(ip, guard.now()) : undefined;
      if (take && !take.ok)
        return refuse(res, 429, ErrorCode.RateLimited, "too many joins from your address", take.retryAfterMs);
    }
    for (const l of onRequest) l.call(server, req, res);
  });
  const onUpgrade = server.listeners("upgrade") as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
  server.removeAllListeners("upgrade");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const ip = pinClientIp(req, guard.trustProxy);
    socket.once("close", guard.ipLimits.opened(ip));
    for (const l of onUpgrade) l.call(server, req, socket, head);
  });
}

/** The transport's `beforeUpgrade`: foreign origins get 403, a flood of raw sockets 429. */
export function beforeUpgrade(guard: NetworkGuard): BeforeUpgradeHandler {
  return (_request, context) => {
    if (!guard.origins.allows(context.headers.get("origin") ?? undefined, context.headers.get("host") ?? undefined))
      return new Response("origin not allowed", { status: 403 });
    if (guard.ipLimits.connections(context.ip ?? "unknown") > guard.maxSocketsPerIp)
      return new Response("too many connections", { status: 429, headers: { "retry-after": "5" } });
  };
}
