import { CloseCode, Room, ServerError } from "@colyseus/core";
import type { AuthContext, Client, RoomException, RoomMethodName } from "@colyseus/core";
import { StateView } from "@colyseus/schema";
import {
  ErrorCode,
  HISTORY_LIMIT,
  MAX_CHAT_CHARS,
  CHAT_RATE_COUNT,
  CHAT_RATE_WINDOW_MS,
  MAX_MESSAGE_BYTES,
  MAX_POSITIONS_PER_S,
  MAX_VOICE_STATES_PER_S,
  MAX_SIGNALS_PER_S,
  MAX_NAME_CHARS,
  BANNED_CLOSE_CODE,
  KICKED_CLOSE_CODE,
  DEFAULT_KICK_S,
  PROTOCOL_VERSION,
  SPEAKER_ROLE,
  stageOf,
  RECONNECT_RATE_COUNT,
  RECONNECT_RATE_PER_MS,
  SLOW_CONSUMER_CLOSE_CODE,
  TYPING_TIMEOUT_MS,
  joinOptionsSchema,
  joinRefusal,
  REFUSAL_CLOSE_CODES,
  parseClientMessage,
  parseJoinRefusal,
} from "@earshot/protocol";
import type {
  ChatMessage,
  ClientMessage,
  ClientMessages,
  RefusalCode,
  IceServer,
  Limits,
  RosterEntry,
  ServerMessages,
} from "@earshot/protocol";
import { ProximityEngine } from "../culling/engine.js";
import type { TickResult } from "../culling/types.js";
import { ratePer, TokenBucket } from "../chat/rateLimit.js";
import { ZoneChat, checkChatContent } from "../chat/ZoneChat.js";
import { guestId, sanitizeAvatar, sanitizeName } from "../chat/identity.js";
import { distinctName, isReservedName, nameKey } from "../chat/text.js";
import { MoveLimiter, type Vec3 } from "../authority/movement.js";
import { pickSpawn } from "../authority/spawn.js";
import { PendingOffers } from "../signaling/offers.js";
import { turnCredentials } from "../signaling/turn.js";
import { StoreUnavailableError } from "../storage/ChatStore.js";
import { User, ZoneState } from "./state.js";
import type { Identity, ZoneServices } from "./services.js";
import { ZoneModeration } from "./zoneModeration.js";
import { MODERATOR } from "../admin/moderation.js";
import type { ModerationEvent, Sanctions } from "../admin/moderation.js";
import { ZoneStages } from "../stage/ZoneStages.js";

interface AuthData {
  id: string;
  name: string;
  avatar: string;
  lastMessageId?: string | null;
  /** A verified identity (its blocks are stored), not a guest. */
  signedIn: boolean;
  /** Roles from the token or `authenticate` hook, and those an admin granted. */
  tokenRoles: string[];
  granted: string[];
  sanctions: Sanctions;
}

/** Per-connection limits, kept by sessionId so they survive a reconnect. */
interface Session {
  chat: TokenBucket;
  position: TokenBucket;
  voiceState: TokenBucket;
  signals: TokenBucket;
  reconnect: TokenBucket;
  /** Where the server has the user, and how far they may move next. */
  move: MoveLimiter;
  /** The zone allows a client-chosen spawn and none came yet: the next position is it. */
  awaitingClientSpawn: boolean;
  /** Last id of a `reconnected` page sent with `more: true`: asking from it is free. */
  pageCursor?: string;
  /** Dropped for not reading (`SLOW_CONSUMER_CLOSE_CODE`): no seat is held. */
  slow?: boolean;
  typingTimer?: { clear(): void };
  /** A verified identity: its blocks are stored, a guest's last the session. */
  signedIn: boolean;
  /** Roles from the token or `authenticate` hook (an admin's grants come on top). */
  tokenRoles: string[];
  /** Acks of this session's recent chats by clientMessageId: a retried chat is acknowledged, not stored twice. */
  acked: Map<string, ServerMessages["message_ack"]>;
}

/** Chat messages of the zone stored with a report, as context. */
const REPORT_CONTEXT = 20;

/** Chat acks remembered per session, for retries after `store_unavailable` or a lost ack. */
const ACKS_REMEMBERED = 64;

/** The send buffers of clients are checked every this many ticks. */
const SEND_BUFFER_CHECK_TICKS = 5;

/**
 * A refused join, as the SDK reports it: our code in Colyseus' numeric field (a close code
 * from `REFUSAL_CLOSE_CODES`, or its HTTP status during matchmaking) and in the text.
 */
const refusal = (code: RefusalCode, text: string, retryAfterMs?: number, during: "join" | "matchmaking" = "join") =>
  new ServerError(
    REFUSAL_CLOSE_CODES[code] - (during === "matchmaking" ? 4000 : 0),
    joinRefusal(code, text, retryAfterMs),
  );

/** The admin monitor's "people" column holds at most this many characters of names. */
const LISTED_NAMES_CHARS = 120;

/** Heading changes smaller than this (about 3°) are not replicated. */
const ROT_QUANTUM_RAD = 0.05;

/** Presence channel carrying a zone's chat between its instances and processes. */
export const chatChannel = (zoneId: string) => `earshot:chat:${zoneId}`;
/** Presence hash of who is online in a zone: userId -> JSON {name, status, micMuted}. */
export const presenceKey = (zoneId: string) => `earshot:presence:${zoneId}`;

/**
 * One instance of a zone. Thin by design: parse, call a service (chat, proximity engine,
 * offer timers), change state. Use {@link zoneRoomWith} to bind it to a server's services.
 */
export class ZoneRoom extends Room<{ state: ZoneState }> {
  /** Set by {@link zoneRoomWith}. */
  protected services!: ZoneServices;
  private zoneId = "";
  private chat!: ZoneChat;
  private engine!: ProximityEngine;
  private offers!: PendingOffers;
  private readonly sessions = new Map<string, Session>();
  /** This instance counts towards `liveZones` (undone once in onDispose). */
  private counted = false;
  private ticks = 0;
  private listingTimer?: { clear(): void };
  /** The first listing (zone id, nobody yet) was written at once, for /api/zones. */
  private listed = false;
  private onRemoteChat?: (payload: unknown) => void;
  private offKick?: () => void;
  /** Roles, mutes and blocks of the sessions here. */
  private readonly mod = new ZoneModeration();
  private offModeration: (() => void)[] = [];
  /** The zone's stages, when it has any (docs/PROTOCOL.md, "Stages"). */
  private stages?: ZoneStages;
  /** Seats held for dropped sessions, by session id: a ban takes them back. */
  private readonly held = new Map<string, ReturnType<ZoneRoom["allowReconnection"]>>();

  override onCreate(options: { zoneId?: unknown }): void {
    const s = this.services.settings;
    const access = this.services.access;
    const zoneId = joinOptionsSchema.shape.zoneId.safeParse(options.zoneId);
    // Refused at matchmaking, where Colyseus answers with the code as the HTTP status.
    if (!zoneId.success)
      throw refusal(ErrorCode.InvalidMessage, "zoneId must match ^[a-z0-9_-]{1,32}$", undefined, "matchmaking");
    if (access.zones && !access.zones.includes(zoneId.data))
      throw refusal(
        ErrorCode.UnknownZone,
        `no zone "${zoneId.data}" here (zones: ${access.zones.join(", ")})`,
        undefined,
        "matchmaking",
      );
    if (this.services.liveZones.count >= access.maxZones)
      throw refusal(
        ErrorCode.ServerFull,
        `this server holds its maximum of ${access.maxZones} zones`,
        5_000,
        "matchmaking",
      );
    this.services.liveZones.count++;
    this.counted = true;
    this.zoneId = zoneId.data;
    this.stages = this.createStages();
    // A zone whose stage is on holds a larger audience (voice links stay capped per person).
    this.maxClients = this.stages && this.services.janus ? s.stageMaxClients : s.maxClients;
    // Colyseus drops a client above this (4002); our own per-type limits answer long before
    // with rate_limited, so it is only a backstop (signaling bursts reach 400 by themselves).
    this.maxMessagesPerSecond = 1_000;
    this.autoDispose = true;
    this.patchRate = s.tickMs;
    this.state = new ZoneState();
    this.refreshListing();
    this.chat = new ZoneChat(this.services.store, this.zoneId);
    this.engine = new ProximityEngine(s);
    // A live stage speaker is heard through the stage, never also through a link.
    this.engine.gate = (a, b, d) =>
      !this.stages?.live(a) &&
      !this.stages?.live(b) &&
      this.mod.mayLink(a, b, d, (sid) => this.state.users.get(sid)?.id);
    this.offers = new PendingOffers(
      s.offerTimeoutMs,
      (offerer, target) => {
        this.sendTo(offerer, "peer_unavailable", { peerId: target, reason: "timeout" });
        // The offerer gave its side up: a link left open here would never connect.
        this.failLink(offerer, target);
      },
      // The room's clock: timers die with the room, and a throw reaches onUncaughtException.
      { set: (fn, ms) => this.clock.setTimeout(fn, ms), clear: (h) => (h as { clear(): void }).clear() },
    );
    // One handler for every type, not one per type: Colyseus closes the client (4002) when a
    // type has no handler or fails a per-type validate(); we answer bad input with an `error`.
    this.onMessage("*", (client, type, payload) => this.dispatch(client, String(type), payload));
    this.setTimestep(() => this.tick(), s.tickMs);
    this.onRemoteChat = (payload) => {
      const { origin, message } = payload as { origin: string; message: ServerMessages["chat"] };
      if (origin !== this.roomId) this.broadcastFrom(message.from, "chat", message);
    };
    this.quietly("subscribe", this.presence.subscribe(chatChannel(this.zoneId), this.onRemoteChat));
    this.offKick = this.services.moderation.onKick((userId) => this.kick(userId));
    this.offModeration = [
      this.services.moderation.onAction((event) => this.onModerated(event)),
      this.services.moderation.onRoles((userId) => void this.refreshRoles(userId)),
    ];
  }

  override async onAuth(_client: Client, options: unknown, context: AuthContext): Promise<AuthData> {
    const parsed = joinOptionsSchema.safeParse(options);
    const version = (options as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (version !== PROTOCOL_VERSION) {
      throw refusal(
        ErrorCode.ProtocolMismatch,
        `server speaks protocol ${PROTOCOL_VERSION}, client ${String(version)}`,
      );
    }
    if (!parsed.success) throw refusal(ErrorCode.InvalidMessage, parsed.error.issues[0]?.message ?? "invalid");
    const ip = context.ip ?? "unknown";
    const limits = this.services.ipLimits;
    if (!limits.mayConnect(ip)) {
      throw refusal(
        ErrorCode.RateLimited,
        `too many connections from your address (at most ${this.services.access.maxConnectionsPerIp})`,
        5_000,
      );
    }
    const { userInfo, token, lastMessageId } = parsed.data;
    // The one place identity is decided: a token subject, or a server-made guest id.
    let identity: Identity | undefined;
    try {
      identity = await this.services.authenticate?.(token);
    } catch (cause) {
      throw refusal(ErrorCode.Unauthorized, (cause as Error).message);
    }
    if (!identity && !this.services.access.guestAccess)
      throw refusal(ErrorCode.Unauthorized, "this server needs a valid token to join");
    const id = identity?.id ?? guestId();
    const moderation = this.services.moderation;
    if (await moderation.isBanned(id)) throw refusal(ErrorCode.Banned, "this user is banned");
    const sanctions = await moderation.sanctions(id, this.services.now());
    if (sanctions.kick !== undefined)
      throw refusal(
        ErrorCode.Kicked,
        "a moderator removed you from the zone",
        Math.max(0, (sanctions.kick ?? 0) - this.services.now()),
      );
    const granted = await moderation.grantedRoles(id);
    const name = sanitizeName(identity?.name ?? userInfo?.name);
    if (!identity && isReservedName(name, this.services.settings.reservedNames))
      throw refusal(ErrorCode.InvalidMessage, `the name "${name}" is reserved, choose another`);
    return {
      id,
      name,
      avatar: sanitizeAvatar(userInfo?.avatar),
      lastMessageId,
      signedIn: identity !== undefined,
      tokenRoles: identity?.roles ?? [],
      granted,
      sanctions,
    };
  }

  override async onJoin(client: Client, _options: unknown, auth: AuthData): Promise<void> {
    const s = this.services.settings;
    const taken = await this.namesTaken(auth.id);
    const now = this.services.now();
    const user = new User();
    user.id = auth.id;
    user.name = distinctName(auth.name, this.namesHere(auth.id, taken), MAX_NAME_CHARS);
    user.avatar = auth.avatar;
    const roles = [...auth.tokenRoles, ...auth.granted];
    user.moderator = roles.includes(MODERATOR);
    // The server places newcomers: whoever chose their own spot could stand beside anyone.
    const spawn = pickSpawn(s.spawnPoints[this.zoneId] ?? s.spawnPoints["*"] ?? [], this.positionsExcept());
    user.x = spawn.x;
    user.y = spawn.y;
    user.z = spawn.z;
    user.rotY = spawn.rotY;
    this.state.users.set(client.sessionId, user);
    client.view = this.viewOf(client.sessionId);
    const session: Session = {
      chat: ratePer(CHAT_RATE_COUNT, CHAT_RATE_WINDOW_MS, now),
      // A second's worth of burst: clients' timers bunch up when their tab or process stalls.
      position: new TokenBucket(MAX_POSITIONS_PER_S, 1000 / MAX_POSITIONS_PER_S, now),
      voiceState: new TokenBucket(MAX_VOICE_STATES_PER_S, 1000 / MAX_VOICE_STATES_PER_S, now),
      signals: new TokenBucket(2 * MAX_SIGNALS_PER_S, 1000 / MAX_SIGNALS_PER_S, now),
      reconnect: new TokenBucket(RECONNECT_RATE_COUNT, RECONNECT_RATE_PER_MS, now),
      move: new MoveLimiter(s.maxSpeedMS, s.moveBurstS, s.moveSlackM, spawn, now),
      awaitingClientSpawn: this.allowsClientSpawn(),
      signedIn: auth.signedIn,
      tokenRoles: auth.tokenRoles,
      acked: new Map(),
    };
    this.sessions.set(client.sessionId, session);
    // A signed-in user's blocks hold from the first message on (a store outage: none for now).
    const blocked = auth.signedIn ? await this.services.store.blocksOf(user.id).catch(() => []) : [];
    this.mod.enter(client.sessionId, roles, auth.sanctions, blocked);
    client.send("connected", { clientId: client.sessionId, userId: user.id });
    // Without its store the zone still opens: no history now, the client asks again later.
    const history = await this.chat
      .recent(HISTORY_LIMIT)
      .catch((err: unknown) => this.storeFailed(client, err, "reconnect"));
    client.send("room_joined", {
      roomId: this.roomId,
      zoneId: this.zoneId,
      users: this.roster(),
      history: this.visibleTo(client.sessionId, history ?? []),
      iceServers: this.iceServersFor(user.id),
      limits: this.limits(),
      spawn,
      stages: [...(this.stages?.stages ?? [])],
    } satisfies ServerMessages["room_joined"]);
    this.stages?.joined(client.sessionId);
    this.stages?.moved(client.sessionId, spawn.x, spawn.z);
    if (auth.sanctions.mute !== undefined) client.send("moderated", { action: "mute", until: auth.sanctions.mute });
    if (auth.sanctions.chat_mute !== undefined)
      client.send("moderated", { action: "chat_mute", until: auth.sanctions.chat_mute });
    if (auth.lastMessageId !== undefined && auth.lastMessageId !== null)
      await this.sendMissed(client, session, auth.lastMessageId);
    this.broadcast("user_joined", { user: this.summary(client.sessionId, user) }, { except: client });
    this.publishPresence(user);
    this.refreshListing();
    this.services.metrics.inc("earshot_joins_total");
  }

  override async onDrop(client: Client, code?: number): Promise<void> {
    // A banned session gets no seat to come back to (reconnection skips onAuth), whichever
    // came first: the ban or the drop.
    const userId = this.state.users.get(client.sessionId)?.id;
    // Returning without a seat: Colyseus calls onLeave next.
    if (
      code === CloseCode.SERVER_SHUTDOWN ||
      code === CloseCode.WITH_ERROR ||
      code === BANNED_CLOSE_CODE ||
      code === KICKED_CLOSE_CODE ||
      this.sessions.get(client.sessionId)?.slow
    )
      return;
    if (userId !== undefined && (await this.services.moderation.isBanned(userId))) return;
    const seat = this.allowReconnection(client, this.services.settings.reconnectWindowS);
    this.held.set(client.sessionId, seat);
    try {
      await seat;
    } catch {
      // Not back in time, banned meanwhile, or the room is shutting down: Colyseus calls onLeave next.
    } finally {
      this.held.delete(client.sessionId);
    }
  }

  override onReconnect(client: Client): void {
    // Colyseus 0.18 hands the new client the dropped one's StateView (allowReconnection), but
    // while it was away it was not in this.clients, so the tick could not add or remove anyone:
    // the view is stale. Rebuild it from what the engine says the user sees now.
    client.view = this.viewOf(client.sessionId);
    this.services.metrics.inc("earshot_reconnects_total");
  }

  override onLeave(client: Client): void {
    const sid = client.sessionId;
    const user = this.state.users.get(sid);
    if (!user) return;
    this.sessions.get(sid)?.typingTimer?.clear();
    this.sessions.delete(sid);
    this.mod.leave(sid);
    this.stages?.leave(sid);
    // Offerers still waiting on this user learn why before the link closes.
    for (const offerer of this.offers.waitingOn(sid)) {
      this.sendTo(offerer, "peer_unavailable", { peerId: sid, reason: "left" });
    }
    this.closeLinks(this.engine.dropLinks(sid, "left", true));
    this.state.users.delete(sid);
    this.broadcast("user_left", { userId: user.id, sessionId: sid });
    this.refreshListing();
    this.quietly("presence", this.presence.hdel(presenceKey(this.zoneId), user.id));
  }

  /**
   * The room's listing metadata: its zone id, and who is in it for the admin monitor (names,
   * cut to `LISTED_NAMES_CHARS`). Written at most once a second: a join wave costs one write.
   */
  private refreshListing(): void {
    if (this.listingTimer) return;
    const write = () => {
      this.listingTimer = undefined;
      const names: string[] = [];
      this.state.users.forEach((u) => names.push(u.name));
      let people = names.join(", ");
      if (people.length > LISTED_NAMES_CHARS) people = `${people.slice(0, LISTED_NAMES_CHARS)}… (${names.length})`;
      this.quietly("listing", this.setMetadata({ zoneId: this.zoneId, people }));
    };
    if (this.zoneId && this.state.users.size === 0 && !this.listed) {
      this.listed = true;
      return write();
    }
    this.listingTimer = this.clock.setTimeout(write, 1_000);
  }

  /** Writes this instance's people into the zone's presence again (Redis restarted empty). */
  reannounce(): void {
    this.state.users.forEach((user) => this.publishPresence(user));
  }

  /** A ban: the user's sessions here get `error {code: banned}` and are closed. */
  private kick(userId: string): void {
    for (const client of this.clients) {
      if (this.state.users.get(client.sessionId)?.id !== userId) continue;
      this.fail(client, ErrorCode.Banned, "you were banned from this server");
      client.leave(BANNED_CLOSE_CODE);
    }
    // A session that dropped just before keeps no seat to come back to.
    this.state.users.forEach((user, sessionId) => {
      const seat = this.held.get(sessionId);
      if (user.id === userId && seat) (seat.reject as (reason: Error) => void)(new Error("banned"));
    });
  }

  override async onDispose(): Promise<void> {
    if (this.counted) this.services.liveZones.count--;
    this.counted = false;
    // Also called when onCreate refused the zone, before anything below existed.
    (this.offers as PendingOffers | undefined)?.dispose();
    if (this.onRemoteChat)
      this.quietly("unsubscribe", this.presence.unsubscribe(chatChannel(this.zoneId), this.onRemoteChat));
    this.offKick?.();
    for (const off of this.offModeration) off();
    this.stages?.dispose();
    await (this.chat as ZoneChat | undefined)?.idle();
  }

  /**
   * Colyseus' wrapper reports here whatever a room method, timer or tick threw. A join or zone
   * refused on purpose comes here too: the client got its code, and a refusal an attacker can
   * repeat at will writes no stack trace. Anything else is our bug: logged with its stack, the
   * client and the message type.
   */
  override onUncaughtException(error: RoomException<this>, methodName: RoomMethodName): void {
    const cause = error.cause ?? error;
    if (cause instanceof ServerError && parseJoinRefusal(cause.message)) {
      this.services.metrics.inc("earshot_refusals_total");
      return;
    }
    const client = "client" in error ? (error.client as Client | undefined)?.sessionId : undefined;
    this.logBug(methodName, cause, client, "type" in error ? String(error.type) : undefined);
  }

  /** One of our own bugs: counted and logged with its stack, the client and the message type. */
  private logBug(where: string, cause: unknown, client?: string, type?: string): void {
    this.services.metrics.inc("earshot_uncaught_errors_total");
    const who = `${client ? ` client ${client}` : ""}${type ? ` message "${type}"` : ""}`;
    console.error(`[earshot] ${this.zoneId} ${where}${who}:`, cause);
  }

  // ---- messages -------------------------------------------------------------------------

  /**
   * Every client message comes through here. A handler that throws (our bug) answers
   * `error {code:"internal"}`, is logged by onUncaughtException, and the connection stays.
   */
  private dispatch(client: Client, type: string, payload: unknown): void {
    const failed = (err: unknown) => {
      this.fail(client, ErrorCode.Internal, `${type}: the server failed to handle this message`, refOf(payload));
      this.logBug("onMessage", err, client.sessionId, type);
    };
    try {
      const done = this.handle(client, type, payload);
      if (done) done.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  private handle(client: Client, type: string, payload: unknown): Promise<void> | void {
    const user = this.state.users.get(client.sessionId);
    const session = this.sessions.get(client.sessionId);
    if (!user || !session) return;
    const ref = refOf(payload);
    const size = jsonSize(payload);
    if (size === undefined)
      return this.fail(client, ErrorCode.InvalidMessage, `${type}: payload is not JSON-like`, ref);
    if (size > MAX_MESSAGE_BYTES) {
      return this.fail(client, ErrorCode.TooLarge, `${type}: ${size} bytes, the limit is ${MAX_MESSAGE_BYTES}`, ref);
    }
    const parsed = parseClientMessage(type, payload, { zoneId: this.zoneId, roomId: this.roomId });
    if (!parsed.ok) return this.fail(client, parsed.code, parsed.reason, ref);
    this.services.metrics.inc("earshot_messages_total");
    const m = parsed.message;
    switch (m.type) {
      case "chat":
        return this.onChat(client, user, session, m);
      case "typing":
        return this.onTyping(client, user, session, m.isTyping);
      case "presence":
        return this.onPresence(client, user, m);
      case "position":
        return this.onPosition(client, user, session, m);
      case "join_voice_zone":
        return this.onJoinVoice(client, user, m.zoneId);
      case "disconnect_voice":
        user.inVoice = false;
        this.stages?.voice(client.sessionId, false);
        return this.closeLinks(this.engine.dropLinks(client.sessionId, "voice_off"));
      case "offer":
      case "answer":
      case "ice_candidate":
        return this.relay(client, session, m);
      case "voice_state":
        return this.onVoiceState(client, user, session, m);
      case "reconnect":
        return this.onReconnectRequest(client, session, m.lastMessageId);
      case "voice_link_failed":
        if (!this.failLink(client.sessionId, m.peerId))
          return this.fail(client, ErrorCode.NotPaired, `voice_link_failed: you are not paired with ${m.peerId}`);
        return;
      case "leave_room":
        client.send("room_left", { roomId: this.roomId });
        return void client.leave(CloseCode.CONSENTED);
      case "moderate":
        return this.onModerate(client, user, m);
      case "block":
      case "unblock":
        return this.onBlock(client, user, session, m.userId, m.type === "block");
      case "report":
        return this.onReport(client, user, m);
      case "personal_space":
        return this.mod.setBubble(client.sessionId, m.bubbleM, m.friends);
      case "stage_offer":
      case "stage_answer":
      case "stage_ice":
        return this.onStageSignal(client, session, m);
    }
  }

  private async onChat(client: Client, user: User, session: Session, m: ClientMessages["chat"]): Promise<void> {
    const ref = m.clientMessageId;
    const again = ref === undefined ? undefined : session.acked.get(ref);
    if (again) return client.send("message_ack", again);
    const checked = checkChatContent(m.content);
    if (!checked.ok) return this.fail(client, checked.code, checked.reason, ref);
    const now = this.services.now();
    const mutedUntil = this.mod.chatMutedUntil(client.sessionId, now);
    if (mutedUntil !== undefined)
      return this.fail(
        client,
        ErrorCode.Muted,
        "chat: a moderator muted your chat",
        ref,
        mutedUntil === null ? undefined : mutedUntil - now,
      );
    const take = session.chat.take(now);
    if (!take.ok) return this.fail(client, ErrorCode.RateLimited, "chat: slow down", ref, take.retryAfterMs);
    let message: ServerMessages["chat"];
    try {
      message = await this.chat.append(user.id, user.name, checked.content, now);
    } catch (err) {
      // Not stored: the token goes back, the client's retry must not be refused as a flood.
      session.chat.refund();
      return void this.storeFailed(client, err, ref);
    }
    const ack = {
      messageId: message.messageId,
      clientMessageId: ref,
      status: "delivered",
      timestamp: message.timestamp,
    } satisfies ServerMessages["message_ack"];
    if (ref !== undefined) {
      session.acked.set(ref, ack);
      if (session.acked.size > ACKS_REMEMBERED) session.acked.delete(session.acked.keys().next().value as string);
    }
    client.send("message_ack", ack);
    this.broadcastFrom(user.id, "chat", message, client);
    this.services.metrics.inc("earshot_chat_messages_total");
    this.quietly("publish", this.presence.publish(chatChannel(this.zoneId), { origin: this.roomId, message }));
  }

  /**
   * A store call failed: `store_unavailable` (retryable) during an outage, `internal` for a
   * bug (logged with its stack). Returns undefined, for `.catch()`.
   */
  private storeFailed(client: Client, err: unknown, ref?: string): undefined {
    if (err instanceof StoreUnavailableError) {
      const retryAfterMs = this.services.store.retryMs;
      this.fail(client, ErrorCode.StoreUnavailable, "the chat store is unavailable, retry", ref, retryAfterMs);
    } else {
      this.logBug("chat store", err, client.sessionId);
      this.fail(client, ErrorCode.Internal, "the server failed to handle this, sorry", ref);
    }
    return undefined;
  }

  /**
   * Runs presence work (Redis) in the background: during a Redis outage it fails, and the
   * failure is logged once a minute instead of rejecting unheard.
   */
  private quietly(what: string, work: unknown): void {
    Promise.resolve(work).catch((err: unknown) =>
      this.services.notices.log(`presence:${what}`, `[earshot] presence ${what} failed: ${(err as Error).message}`),
    );
  }

  private onTyping(client: Client, user: User, session: Session, isTyping: boolean): void {
    session.typingTimer?.clear();
    session.typingTimer = undefined;
    const send = (value: boolean) =>
      this.broadcastFrom(user.id, "typing", { userId: user.id, sessionId: client.sessionId, isTyping: value }, client);
    send(isTyping);
    if (isTyping) {
      session.typingTimer = this.clock.setTimeout(() => {
        session.typingTimer = undefined;
        send(false);
      }, TYPING_TIMEOUT_MS);
    }
  }

  private onPresence(client: Client, user: User, m: ClientMessages["presence"]): void {
    user.status = m.status;
    if (m.micMuted !== undefined) user.micMuted = m.micMuted;
    this.broadcastFrom(
      user.id,
      "presence",
      {
        userId: user.id,
        sessionId: client.sessionId,
        status: user.status as never,
        zone: this.zoneId,
        micMuted: user.micMuted,
      },
      client,
    );
    this.publishPresence(user);
  }

  private onPosition(client: Client, user: User, session: Session, m: ClientMessages["position"]): void {
    const bound = this.services.settings.worldBound;
    if (Math.max(Math.abs(m.x), Math.abs(m.y), Math.abs(m.z)) > bound) {
      return this.fail(client, ErrorCode.InvalidMessage, `position: outside the world bounds of ±${bound} m`);
    }
    const now = this.services.now();
    const take = session.position.take(now);
    if (!take.ok)
      return this.fail(client, ErrorCode.RateLimited, "position: too many updates", undefined, take.retryAfterMs);
    if (session.awaitingClientSpawn) {
      // The client's spot, or the nearest free one: nobody spawns inside someone else.
      session.awaitingClientSpawn = false;
      const spot = pickSpawn([m], this.positionsExcept(client.sessionId));
      session.move.teleport(spot, now);
      this.place(user, spot.x, spot.y, spot.z, m.rotY);
      this.stages?.moved(client.sessionId, spot.x, spot.z);
      if (spot.x !== m.x || spot.z !== m.z)
        this.sendTo(client.sessionId, "position_corrected", { x: spot.x, y: spot.y, z: spot.z });
      return;
    }
    const moved = session.move.claim(m, now);
    this.place(user, moved.x, moved.y, moved.z, m.rotY);
    this.stages?.moved(client.sessionId, moved.x, moved.z);
    if (moved.corrected) {
      this.services.metrics.inc("earshot_position_corrections_total");
      this.sendTo(client.sessionId, "position_corrected", { x: moved.x, y: moved.y, z: moved.z });
    }
  }

  /** `reconnect {lastMessageId}`: one page of missed chat; rate-limited unless it continues a page. */
  private async onReconnectRequest(client: Client, session: Session, lastMessageId?: string | null): Promise<void> {
    const continues = session.pageCursor !== undefined && lastMessageId === session.pageCursor;
    if (!continues) {
      const take = session.reconnect.take(this.services.now());
      if (!take.ok)
        return this.fail(client, ErrorCode.RateLimited, "reconnect: too many requests", undefined, take.retryAfterMs);
    }
    await this.sendMissed(client, session, lastMessageId);
  }

  /** One page of missed chat; during a store outage `error {store_unavailable, ref:"reconnect"}` instead. */
  private async sendMissed(client: Client, session: Session, lastMessageId?: string | null): Promise<void> {
    const page = await this.chat
      .missedSince(lastMessageId)
      .catch((err: unknown) => this.storeFailed(client, err, "reconnect"));
    if (!page) return;
    const { messages, more } = page;
    session.pageCursor = more ? messages.at(-1)?.messageId : undefined;
    client.send("reconnected", { missedMessages: this.visibleTo(client.sessionId, messages), ...(more && { more }) });
    this.checkSendBuffer(client);
  }

  /**
   * Moves a user in state with a dead-band: a coordinate is replicated only when it moved by
   * `positionQuantumM`. Clients interpolate, and each unsent change saves a patch entry for
   * every viewer.
   */
  protected place(user: User, x: number, y: number, z: number, rotY?: number): void {
    const q = this.services.settings.positionQuantumM;
    if (Math.abs(x - user.x) >= q) user.x = x;
    if (Math.abs(y - user.y) >= q) user.y = y;
    if (Math.abs(z - user.z) >= q) user.z = z;
    if (rotY !== undefined && Math.abs(rotY - user.rotY) >= ROT_QUANTUM_RAD) user.rotY = rotY;
  }

  private onJoinVoice(client: Client, user: User, zoneId: string): void {
    if (zoneId !== this.zoneId) {
      return this.fail(
        client,
        ErrorCode.WrongZone,
        `join_voice_zone: you are in zone "${this.zoneId}", not "${zoneId}"`,
      );
    }
    user.inVoice = true;
    this.stages?.voice(client.sessionId, true);
    const peers = [...this.engine.visibleOf(client.sessionId)].filter((id) => this.state.users.get(id)?.inVoice);
    client.send("zone_joined", { zoneId, peers });
  }

  /** Takes one signaling message from the session's budget (peer and stage links share it); false: refused. */
  private signalAllowed(client: Client, session: Session, type: string, ref?: string): boolean {
    const take = session.signals.take(this.services.now());
    if (!take.ok)
      this.fail(client, ErrorCode.RateLimited, `${type}: too many signaling messages`, ref, take.retryAfterMs);
    return take.ok;
  }

  private relay(
    client: Client,
    session: Session,
    m: Extract<ClientMessage, { type: "offer" | "answer" | "ice_candidate" }>,
  ): void {
    const from = client.sessionId;
    if (!this.signalAllowed(client, session, m.type)) return;
    if (!this.state.users.get(from)?.inVoice) {
      return this.fail(client, ErrorCode.NotInVoice, `${m.type}: join voice first`);
    }
    if (!this.engine.isLinked(from, m.to)) {
      return this.fail(client, ErrorCode.NotPaired, `${m.type}: you are not paired with ${m.to}`);
    }
    const to = m.to;
    if (m.type === "ice_candidate") return this.sendTo(to, "ice_candidate", { from, candidate: m.candidate });
    if (m.type === "offer") this.offers.offered(from, to);
    else this.offers.answered(from, to);
    this.sendTo(to, m.type, { from, sdp: m.sdp });
  }

  private onVoiceState(client: Client, user: User, session: Session, m: ClientMessages["voice_state"]): void {
    if (m.speaking !== user.speaking || m.muted !== user.micMuted) {
      const take = session.voiceState.take(this.services.now());
      if (!take.ok)
        return this.fail(client, ErrorCode.RateLimited, "voice_state: too many changes", undefined, take.retryAfterMs);
    }
    user.micMuted = m.muted;
    user.speaking = m.speaking && !m.muted;
    const update = { peerId: client.sessionId, muted: m.muted, speaking: user.speaking, audioLevel: m.volume ?? 0 };
    for (const partner of this.engine.partnersOf(client.sessionId)) this.sendTo(partner, "peer_voice_state", update);
  }

  // ---- stages ---------------------------------------------------------------------------

  /** The zone's stages from the settings (its own, or `"*"`), or none. */
  private createStages(): ZoneStages | undefined {
    const s = this.services.settings;
    const configured = s.stages[this.zoneId] ?? s.stages["*"] ?? [];
    if (!configured.length) return undefined;
    return new ZoneStages(configured.map(stageOf), this.services.janus, {
      zoneId: this.zoneId,
      send: (sid, type, payload) => this.sendTo(sid, type, payload),
      broadcast: (type, payload) => this.broadcast(type, payload),
      refusal: (sid, stage) =>
        this.mod.voiceMutedNow(sid)
          ? "moderated"
          : stage.speakers === "role" && !this.mod.hasRole(sid, SPEAKER_ROLE)
            ? "role"
            : undefined,
      liveChanged: (sid, live) => this.stageSpeakerShown(sid, live),
      log: this.services.log,
    });
  }

  /**
   * A stage speaker went live: their links close (the stage carries the voice) and every view
   * shows them, however far (the voice plays from their avatar). Off again: views go back to
   * what the proximity engine says.
   */
  private stageSpeakerShown(sessionId: string, live: boolean): void {
    const user = this.state.users.get(sessionId);
    if (live) this.closeLinks(this.engine.dropLinks(sessionId, "on_stage"));
    if (!user) return;
    for (const client of this.clients) {
      if (client.sessionId === sessionId) continue;
      if (live) client.view?.add(user);
      else if (!this.engine.visibleOf(client.sessionId).has(sessionId)) client.view?.remove(user);
    }
  }

  /** `stage_offer`, `stage_answer`, `stage_ice`: rate-limited with the peer links' signaling. */
  private async onStageSignal(
    client: Client,
    session: Session,
    m: Extract<ClientMessage, { type: "stage_offer" | "stage_answer" | "stage_ice" }>,
  ): Promise<void> {
    if (!this.signalAllowed(client, session, m.type, "stage")) return;
    const stages = this.stages;
    if (!stages?.stages.some((s) => s.id === m.stageId))
      return this.fail(client, ErrorCode.InvalidMessage, `${m.type}: this zone has no stage "${m.stageId}"`, "stage");
    const refused =
      m.type === "stage_offer"
        ? await stages.offer(client.sessionId, m)
        : m.type === "stage_answer"
          ? await stages.answer(client.sessionId, m)
          : stages.ice(client.sessionId, m);
    if (refused) this.fail(client, refused.code, refused.message, "stage");
  }

  // ---- moderation -----------------------------------------------------------------------

  /**
   * `moderate`: a moderator's action, recorded in the presence (every process applies it to
   * its sessions of that user, this one included, through {@link onModerated}) and the audit.
   */
  private async onModerate(client: Client, user: User, m: ClientMessages["moderate"]): Promise<void> {
    if (!this.mod.isModerator(client.sessionId))
      return this.fail(client, ErrorCode.Unauthorized, "moderate: only moderators may do this", "moderate");
    const now = this.services.now();
    const timed = m.action === "mute" || m.action === "chat_mute" || m.action === "kick";
    const seconds = m.durationS ?? (m.action === "kick" ? DEFAULT_KICK_S : undefined);
    const until = timed && seconds !== undefined ? now + seconds * 1000 : null;
    const event: ModerationEvent = {
      action: m.action,
      userId: m.userId,
      until,
      by: user.id,
      ...(m.reason && { reason: m.reason }),
    };
    try {
      await this.services.moderation.act(event, now);
    } catch (err) {
      return this.fail(client, ErrorCode.ServiceUnavailable, `moderate: ${(err as Error).message}`, "moderate", 1_000);
    }
    await this.audit({
      by: user.id,
      action: m.action,
      target: m.userId,
      reason: m.reason,
      until: timed ? until : undefined,
    });
    client.send("moderate_ack", { action: m.action, userId: m.userId, until });
  }

  /** A moderator's action reached this process: applied to this room's sessions of the user. */
  private onModerated(e: ModerationEvent): void {
    this.state.users.forEach((u, sid) => {
      if (u.id !== e.userId) return;
      const client = this.clients.getById(sid);
      const tell = () =>
        client?.send("moderated", { action: e.action, until: e.until, ...(e.reason && { reason: e.reason }) });
      switch (e.action) {
        case "mute":
          this.mod.muteVoice(sid, e.until);
          this.closeLinks(this.engine.dropLinks(sid, "moderated"));
          this.stages?.refresh(sid);
          return tell();
        case "unmute":
          this.mod.muteVoice(sid, undefined);
          this.stages?.refresh(sid);
          return tell();
        case "chat_mute":
          this.mod.muteChat(sid, e.until);
          return tell();
        case "chat_unmute":
          this.mod.muteChat(sid, undefined);
          return tell();
        case "kick":
          tell();
          if (client) {
            this.fail(
              client,
              ErrorCode.Kicked,
              "a moderator removed you from the zone",
              undefined,
              Math.max(0, (e.until ?? 0) - this.services.now()),
            );
            client.leave(KICKED_CLOSE_CODE);
          }
          (this.held.get(sid)?.reject as ((reason: Error) => void) | undefined)?.(new Error("kicked"));
          return;
        case "ban":
          return; // onKick
      }
    });
  }

  /** An admin changed `userId`'s granted roles: their sessions here get the new set. */
  private async refreshRoles(userId: string): Promise<void> {
    const granted = await this.services.moderation.grantedRoles(userId).catch(() => undefined);
    if (!granted) return;
    this.state.users.forEach((u, sid) => {
      if (u.id !== userId) return;
      const roles = [...(this.sessions.get(sid)?.tokenRoles ?? []), ...granted];
      this.mod.setRoles(sid, roles);
      u.moderator = roles.includes(MODERATOR);
      this.stages?.refresh(sid);
    });
  }

  /**
   * `block` / `unblock`: the pair is never linked (a link between them closes now, as out of
   * range: the blocked user learns nothing), and the blocker gets nothing of theirs.
   */
  private async onBlock(client: Client, user: User, session: Session, target: string, on: boolean): Promise<void> {
    const type = on ? "block" : "unblock";
    if (target === user.id) return this.fail(client, ErrorCode.InvalidMessage, `${type}: that is you`, type);
    if (session.signedIn) {
      try {
        await this.services.store.setBlock(user.id, target, on);
      } catch (err) {
        return void this.storeFailed(client, err, type);
      }
    }
    if (on) {
      this.mod.block(client.sessionId, target);
      this.state.users.forEach((u, sid) => {
        if (u.id === target) this.closeLinks(this.engine.dropLink(client.sessionId, sid, "out_of_range"));
      });
    } else this.mod.unblock(client.sessionId, target);
    await this.audit({ by: user.id, action: type, target });
    client.send("block_ack", { userId: target, blocked: on });
  }

  /** `report`: stored with the zone's last chat messages as context. */
  private async onReport(client: Client, user: User, m: ClientMessages["report"]): Promise<void> {
    const now = this.services.now();
    try {
      const context = await this.chat.recent(REPORT_CONTEXT);
      const report = await this.services.store.addReport({
        zoneId: this.zoneId,
        reporter: user.id,
        target: m.userId,
        reason: m.reason,
        ...(m.messageId && { messageId: m.messageId }),
        context,
        createdAt: now,
      });
      await this.audit({ by: user.id, action: "report", target: m.userId, reason: m.reason });
      client.send("report_ack", { reportId: report.reportId });
    } catch (err) {
      this.storeFailed(client, err, "report");
    }
  }

  /** Writes one line of the audit; during a store outage it is logged instead. */
  private async audit(entry: { by: string; action: string; target: string; reason?: string; until?: number | null }) {
    const line = { ...entry, zoneId: this.zoneId, at: this.services.now() };
    await this.services.store
      .addAudit(line)
      .catch((err: unknown) =>
        this.services.notices.log(
          "audit",
          `[earshot] audit not stored (${(err as Error).message}): ${JSON.stringify(line)}`,
        ),
      );
  }

  /** Links that came inside someone's personal space close (the tick does not form new ones there). */
  private keepPersonalSpaces(): void {
    for (const sid of this.mod.bubbles.keys()) {
      const me = this.state.users.get(sid);
      if (!me) continue;
      for (const peer of this.engine.partnersOf(sid)) {
        const other = this.state.users.get(peer);
        if (!other) continue;
        const d = Math.hypot(me.x - other.x, me.y - other.y, me.z - other.z);
        if (!this.mod.mayLink(sid, peer, d, (s) => this.state.users.get(s)?.id))
          this.closeLinks(this.engine.dropLink(sid, peer, "out_of_range"));
      }
    }
  }

  /** Sends to everyone here but `except`, leaving out whoever blocks `fromUserId`. */
  private broadcastFrom<T extends keyof ServerMessages>(
    fromUserId: string,
    type: T,
    payload: ServerMessages[T],
    except?: Client,
  ): void {
    if (!this.mod.anyBlocks) return this.broadcast(type, payload, except && { except });
    for (const c of this.clients) if (c !== except && !this.mod.hides(c.sessionId, fromUserId)) c.send(type, payload);
  }

  /** Chat messages without those of users `sessionId` blocks. */
  private visibleTo(sessionId: string, messages: ChatMessage[]): ChatMessage[] {
    return this.mod.anyBlocks ? messages.filter((m) => !this.mod.hides(sessionId, m.from)) : messages;
  }

  // ---- tick -----------------------------------------------------------------------------

  /** One simulation step: the proximity engine, then its diffs applied to clients. */
  protected tick(): void {
    const started = performance.now();
    for (const sid of this.mod.expiredVoiceMutes(this.services.now())) {
      this.sendTo(sid, "moderated", { action: "unmute" });
      this.stages?.refresh(sid);
    }
    if (this.mod.bubbles.size) this.keepPersonalSpaces();
    const result = this.engine.tick(this.state.users.entries());
    this.apply(result);
    if (++this.ticks % SEND_BUFFER_CHECK_TICKS === 0) for (const client of this.clients) this.checkSendBuffer(client);
    const ms = performance.now() - started;
    this.services.metrics.tickMs = ms;
    this.services.metrics.tickMaxMs = Math.max(this.services.metrics.tickMaxMs, ms);
  }

  protected apply(result: TickResult): void {
    for (const [initiator, other] of result.opened) {
      this.sendTo(initiator, "new_peer", { peerId: other });
      // The answer is awaited from now, not from the offer: an offer that never came (lost,
      // refused as rate_limited) would otherwise leave a link that never connects.
      this.offers.offered(initiator, other);
    }
    this.closeLinks(result.closed);
    for (const id of result.cull) this.sendTo(id, "cull_update", this.engine.cullUpdate(id));
    for (const [viewer, target] of result.viewRemove) {
      // A live stage speaker stays in every view.
      if (this.stages?.live(target)) continue;
      const user = this.state.users.get(target);
      if (user) this.clients.get(viewer)?.view?.remove(user);
    }
    for (const [viewer, target] of result.viewAdd) {
      const user = this.state.users.get(target);
      if (user) this.clients.get(viewer)?.view?.add(user);
    }
  }

  /**
   * A link whose negotiation failed (the client's own restart did not help, or an offer went
   * unanswered): both sides get `peer_closed {reason:"failed"}` and the tick pairs them again
   * after a second, for a fresh negotiation. False when they were not linked.
   */
  private failLink(a: string, b: string): boolean {
    const closed = this.engine.failLink(a, b, Math.ceil(1000 / this.services.settings.tickMs));
    this.closeLinks(closed);
    return closed.length > 0;
  }

  private closeLinks(closed: { a: string; b: string; reason: ServerMessages["peer_closed"]["reason"] }[]): void {
    for (const { a, b, reason } of closed) {
      this.offers.forgetPair(a, b);
      this.sendTo(a, "peer_closed", { peerId: b, reason });
      this.sendTo(b, "peer_closed", { peerId: a, reason });
    }
  }

  // ---- helpers --------------------------------------------------------------------------

  /**
   * Drops a client that stopped reading before its unsent buffer grows the server: over
   * `maxSendBufferBytes` it is closed (`SLOW_CONSUMER_CLOSE_CODE`), its socket cut so the buffer
   * is freed now, and no seat is held (it may join again).
   */
  private checkSendBuffer(client: Client): void {
    const ws = client.ref as { bufferedAmount?: number; terminate?: () => void } | undefined;
    const buffered = ws?.bufferedAmount ?? 0;
    const session = this.sessions.get(client.sessionId);
    if (buffered <= this.services.settings.maxSendBufferBytes || !session || session.slow) return;
    session.slow = true;
    this.services.metrics.inc("earshot_slow_clients_dropped_total");
    this.services.log(
      `[earshot] ${this.zoneId}: dropped ${client.sessionId} (${buffered} bytes unsent, limit ${this.services.settings.maxSendBufferBytes})`,
    );
    client.leave(SLOW_CONSUMER_CLOSE_CODE);
    ws?.terminate?.();
  }

  /** A session's state view as it should be now: itself, whom the engine says it sees, and live stage speakers. */
  private viewOf(sessionId: string): StateView {
    const view = new StateView();
    for (const id of [sessionId, ...this.engine.visibleOf(sessionId), ...(this.stages?.liveSpeakers() ?? [])]) {
      const user = this.state.users.get(id);
      if (user) view.add(user);
    }
    return view;
  }

  /** Where everyone in the zone instance stands, but `sessionId`. */
  private positionsExcept(sessionId?: string): Vec3[] {
    const at: Vec3[] = [];
    this.state.users.forEach((u, sid) => sid !== sessionId && at.push(u));
    return at;
  }

  private allowsClientSpawn(): boolean {
    const allow = this.services.settings.allowClientSpawn;
    return allow === true || (Array.isArray(allow) && allow.includes(this.zoneId));
  }

  /** Name keys in use in this zone, here and in its other instances, except `userId`'s own. */
  private async namesTaken(userId: string): Promise<Set<string>> {
    const taken = new Set<string>();
    const online = (await this.presence.hgetall(presenceKey(this.zoneId))) ?? {};
    for (const [id, raw] of Object.entries(online)) {
      if (id === userId) continue;
      try {
        const name = (JSON.parse(String(raw)) as { name?: unknown }).name;
        if (typeof name === "string") taken.add(nameKey(name));
      } catch {
        // Not ours to judge: an unreadable entry takes no name.
      }
    }
    return taken;
  }

  /** `taken` plus the names in this instance now (they may have changed during an await). */
  private namesHere(userId: string, taken: Set<string>): Set<string> {
    this.state.users.forEach((u) => u.id !== userId && taken.add(nameKey(u.name)));
    return taken;
  }

  private sendTo<K extends keyof ServerMessages>(sessionId: string, type: K, payload: ServerMessages[K]): void {
    this.clients.get(sessionId)?.send(type, payload);
  }

  /**
   * Refuses a frame: `error {code}` to the client, a count in `earshot_refused_frames_total`,
   * and a log line at most once a minute per client, type and code.
   */
  private fail(client: Client, code: ErrorCode, message: string, ref?: string, retryAfterMs?: number): void {
    this.services.metrics.inc("earshot_errors_total");
    this.services.metrics.inc(`earshot_refused_frames_total{reason="${code}"}`);
    const type = /^[a-z_]+(?=:)/.exec(message)?.[0] ?? "message";
    this.services.notices.log(
      `${client.sessionId}:${type}:${code}`,
      `[earshot] ${this.zoneId}: refused from ${client.sessionId}: ${code}: ${message}`,
    );
    client.send("error", {
      code,
      message,
      ...(ref !== undefined && { ref }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    } satisfies ServerMessages["error"]);
  }

  private summary(sessionId: string, u: User) {
    return { sessionId, id: u.id, name: u.name, avatar: u.avatar };
  }

  private roster(): RosterEntry[] {
    const out: RosterEntry[] = [];
    this.state.users.forEach((u, sessionId) =>
      out.push({
        ...this.summary(sessionId, u),
        status: u.status as RosterEntry["status"],
        micMuted: u.micMuted,
        speaking: u.speaking,
        inVoice: u.inVoice,
        moderator: u.moderator,
      }),
    );
    return out;
  }

  private limits(): Limits {
    const s = this.services.settings;
    return {
      maxChatChars: MAX_CHAT_CHARS,
      chatRateCount: CHAT_RATE_COUNT,
      chatRateWindowMs: CHAT_RATE_WINDOW_MS,
      maxPositionsPerS: MAX_POSITIONS_PER_S,
      maxSignalsPerS: MAX_SIGNALS_PER_S,
      tickMs: s.tickMs,
      refDistance: s.refDistance,
      hearRadius: s.hearRadius,
      hysteresis: s.hysteresis,
      viewRadius: s.viewRadius,
      maxPeers: s.maxPeers,
      maxSpeedMS: s.maxSpeedMS,
      allowClientSpawn: this.allowsClientSpawn(),
    };
  }

  private iceServersFor(userId: string): IceServer[] {
    const s = this.services.settings;
    const turn =
      s.turnSecret && s.turnUrls.length ? [turnCredentials(s.turnUrls, s.turnSecret, userId, this.services.now())] : [];
    return [...s.iceServers, ...turn];
  }

  private publishPresence(user: User): void {
    this.quietly(
      "presence",
      this.presence.hset(
        presenceKey(this.zoneId),
        user.id,
        JSON.stringify({ name: user.name, status: user.status, micMuted: user.micMuted }),
      ),
    );
  }
}

/** A ZoneRoom class bound to a server's services, for `server.define("zone", ...)`. */
export function zoneRoomWith(services: ZoneServices, Base: typeof ZoneRoom = ZoneRoom): typeof ZoneRoom {
  return class BoundZoneRoom extends Base {
    protected override services = services;
  };
}

/** The client's correlation id, echoed in `error.ref`, when the payload carries one. */
function refOf(payload: unknown): string | undefined {
  const ref = (payload as { clientMessageId?: unknown } | null)?.clientMessageId;
  return typeof ref === "string" && ref.length <= 64 ? ref : undefined;
}

/** Size of a decoded payload as UTF-8 JSON, in bytes, or undefined when it cannot be serialised. */
function jsonSize(payload: unknown): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(payload ?? null), "utf8");
  } catch {
    return undefined;
  }
}
