import { Client } from "@colyseus/sdk";
import type { Room } from "@colyseus/sdk";
import {
  AUDIO_CONSTRAINTS,
  BANNED_CLOSE_CODE,
  EarshotError,
  ErrorCode,
  PERMANENT_REFUSALS,
  errorCodeOfClose,
  isErrorCode,
  PROTOCOL_VERSION,
  ZONE_ROOM,
  messageSeq,
  parseJoinRefusal,
  parseServerMessage,
} from "@earshot/protocol";
import type {
  ChatMessage,
  ClientMessages,
  IceServer,
  ModerationAction,
  PresenceStatus,
  ServerMessage,
  ServerMessages,
  Stage,
} from "@earshot/protocol";
import { TypedEmitter } from "./emitter.js";
import { Roster } from "./people.js";
import type { Person } from "./people.js";
import { VoicePeers } from "./voice/VoicePeers.js";
import { StageLinks } from "./voice/StageLinks.js";
import type { PeerEndReason, PeerFactory } from "./voice/VoicePeers.js";

/** What a {@link ReconnectPolicy} is told before each attempt to join again. */
export interface ReconnectContext {
  /** 1 for the first retry. */
  attempt: number;
  /** Since the connection was lost. */
  elapsedMs: number;
  /** Why the last try failed (the lost connection, or a refused join with its `code`). */
  reason: Error;
}

/**
 * When and how often to join again after the connection is lost for good (as livekit's
 * `ReconnectPolicy`). Permanent refusals (`PERMANENT_REFUSALS`: banned, unauthorized,
 * protocol_mismatch, ...) are never retried and never reach the policy.
 */
export interface ReconnectPolicy {
  /** Delay before this attempt, or undefined to give up (the client ends `closed`). */
  nextDelayMs(context: ReconnectContext): number | undefined;
}

/** Exponential backoff from 500 ms to 10 s, ten attempts. */
export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  nextDelayMs: ({ attempt }) => (attempt > 10 ? undefined : Math.min(10_000, 500 * 2 ** (attempt - 1))),
};

/** Default of {@link EarshotClientOptions.joinTimeoutMs}. */
export const JOIN_TIMEOUT_MS = 10_000;

/** Why the microphone could not be opened (as livekit's `MediaDeviceFailure`). */
export type MicrophoneFailure = "denied" | "not_found" | "in_use" | "other";

/** The microphone could not be opened; `reason` says what the user can do about it. */
export class MicrophoneError extends Error {
  override readonly name = "MicrophoneError";
  constructor(
    readonly reason: MicrophoneFailure,
    options?: { cause?: unknown },
  ) {
    super(
      {
        denied: "microphone access was denied",
        not_found: "no microphone was found",
        in_use: "the microphone is in use by another program",
        other: "the microphone could not be opened",
      }[reason],
      options,
    );
  }

  /** Classifies a `getUserMedia` failure by its DOMException name. */
  static from(cause: unknown): MicrophoneError {
    const name = (cause as { name?: unknown } | null)?.name;
    const reason: MicrophoneFailure =
      name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError"
        ? "denied"
        : name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError"
          ? "not_found"
          : name === "NotReadableError" || name === "TrackStartError" || name === "AbortError"
            ? "in_use"
            : "other";
    return new MicrophoneError(reason, { cause });
  }
}

/** Options of {@link EarshotClient}; `serverUrl`, `user` and `createPeer` are required. */
export interface EarshotClientOptions {
  /** `http(s)://host:port` of the Earshot server. */
  serverUrl: string;
  /** Display name (the server trims it to 32 characters) and avatar choice. */
  user: { name: string; avatar?: string };
  /** Join token, when the server authenticates. */
  token?: string;
  /** Makes WebRTC peers; pass simple-peer's default export (`(o) => new SimplePeer(o)`). */
  createPeer: PeerFactory;
  /** simple-peer's `wrtc` option: `@roamhq/wrtc` in Node. Unset in browsers. */
  wrtc?: unknown;
  /** ICE servers to use instead of the ones the server hands out. */
  iceServers?: IceServer[];
  /** Retry policy after the SDK's own reconnection gave up. Default {@link DEFAULT_RECONNECT_POLICY}. */
  reconnect?: ReconnectPolicy;
  /** A join with no answer (`room_joined`) in this time fails. Default {@link JOIN_TIMEOUT_MS} (10 s). */
  joinTimeoutMs?: number;
  /** Microphone access. Default `navigator.mediaDevices.getUserMedia`. */
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
}

/** Delivery state of a chat message this client sent. */
export type ChatStatus =
  /** `retrying`: the server could not store it yet (`store_unavailable`); it is sent again by itself. */
  | { clientMessageId: string; status: "pending"; content: string; retrying?: ServerMessages["error"] }
  | { clientMessageId: string; status: "delivered"; content: string; messageId: string; timestamp: number }
  | { clientMessageId: string; status: "failed"; content: string; error: ServerMessages["error"] };

export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

/** Events of {@link EarshotClient}: name -> arguments. */
export type EarshotClientEvents = {
  /**
   * The connection state changed. `closed` carries the reason when it was not `close()`: a
   * permanent refusal (`banned`, `unauthorized`, `protocol_mismatch`, ...), a failed first
   * join, or a reconnect policy that gave up. Fires once per change.
   */
  connectionState: [state: ConnectionState, reason?: Error];
  joined: [info: ServerMessages["room_joined"]];
  /** A chat message from someone else, live or recovered; each message once. */
  chat: [message: ChatMessage];
  chatStatus: [status: ChatStatus];
  typing: [event: ServerMessages["typing"]];
  presence: [event: ServerMessages["presence"]];
  userJoined: [event: ServerMessages["user_joined"]];
  userLeft: [event: ServerMessages["user_left"]];
  cullUpdate: [event: ServerMessages["cull_update"]];
  peerVoiceState: [event: ServerMessages["peer_voice_state"]];
  /** Messages recovered after a reconnect or reload. */
  recovered: [messages: ChatMessage[]];
  /** An `error` from the server that no pending chat claimed. */
  serverError: [error: ServerMessages["error"]];
  peerStream: [peerId: string, stream: MediaStream];
  peerConnected: [peerId: string];
  peerClosed: [peerId: string, reason: PeerEndReason];
  /** Microphone denied, missing or in use (`error.reason`): voice continues listen-only. */
  micError: [error: MicrophoneError];
  /**
   * Where the server placed you, after every join (first join, zone change, and a re-join into
   * a new seat): move your avatar there. Not fired where the zone lets clients choose their
   * spawn (`limits.allowClientSpawn`): there your first position is your spawn.
   */
  spawned: [position: ServerMessages["room_joined"]["spawn"]];
  /** The server cut a move short (faster than `limits.maxSpeedMS`): you are here; snap your avatar. */
  positionCorrected: [position: ServerMessages["position_corrected"]];
  /** Who can hear you changed (voice links are symmetric: the peers you hear). */
  hearersChanged: [peerIds: readonly string[]];
  /**
   * Someone is in `people` (you too, on join): everyone in the room when you join, then each
   * newcomer; with `position` already set when they are in view. After a re-join into a new room everyone there joins again (after `personLeft`).
   */
  personJoined: [person: Readonly<Person>];
  /** Someone's `position` changed, or they came into or went out of view; at most once per state patch. */
  personMoved: [person: Readonly<Person>];
  /** Someone's name, avatar, status, mic, speaking or voice flag changed; at most once per state patch. */
  personChanged: [person: Readonly<Person>];
  /** Someone left (or you left the zone: everyone in it). */
  personLeft: [person: Readonly<Person>];
  /**
   * A moderator acted on you. While a `mute` lasts the client sends no audio (the server links
   * you with nobody anyway) and {@link EarshotClient.unmute} waits for it to end.
   */
  moderated: [event: ServerMessages["moderated"]];
  /** The server's answers to {@link EarshotClient.moderate}, `block`/`unblock` and `report`. */
  moderateAck: [ack: ServerMessages["moderate_ack"]];
  blockAck: [ack: ServerMessages["block_ack"]];
  reportAck: [ack: ServerMessages["report_ack"]];
  /** A stage's state changed (`off`, `idle`, `live` with its speakers, `unavailable` with a reason). */
  stageState: [state: ServerMessages["stage_state"]];
  /** You may speak on a stage now (your microphone is published to the whole zone), or no longer. */
  stagePublish: [event: ServerMessages["stage_publish"]];
  /** A stage voice arrived: play it from the speaker's avatar (or the stage's `soundFrom`). */
  stageStream: [speakerId: string, stream: MediaStream, stageId: string];
  /** A stage voice ended. */
  stageClosed: [speakerId: string];
};

/**
 * The one place a failed join becomes an error: a refusal of ours is an {@link EarshotError}
 * with its `code` (from the SDK error's numeric close code or HTTP status, or the JSON body of
 * a matchmaking refusal) and `retryAfterMs`; anything else (a network error) is returned as is.
 */
function joinError(cause: unknown): Error {
  const { code, message, data } = (cause ?? {}) as { code?: unknown; message?: unknown; data?: { code?: unknown } };
  const text = typeof message === "string" ? message : String(cause);
  const parsed = parseJoinRefusal(text);
  const errorCode = (isErrorCode(data?.code) ? data.code : undefined) ?? parsed?.code ?? errorCodeOfClose(code);
  if (errorCode) return new EarshotError(errorCode, text, { cause, retryAfterMs: parsed?.retryAfterMs });
  return cause instanceof Error ? cause : new Error(text, { cause });
}

/** Join refusals that waiting does not fix (`BANNED_CLOSE_CODE` too: a ban closed the session). */
const isPermanent = (err: Error) =>
  err instanceof EarshotError
    ? PERMANENT_REFUSALS.has(err.code)
    : (err as { code?: unknown }).code === BANNED_CLOSE_CODE;

let nextRef = 0;

/**
 * Earshot without an engine: join a zone, chat, presence, typing, positions, reconnection
 * with gapless chat, and WebRTC voice over the links the server decides. Runs in browsers and
 * in Node (bots, tests) with `wrtc`.
 */
export class EarshotClient extends TypedEmitter<EarshotClientEvents> {
  /** The zone's room while joined. */
  room?: Room;
  zoneId?: string;
  /** Our session id (the peer id others see). */
  sessionId?: string;
  userId?: string;
  /** Chat history plus everything received since, in id order, each message once. */
  readonly messages: ChatMessage[] = [];
  readonly voice: VoicePeers;
  /** Stage links: your microphone when you speak on a stage, and each stage voice you hear. */
  readonly stage: StageLinks;
  private stageList: Stage[] = [];
  private readonly roster = new Roster({
    joined: (p) => this.emit("personJoined", p),
    moved: (p) => this.emit("personMoved", p),
    changed: (p) => this.emit("personChanged", p),
    left: (p) => this.emit("personLeft", p),
  });
  private state: ConnectionState = "idle";
  private readonly sdk: Client;
  private readonly seen = new Set<string>();
  private readonly pending = new Map<string, ChatStatus & { status: "pending" }>();
  /**
   * Chats waiting for the chat store (`store_unavailable`), oldest first, and chats sent after
   * them: they go out again together, in order, after the server's `retryAfterMs`.
   */
  private readonly held: string[] = [];
  /** Held chats sent again and not yet answered: later chats wait behind them. */
  private readonly resent = new Set<string>();
  private resendTimer?: ReturnType<typeof setTimeout>;
  private catchUpTimer?: ReturnType<typeof setTimeout>;
  private iceServers: IceServer[] = [];
  /** Limits and proximity settings of the zone, from `room_joined`. */
  limits?: ServerMessages["room_joined"]["limits"];
  private micStream?: MediaStream;
  private micMuted = false;
  /** The user's own choice of mic (mute/unmute), restored when a moderator's mute ends. */
  private wantsMic = true;
  private moderatorMuted = false;
  private readonly blocks = new Set<string>();
  private personalSpace: ClientMessages["personal_space"] = { bubbleM: 0 };
  private inVoice = false;
  /** The last position sent (or set by the server), restored after a fresh join where clients may spawn. */
  private position?: ClientMessages["position"];
  private hearerIds: readonly string[] = [];
  private serverName?: string;
  private closing = false;
  private closed?: Promise<void>;
  private reason?: Error;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private roomJoinedWaiter?: (info: ServerMessages["room_joined"]) => void;

  constructor(readonly options: EarshotClientOptions) {
    super();
    this.sdk = new Client(options.serverUrl);
    // Peer links and stage links: the same microphone, ICE servers and signaling path.
    const links = {
      createPeer: options.createPeer,
      send: <K extends keyof ClientMessages>(type: K, payload: ClientMessages[K]) => this.send(type, payload),
      iceServers: () => options.iceServers ?? this.iceServers,
      localStream: () => this.micStream,
      muted: () => this.micMuted,
      wrtc: options.wrtc,
    };
    this.voice = new VoicePeers(links);
    this.voice.on("peerStream", (id, stream) => this.emit("peerStream", id, stream));
    this.voice.on("peerConnected", (id) => this.emit("peerConnected", id));
    this.voice.on("peerClosed", (id, reason) => this.emit("peerClosed", id, reason));
    this.stage = new StageLinks({ ...links, sessionId: () => this.sessionId });
    this.stage.on("stageState", (state) => this.emit("stageState", state));
    this.stage.on("stagePublish", (event) => this.emit("stagePublish", event));
    this.stage.on("stageStream", (id, stream, stageId) => this.emit("stageStream", id, stream, stageId));
    this.stage.on("stageClosed", (id) => this.emit("stageClosed", id));
  }

  /** The zone's stages (from `room_joined`); `stage.states` holds what each is doing. */
  get stages(): readonly Stage[] {
    return this.stageList;
  }

  /**
   * The people of your zone instance by session id, you included, typed: name, avatar, status,
   * mic, speaking, in voice, and `position` while they are in your view. Updated per state
   * patch; see the `person…` events.
   */
  get people(): ReadonlyMap<string, Readonly<Person>> {
    return this.roster.people;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Why the client is `closed`, unless `close()` closed it. */
  get closeReason(): Error | undefined {
    return this.reason;
  }

  /** Peers that can hear you now: your voice links, as the server's last `cull_update` said. */
  get hearers(): readonly string[] {
    return this.hearerIds;
  }

  /** Your name as the server shows it to others (cleaned, maybe with a suffix); the asked-for one until joined. */
  get name(): string {
    return this.serverName ?? this.options.user.name;
  }

  /** The position the server has for you, as far as this client knows. */
  get lastPosition(): ClientMessages["position"] | undefined {
    return this.position;
  }

  /** The id of the newest chat message seen, for catch-up. */
  get lastMessageId(): string | undefined {
    return this.messages.at(-1)?.messageId;
  }

  /** Joins a zone (leaving the current one first) and resolves on `room_joined`. */
  async join(zoneId: string): Promise<ServerMessages["room_joined"]> {
    if (this.room) await this.leaveRoom();
    this.zoneId = zoneId;
    this.messages.length = 0;
    this.seen.clear();
    this.position = undefined;
    this.hearerIds = [];
    try {
      return await this.connect(undefined);
    } catch (err) {
      // A join that fails ends here: the caller gets the error, the state says closed.
      this.closeLinks("closed");
      this.room = undefined;
      this.setState("closed", err as Error);
      throw err;
    }
  }

  /** Zone transition: voice links close, leave_room, then join the other zone (and its voice). */
  async changeZone(zoneId: string): Promise<ServerMessages["room_joined"]> {
    const wasInVoice = this.inVoice;
    const joined = await this.join(zoneId);
    if (wasInVoice) this.joinVoice();
    return joined;
  }

  /**
   * Sends a chat message; its status goes pending -> delivered | failed (`chatStatus`). While
   * the server's chat store is down (`store_unavailable`) it stays pending and is sent again
   * by itself, with the same `clientMessageId` (the server never stores it twice), in order.
   */
  sendChat(content: string): ChatStatus & { done: Promise<ChatStatus> } {
    const clientMessageId = `c${Date.now().toString(36)}-${(nextRef++).toString(36)}`;
    const status = { clientMessageId, status: "pending" as const, content };
    this.pending.set(clientMessageId, status);
    const done = new Promise<ChatStatus>((resolve) => {
      const off = this.on("chatStatus", (s) => {
        if (s.clientMessageId === clientMessageId && s.status !== "pending") {
          off();
          resolve(s);
        }
      });
    });
    this.emit("chatStatus", status);
    // Behind chats waiting for the store: sent with them, so the zone sees them in order.
    if (this.held.length > 0 || this.resent.size > 0) this.held.push(clientMessageId);
    else this.send("chat", { content, clientMessageId });
    return { ...status, done };
  }

  setTyping(isTyping: boolean): void {
    this.send("typing", { isTyping });
  }

  setPresence(status: PresenceStatus): void {
    this.send("presence", { status, micMuted: this.micMuted });
  }

  /** Publishes our position (metres) and heading (radians). */
  sendPosition(x: number, y: number, z: number, rotY?: number): void {
    this.position = rotY === undefined ? { x, y, z } : { x, y, z, rotY };
    this.send("position", this.position);
  }

  /**
   * Joins voice in the current zone. With a stream it is sent as our voice; without one the
   * client listens only. Use {@link openMicrophone} to get a microphone stream with `AUDIO_CONSTRAINTS`.
   */
  joinVoice(stream?: MediaStream): void {
    if (stream) this.micStream = stream;
    this.inVoice = true;
    if (stream) this.stage.micReady();
    if (this.zoneId) this.send("join_voice_zone", { zoneId: this.zoneId });
  }

  /** Leaves voice: every link closes. */
  leaveVoice(): void {
    this.inVoice = false;
    this.closeLinks("voice_off");
    this.send("disconnect_voice", {});
  }

  /**
   * Asks for the microphone with `AUDIO_CONSTRAINTS`; on failure emits `micError` (with the
   * reason: denied, not found, in use) and returns undefined.
   */
  async openMicrophone(deviceId?: string): Promise<MediaStream | undefined> {
    const gum =
      this.options.getUserMedia ?? ((c: MediaStreamConstraints) => globalThis.navigator.mediaDevices.getUserMedia(c));
    try {
      const stream = await gum({
        audio: { ...AUDIO_CONSTRAINTS, ...(deviceId && { deviceId: { exact: deviceId } }) },
        video: false,
      });
      const old = this.micStream;
      this.micStream = stream;
      this.voice.applyMute();
      this.stage.micReady();
      if (old && old !== stream) for (const t of old.getTracks()) t.stop();
      return stream;
    } catch (cause) {
      this.emit("micError", MicrophoneError.from(cause));
      return undefined;
    }
  }

  /** Stops sending audio (the senders carry no track, so a muted mic costs no bandwidth). */
  mute(): void {
    this.wantsMic = false;
    this.setMuted(true);
  }

  /** Sends audio again; while a moderator's mute lasts, once it ends. */
  unmute(): void {
    this.wantsMic = true;
    if (!this.moderatorMuted) this.setMuted(false);
  }

  /** User ids you block (after the server acknowledged it), this session. */
  get blocked(): ReadonlySet<string> {
    return this.blocks;
  }

  /** True while a moderator's mute lasts. */
  get mutedByModerator(): boolean {
    return this.moderatorMuted;
  }

  // ---- moderation ---------------------------------------------------------------------

  /**
   * A moderator's action on `userId` (moderators only: others get `unauthorized`). Resolves
   * with the server's `moderate_ack`; rejects with an {@link EarshotError}.
   */
  moderate(
    action: ModerationAction,
    userId: string,
    options: { durationS?: number; reason?: string } = {},
  ): Promise<ServerMessages["moderate_ack"]> {
    return this.request("moderate", { action, userId, ...options }, "moderateAck", (a) => a.userId === userId);
  }

  /**
   * Keeps everyone but `friends` (user ids) and moderators from being linked with you closer
   * than `bubbleM` metres; 0 turns it off. Kept across reconnects and zone changes.
   */
  setPersonalSpace(bubbleM: number, friends: string[] = []): void {
    this.personalSpace = { bubbleM, friends };
    this.send("personal_space", this.personalSpace);
  }

  /** Never be linked with `userId`, nor receive their chat, typing or presence. */
  async block(userId: string): Promise<ServerMessages["block_ack"]> {
    const ack = await this.request("block", { userId }, "blockAck", (a) => a.userId === userId && a.blocked);
    this.blocks.add(userId);
    return ack;
  }

  async unblock(userId: string): Promise<ServerMessages["block_ack"]> {
    const ack = await this.request("unblock", { userId }, "blockAck", (a) => a.userId === userId && !a.blocked);
    this.blocks.delete(userId);
    return ack;
  }

  /** Reports `userId` to the admins; the zone's last chat messages go with it as context. */
  report(userId: string, reason: string, messageId?: string): Promise<ServerMessages["report_ack"]> {
    return this.request("report", { userId, reason, ...(messageId && { messageId }) }, "reportAck", () => true);
  }

  get muted(): boolean {
    return this.micMuted;
  }

  /** Tells the server (and so our links) whether we are speaking, with an optional level 0..1. */
  setSpeaking(speaking: boolean, level?: number): void {
    this.send("voice_state", {
      muted: this.micMuted,
      speaking,
      ...(level !== undefined && { volume: Math.min(1, Math.max(0, level)) }),
    });
  }

  /**
   * Leaves the zone and stops everything: no socket, timer or peer connection is left, and
   * pending chats fail. Safe twice; a second call, concurrent or later, resolves when the
   * first has finished.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      clearTimeout(this.retryTimer);
      clearTimeout(this.resendTimer);
      clearTimeout(this.catchUpTimer);
      this.closeLinks("closed");
      if (this.room) await this.leaveRoom();
      for (const t of this.micStream?.getTracks() ?? []) t.stop();
      this.micStream = undefined;
      this.setState("closed");
      this.removeAllListeners();
    })();
    return this.closed;
  }

  // ---- internals ------------------------------------------------------------------------

  /** Closes every peer link and stage link; leaving voice keeps the stages' states and a stage invitation. */
  private closeLinks(reason: PeerEndReason): void {
    this.voice.closeAll(reason);
    this.stage.closeAll(reason !== "voice_off");
  }

  private setMuted(muted: boolean): void {
    this.micMuted = muted;
    this.voice.applyMute();
    this.stage.applyMute();
    this.send("voice_state", { muted, speaking: false });
  }

  private send<K extends keyof ClientMessages>(type: K, payload: ClientMessages[K]): void {
    this.room?.send(type, payload);
  }

  /**
   * Sends a message the server acknowledges with `ackType` (the first one `matches`), or refuses
   * with an `error` whose `ref` is the message's type.
   */
  private request<K extends keyof ClientMessages, A extends "moderateAck" | "blockAck" | "reportAck">(
    type: K,
    payload: ClientMessages[K],
    ackType: A,
    matches: (ack: EarshotClientEvents[A][0]) => boolean,
  ): Promise<EarshotClientEvents[A][0]> {
    if (!this.room) return Promise.reject(new EarshotError(ErrorCode.ConnectionClosed, `${type}: not connected`));
    return new Promise((resolve, reject) => {
      const done = () => {
        this.off(ackType as never, onAck);
        this.off("serverError", onError);
      };
      const onAck = (ack: EarshotClientEvents[A][0]) => {
        if (!matches(ack)) return;
        done();
        resolve(ack);
      };
      const onError = (e: ServerMessages["error"]) => {
        if (e.ref !== type) return;
        done();
        reject(new EarshotError(e.code, e.message, { retryAfterMs: e.retryAfterMs }));
      };
      this.on(ackType as never, onAck);
      this.on("serverError", onError);
      this.send(type, payload);
    });
  }

  /** A moderator's mute starts or ends: the mic follows, and comes back as the user left it. */
  private onModerated(m: ServerMessages["moderated"]): void {
    if (m.action === "mute") {
      this.moderatorMuted = true;
      this.setMuted(true);
    } else if (m.action === "unmute" && this.moderatorMuted) {
      this.moderatorMuted = false;
      if (this.wantsMic) this.setMuted(false);
    }
    this.emit("moderated", m);
  }

  private async connect(lastMessageId: string | undefined): Promise<ServerMessages["room_joined"]> {
    this.setState("connecting");
    const timeoutMs = this.options.joinTimeoutMs ?? JOIN_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the server did not answer the join within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.joinRoom(lastMessageId), timeout]);
    } catch (err) {
      // A join that timed out may still complete: leave whatever it joined.
      const late = this.room;
      if (late && this.state !== "connected") {
        this.room = undefined;
        void late.leave(true).catch(() => undefined);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async joinRoom(lastMessageId: string | undefined): Promise<ServerMessages["room_joined"]> {
    const room = await this.sdk
      .joinOrCreate(ZONE_ROOM, {
        zoneId: this.zoneId,
        userInfo: { name: this.options.user.name, avatar: this.options.user.avatar },
        protocolVersion: PROTOCOL_VERSION,
        ...(lastMessageId && { lastMessageId }),
        ...(this.options.token && { token: this.options.token }),
      })
      .catch((cause: unknown) => {
        throw joinError(cause);
      });
    this.room = room;
    this.sessionId = room.sessionId;
    this.roster.attach(room);
    // Reconnect into the same seat even right after joining: it keeps our session, so voice
    // links survive. (The SDK waits 5 s by default; it never retries a kick, so no loop.)
    room.reconnection.minUptime = 0;
    // A few quick tries only: if the process that held the room died, a fresh join (which
    // recovers missed chat) through serverUrl lands in a new room sooner than long backoff.
    room.reconnection.maxRetries = 5;
    room.reconnection.maxDelay = 2_000;
    const joined = new Promise<ServerMessages["room_joined"]>((resolve) => (this.roomJoinedWaiter = resolve));
    room.onMessage("*", (type, payload) => {
      const message = parseServerMessage(String(type), payload);
      if (message) this.onServerMessage(message);
    });
    room.onDrop(() => this.setState("reconnecting"));
    room.onReconnect(() => {
      this.setState("connected");
      // The server replays nothing by itself: ask for what we missed.
      this.askForMissed();
    });
    room.onLeave((code, reason) => {
      if (this.room !== room) return;
      this.room = undefined;
      this.roster.detach();
      if (this.closing || code === 4000) return;
      this.closeLinks("closed");
      const lost = joinError({ code, message: reason || `the connection closed (${code})` });
      // Banned (the server said why in an `error` first): coming back would be refused.
      if (isPermanent(lost)) return this.setState("closed", lost);
      // The SDK gave up (or could not try): join again with what we have seen.
      this.setState("reconnecting");
      this.retry(1, lost, Date.now());
    });
    const info = await joined;
    this.iceServers = info.iceServers;
    this.limits = info.limits;
    this.stageList = info.stages ?? [];
    this.setState("connected");
    // A fresh seat starts at a spawn point, out of voice, mic on: restore what the server lets us.
    if (info.limits.allowClientSpawn) {
      // Our first position is our spawn: after a re-join, the one we had.
      if (this.position) this.send("position", this.position);
    } else {
      this.position = { x: info.spawn.x, y: info.spawn.y, z: info.spawn.z, rotY: info.spawn.rotY };
      this.emit("spawned", info.spawn);
    }
    if (this.inVoice) this.send("join_voice_zone", { zoneId: info.zoneId });
    if (this.micMuted) this.send("voice_state", { muted: true, speaking: false });
    if (this.personalSpace.bubbleM > 0) this.send("personal_space", this.personalSpace);
    return info;
  }

  /** Joins again after `reason`, as the policy says; permanent refusals end `closed` at once. */
  private retry(attempt: number, reason: Error, lostAt: number): void {
    if (this.closing) return;
    const policy = this.options.reconnect ?? DEFAULT_RECONNECT_POLICY;
    const delay = policy.nextDelayMs({ attempt, elapsedMs: Date.now() - lostAt, reason });
    if (delay === undefined) return this.setState("closed", reason);
    const wait = reason instanceof EarshotError ? (reason.retryAfterMs ?? 0) : 0;
    this.retryTimer = setTimeout(
      () => {
        this.connect(this.lastMessageId).catch((err: Error) => {
          if (this.closing) return;
          if (isPermanent(err)) return this.setState("closed", err);
          this.retry(attempt + 1, err, lostAt);
        });
      },
      Math.max(delay, wait),
    );
  }

  private async leaveRoom(): Promise<void> {
    const room = this.room;
    if (!room) return;
    this.roster.detach();
    this.closeLinks("zone_change");
    this.room = undefined;
    const left = new Promise<void>((resolve) => {
      room.onLeave(() => resolve());
    });
    room.send("leave_room", {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([left, new Promise((r) => (timer = setTimeout(r, 2_000)))]);
    clearTimeout(timer);
    if (room.connection.isOpen) await room.leave(true);
  }

  private onServerMessage(m: ServerMessage): void {
    if (this.voice.handle(m.type, m) || this.stage.handle(m.type, m)) return;
    switch (m.type) {
      case "connected":
        this.userId = m.userId;
        return;
      case "room_joined":
        this.zoneId = m.zoneId;
        // The server may have changed the name (cleaned, or "Alice 2" beside another Alice).
        this.serverName = m.users.find((u) => u.sessionId === this.sessionId)?.name;
        // On a rejoin, history newer than what we had is news; on a first join it is the past.
        this.addMessages(m.history, this.messages.length > 0);
        this.emit("joined", m);
        this.roomJoinedWaiter?.(m);
        return;
      case "chat":
        this.addMessages([m], true);
        return;
      case "reconnected": {
        this.emit("recovered", this.addMessages(m.missedMessages, true));
        // A page: ask for the next one from its last message (free of the reconnect limit).
        const last = m.missedMessages.at(-1)?.messageId;
        if (m.more && last) this.send("reconnect", { lastMessageId: last });
        return;
      }
      case "position_corrected":
        this.position = { ...this.position, x: m.x, y: m.y, z: m.z };
        return this.emit("positionCorrected", m);
      case "message_ack": {
        const p = m.clientMessageId ? this.pending.get(m.clientMessageId) : undefined;
        if (!p) return;
        this.pending.delete(p.clientMessageId);
        this.settleResent(p.clientMessageId);
        const own = {
          messageId: m.messageId,
          from: this.userId ?? "",
          name: this.name,
          content: p.content,
          timestamp: m.timestamp,
        };
        this.addMessages([own], false);
        this.emit("chatStatus", {
          clientMessageId: p.clientMessageId,
          status: "delivered",
          content: p.content,
          messageId: m.messageId,
          timestamp: m.timestamp,
        });
        return;
      }
      case "error": {
        const p = m.ref ? this.pending.get(m.ref) : undefined;
        // A catch-up burst of resent chats may meet the rate limit: they wait their turn too.
        const wasResent = p !== undefined && this.resent.has(p.clientMessageId);
        if (p && wasResent && m.code === ErrorCode.RateLimited) return this.hold(p.clientMessageId, m.retryAfterMs);
        if (m.code === ErrorCode.StoreUnavailable) {
          if (p) {
            this.emit("chatStatus", { ...p, retrying: m });
            return this.hold(p.clientMessageId, m.retryAfterMs);
          }
          // History or catch-up could not be read: ask again.
          if (m.ref === "reconnect") return this.catchUpLater(m.retryAfterMs);
        }
        if (p) {
          this.pending.delete(p.clientMessageId);
          this.settleResent(p.clientMessageId);
          this.emit("chatStatus", {
            clientMessageId: p.clientMessageId,
            status: "failed",
            content: p.content,
            error: m,
          });
        } else this.emit("serverError", m);
        return;
      }
      case "typing":
        return this.emit("typing", m);
      case "presence":
        return this.emit("presence", m);
      case "user_joined":
        return this.emit("userJoined", m);
      case "user_left":
        return this.emit("userLeft", m);
      case "cull_update": {
        const hearers = m.audiblePeers.map((p) => p.peerId).sort();
        const changed = hearers.length !== this.hearerIds.length || hearers.some((id, i) => id !== this.hearerIds[i]);
        this.hearerIds = hearers;
        this.emit("cullUpdate", m);
        if (changed) this.emit("hearersChanged", hearers);
        return;
      }
      case "peer_voice_state":
        return this.emit("peerVoiceState", m);
      case "moderated":
        return this.onModerated(m);
      case "moderate_ack":
        return this.emit("moderateAck", m);
      case "block_ack":
        return this.emit("blockAck", m);
      case "report_ack":
        return this.emit("reportAck", m);
      default:
        return;
    }
  }

  /** A chat the store could not take: held, in send order, and sent again after `retryAfterMs`. */
  private hold(clientMessageId: string, retryAfterMs = 1_000): void {
    this.resent.delete(clientMessageId);
    // clientMessageIds of this client sort by their counter: keep the held list in send order.
    const order = (id: string) => Number.parseInt(id.slice(id.indexOf("-") + 1), 36);
    this.held.push(clientMessageId);
    this.held.sort((a, b) => order(a) - order(b));
    this.resendTimer ??= setTimeout(() => this.resendHeld(), retryAfterMs);
  }

  private resendHeld(): void {
    this.resendTimer = undefined;
    for (const id of this.held.splice(0)) {
      const p = this.pending.get(id);
      if (!p) continue;
      this.resent.add(id);
      this.send("chat", { content: p.content, clientMessageId: id });
    }
  }

  /** A resent chat was answered: once none is in flight, chats queued behind them go out. */
  private settleResent(clientMessageId: string): void {
    this.resent.delete(clientMessageId);
    if (this.resent.size === 0 && this.held.length > 0 && this.resendTimer === undefined) this.resendHeld();
  }

  /** `reconnect {lastMessageId}`: the chat after the newest message we have. */
  private askForMissed(): void {
    this.send("reconnect", { lastMessageId: this.lastMessageId ?? null });
  }

  private catchUpLater(retryAfterMs = 1_000): void {
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = setTimeout(() => this.askForMissed(), retryAfterMs);
  }

  /** Adds unseen messages in id order; returns (and with `announce` emits) the new ones. */
  private addMessages(list: ChatMessage[], announce: boolean): ChatMessage[] {
    const added: ChatMessage[] = [];
    for (const msg of list) {
      if (this.seen.has(msg.messageId)) continue;
      this.seen.add(msg.messageId);
      added.push(msg);
      let at = this.messages.length;
      const seq = messageSeq(msg.messageId) ?? 0;
      while (at > 0 && (messageSeq(this.messages[at - 1]!.messageId) ?? 0) > seq) at--;
      this.messages.splice(at, 0, msg);
      if (announce) this.emit("chat", msg);
    }
    return added;
  }

  private setState(state: ConnectionState, reason?: Error): void {
    if (this.state === state) return;
    this.state = state;
    if (state === "closed") {
      this.reason = reason;
      this.failPending(reason);
    }
    this.emit("connectionState", state, reason);
  }

  /** The connection closed for good: chats still waiting fail, so their `done` settles. */
  private failPending(reason?: Error): void {
    clearTimeout(this.resendTimer);
    this.held.length = 0;
    this.resent.clear();
    for (const p of [...this.pending.values()]) {
      this.pending.delete(p.clientMessageId);
      this.emit("chatStatus", {
        clientMessageId: p.clientMessageId,
        status: "failed",
        content: p.content,
        error: {
          code: reason instanceof EarshotError ? reason.code : ErrorCode.ConnectionClosed,
          message: `the connection closed before the server answered${reason ? `: ${reason.message}` : ""}`,
        },
      });
    }
  }
}
