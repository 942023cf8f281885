import type { EventEmitter } from "node:events";
import type JanodeModule from "janode";
import type { JanodeConnection, JanodeSession } from "janode";
import type VideoRoomPlugin from "janode/plugins/videoroom";
import type { VideoRoomHandle } from "janode/plugins/videoroom";

type Janode = { Janode: typeof JanodeModule; VideoRoom: typeof VideoRoomPlugin };
let janode: Janode | undefined;

/** Loads janode on first use: a server without stages never loads it (nor its native socket addon). */
async function loadJanode(): Promise<Janode> {
  if (janode) return janode;
  const [core, videoRoom] = await Promise.all([import("janode"), import("janode/plugins/videoroom")]);
  // janode logs every request at "info"; Earshot logs what matters itself.
  core.default.Logger.setLevel("none");
  return (janode = { Janode: core.default, VideoRoom: videoRoom.default });
}

/** Why stages are unavailable: the media server is unreachable, or its connection was lost. */
export type JanusDownReason = "janus_unreachable" | "janus_lost";

export interface JanusGatewayOptions {
  /** First wait before reconnecting, ms; doubles up to `maxRetryMs`. Default 500. */
  retryMs?: number;
  /** Longest wait between reconnection attempts, ms. Default 5,000. */
  maxRetryMs?: number;
  /** The VideoRoom's and each publisher's `bitrate` (what Janus asks publishers for by REMB), bit/s. Default 32,000; the client's Opus settings keep voice at 24 kbps anyway. */
  bitrate?: number;
  /** Janus' `api_secret`, when its configuration sets one. */
  apiSecret?: string;
  log?: (line: string) => void;
}

/** A session description as Janus takes and gives it. */
export interface Jsep {
  type: string;
  sdp: string;
}

/** A Janus VideoRoom handle for one stage link (a publisher or a subscriber). */
export interface StageHandle extends EventEmitter {
  /** Answers a subscription's offer. */
  start(params: { jsep: Jsep }): Promise<unknown>;
  trickle(candidate: object): Promise<void>;
  detach(): Promise<void>;
}

/**
 * The process' connection to Janus (`JANUS_URL`), shared by every zone room: it connects,
 * reconnects with backoff when Janus goes away, and says so through {@link onChange}. Rooms
 * drive the VideoRoom plugin through it: one Janus room per zone instance, one handle per
 * stage link. A reconnection starts a new `epoch`: handles and rooms of an older one are gone.
 */
export class JanusGateway {
  private connection?: JanodeConnection;
  private session?: JanodeSession;
  private admin?: VideoRoomHandle;
  private readonly listeners = new Set<(up: boolean, reason?: JanusDownReason) => void>();
  private retryTimer?: ReturnType<typeof setTimeout>;
  private closed = false;
  private wait: number;
  /** Counts connections made; work of an older epoch is void. */
  epoch = 0;
  reason: JanusDownReason = "janus_unreachable";
  private readonly options: Required<Omit<JanusGatewayOptions, "log" | "apiSecret">> & {
    log: (line: string) => void;
    apiSecret?: string;
  };

  constructor(
    readonly url: string,
    options: JanusGatewayOptions = {},
  ) {
    this.options = {
      retryMs: options.retryMs ?? 500,
      maxRetryMs: options.maxRetryMs ?? 5_000,
      bitrate: options.bitrate ?? 32_000,
      log: options.log ?? ((line) => console.log(line)),
      apiSecret: options.apiSecret,
    };
    this.wait = this.options.retryMs;
  }

  /** True while connected with a live session. */
  get up(): boolean {
    return this.session !== undefined;
  }

  /** Connects now, and again whenever the connection is lost, until {@link close}. */
  start(): void {
    void this.connect();
  }

  /** Calls `listener(true)` when Janus is (back) up, `listener(false, reason)` when it went away. */
  onChange(listener: (up: boolean, reason?: JanusDownReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A new audio-only VideoRoom; returns its id. */
  async createRoom(description: string): Promise<number> {
    const { room } = await this.need(this.admin).create({
      description: description.slice(0, 64),
      max_publishers: 16,
      audiocodec: "opus",
      bitrate: this.options.bitrate,
    });
    return room;
  }

  async destroyRoom(room: number): Promise<void> {
    await this.admin?.destroy({ room });
  }

  /** Publishes an offer into `room`: the new handle, its feed id and Janus' answer. */
  async publish(
    room: number,
    display: string,
    offer: Jsep,
  ): Promise<{ handle: StageHandle; feed: number; answer: Jsep }> {
    const handle = await this.need(this.session).attach(janode!.VideoRoom);
    try {
      const joined = await handle.joinConfigurePublisher({
        room,
        display,
        audio: true,
        video: false,
        bitrate: this.options.bitrate,
        jsep: offer,
      });
      if (!joined.jsep) throw new Error("Janus sent no answer");
      return { handle, feed: joined.feed, answer: joined.jsep };
    } catch (err) {
      await handle.detach().catch(() => undefined);
      throw err;
    }
  }

  /** Subscribes to `feed` in `room`: the new handle and Janus' offer (answer it with `start`). */
  async subscribe(room: number, feed: number): Promise<{ handle: StageHandle; offer: Jsep }> {
    const handle = await this.need(this.session).attach(janode!.VideoRoom);
    try {
      const joined = await handle.joinSubscriber({ room, feed, audio: true, video: false });
      if (!joined.jsep) throw new Error("Janus sent no offer");
      return { handle, offer: joined.jsep };
    } catch (err) {
      await handle.detach().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = this.session = this.admin = undefined;
    await connection?.close().catch(() => undefined);
  }

  private need<T>(value: T | undefined): T {
    if (value === undefined) throw new Error(`Janus (${this.url}) is not connected`);
    return value;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const { Janode, VideoRoom } = await loadJanode();
      const connection = await Janode.connect({ address: { url: this.url, apisecret: this.options.apiSecret } });
      if (this.closed) return void connection.close().catch(() => undefined);
      const lost = () => this.lost(connection);
      connection.once(Janode.EVENT.CONNECTION_CLOSED!, lost);
      connection.once(Janode.EVENT.CONNECTION_ERROR!, lost);
      const session = await connection.create();
      session.once(Janode.EVENT.SESSION_DESTROYED!, lost);
      const admin = await session.attach(VideoRoom);
      this.connection = connection;
      this.session = session;
      this.admin = admin;
      this.epoch++;
      this.wait = this.options.retryMs;
      this.options.log(`[earshot] stages: connected to Janus at ${this.url}`);
      for (const listener of this.listeners) listener(true);
    } catch (err) {
      if (this.closed) return;
      // One line per outage, not one per attempt.
      if (this.wait === this.options.retryMs)
        this.options.log(`[earshot] stages: Janus at ${this.url} unreachable (${(err as Error).message}); retrying`);
      this.retryTimer = setTimeout(() => void this.connect(), this.wait);
      this.wait = Math.min(this.wait * 2, this.options.maxRetryMs);
    }
  }

  /** The connection or session ended: every stage is unavailable until a reconnection. */
  private lost(connection: JanodeConnection): void {
    if (this.connection !== connection || this.closed) return;
    this.connection = this.session = this.admin = undefined;
    this.reason = "janus_lost";
    this.options.log(`[earshot] stages: lost Janus at ${this.url}; reconnecting`);
    for (const listener of this.listeners) listener(false, "janus_lost");
    connection.close().catch(() => undefined);
    this.retryTimer = setTimeout(() => void this.connect(), this.options.retryMs);
  }
}

/** Resolves when a handle's PeerConnection is up (Janus' `webrtcup`); rejects on hangup or detach. */
export function webrtcUp(handle: StageHandle): Promise<void> {
  const events = janode!.Janode.EVENT;
  return new Promise((resolve, reject) => {
    const up = events.HANDLE_WEBRTCUP!;
    const ended = [events.HANDLE_HANGUP!, events.HANDLE_DETACHED!];
    const done = (ok: boolean) => {
      handle.off(up, onUp);
      for (const e of ended) handle.off(e, onEnd);
      if (ok) resolve();
      else reject(new Error("the stage link hung up before it was up"));
    };
    const onUp = () => done(true);
    const onEnd = () => done(false);
    handle.once(up, onUp);
    for (const e of ended) handle.once(e, onEnd);
  });
}

/** Calls `then` once when a handle's PeerConnection hangs up (the client closed it, or ICE failed). */
export function onHangup(handle: StageHandle, then: () => void): void {
  handle.once(janode!.Janode.EVENT.HANDLE_HANGUP!, then);
}
