import { matchMaker, ServerError } from "@colyseus/core";
import type { Presence } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { Redis } from "ioredis";
import { ErrorCode, joinRefusal } from "@earshot/protocol";

/** The wait a join refused during a Redis outage is told. */
export const REDIS_RETRY_MS = 1_000;

/**
 * Colyseus' Redis presence and driver, with their connections watched. During an outage a
 * join is refused at once with the retryable `service_unavailable` (ioredis would queue its
 * commands and the join hang until Redis came back). When Redis is back, this process
 * announces itself again through Colyseus' own mechanisms: its room count (`stats.persist`),
 * its room listings (`restoreMissingRoomCaches`, what Colyseus runs when it finds its process
 * swept), and then `onBack` (Earshot's rooms rewrite their presence entries). A Redis that
 * restarted empty has lost all of them, and without this a new join would open a second
 * instance of a zone beside the first.
 */
export class RedisWatch {
  readonly presence: Presence;
  readonly driver: RedisDriver;
  private readonly clients: Redis[];
  private wasDown = false;
  private readonly waiters = new Set<(err: Error) => void>();

  constructor(
    url: string,
    private readonly log: (line: string) => void,
    private readonly onBack: () => Promise<void>,
  ) {
    const pub = new Redis(url);
    const forDriver = new Redis(url);
    this.presence = new RedisPresence(pub);
    this.driver = new RedisDriver(forDriver);
    this.clients = [pub, forDriver];
    for (const c of this.clients) {
      c.on("close", () => this.lost());
      c.on("ready", () => void this.back());
    }
  }

  /** True while a Redis connection is not ready. */
  get down(): boolean {
    return this.clients.some((c) => c.status !== "ready");
  }

  /** The refusal a join gets while Redis is down. */
  refusal(): ServerError {
    return new ServerError(502, joinRefusal(ErrorCode.ServiceUnavailable, "Redis is unavailable", REDIS_RETRY_MS));
  }

  /**
   * Runs matchmaking work unless Redis is down; if Redis goes away while it runs, it is
   * refused then instead of waiting for Redis to come back.
   */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.down) throw this.refusal();
    let fail!: (err: Error) => void;
    const lost = new Promise<never>((_, reject) => (fail = reject));
    this.waiters.add(fail);
    try {
      return await Promise.race([work(), lost]);
    } catch (err) {
      throw this.down ? this.refusal() : err;
    } finally {
      this.waiters.delete(fail);
    }
  }

  private lost(): void {
    for (const fail of this.waiters) fail(this.refusal());
    if (this.wasDown) return;
    this.wasDown = true;
    this.log("[earshot] Redis connection lost: joins get service_unavailable until it is back");
  }

  private async back(): Promise<void> {
    if (!this.wasDown || this.down) return;
    this.wasDown = false;
    try {
      await matchMaker.stats.persist(true);
      await matchMaker.restoreMissingRoomCaches();
      await this.onBack();
      this.log("[earshot] Redis is back: this process's rooms are listed again");
    } catch (err) {
      this.log(`[earshot] Redis is back, but re-announcing rooms failed: ${(err as Error).message}`);
    }
  }
}

let active: RedisWatch | undefined;
let installed = false;

/**
 * Puts `watch` in front of Colyseus' matchmaking (`/matchmake/*`), which is process-wide:
 * installed once, it consults the latest watch.
 */
export function guardMatchmaking(watch: RedisWatch | undefined): void {
  active = watch;
  if (installed || !watch) return;
  installed = true;
  const controller = matchMaker.controller;
  const invoke = controller.invokeMethod.bind(controller);
  controller.invokeMethod = (...args: Parameters<typeof invoke>) =>
    active ? active.guard(() => invoke(...args)) : invoke(...args);
}
