import { ErrorCode, onStageArea } from "@earshot/protocol";
import type { ClientMessages, ServerMessages, Stage } from "@earshot/protocol";
import { onHangup, webrtcUp } from "./janus.js";
import type { JanusGateway, StageHandle } from "./janus.js";

type Candidate = ClientMessages["stage_ice"]["candidate"];

/** What a zone room gives its stages. */
export interface StageHost {
  readonly zoneId: string;
  send<K extends keyof ServerMessages>(sessionId: string, type: K, payload: ServerMessages[K]): void;
  broadcast<K extends keyof ServerMessages>(type: K, payload: ServerMessages[K]): void;
  /** Why `sessionId` may not speak on `stage` now (`role`, `moderated`), or undefined. */
  refusal(sessionId: string, stage: Stage): "role" | "moderated" | undefined;
  /**
   * A speaker went live (`true`: the stage carries their voice, so their P2P links close, and
   * everyone should see their avatar, where the voice plays from) or is no longer (`false`).
   */
  liveChanged(sessionId: string, live: boolean): void;
  log(line: string): void;
}

/** A refused stage message: the room answers `error {code}`. */
export interface StageRefusal {
  code: ErrorCode;
  message: string;
}

interface Publisher {
  stageId: string;
  epoch: number;
  handle?: StageHandle;
  /** Set once Janus took the offer: the voice is live. */
  feed?: number;
  /** ICE candidates that came before the handle. */
  queued: Candidate[];
}

interface Subscription {
  handle?: StageHandle;
}

const detach = (handle: StageHandle | undefined) => void handle?.detach().catch(() => undefined);

/**
 * The stages of one zone instance. Who stands on a stage and may speak is told to publish
 * (`stage_publish`); their offer goes to the zone's Janus room and, once live, every listener
 * in voice gets an offer of that voice (`stage_offer`). Stepping off, a moderator's mute,
 * leaving or Janus going away unpublishes; when Janus is back, speakers still on stage are
 * asked to publish again and listeners resubscribe. Only Earshot talks to Janus: clients see
 * the same room connection as for their peer links.
 */
export class ZoneStages {
  /** Which stage each user stands on (allowed to speak or not). */
  private readonly standing = new Map<string, string>();
  /** Speakers told to publish, and on which stage. */
  private readonly invited = new Map<string, string>();
  private readonly publishers = new Map<string, Publisher>();
  /** Subscriptions by speaker, then listener. */
  private readonly subs = new Map<string, Map<string, Subscription>>();
  /** Sessions in voice: they hear the stage. */
  private readonly listeners = new Set<string>();
  private liveCount = 0;
  private room?: Promise<number>;
  private readonly offJanus?: () => void;
  private disposed = false;

  constructor(
    readonly stages: readonly Stage[],
    private readonly janus: JanusGateway | undefined,
    private readonly host: StageHost,
  ) {
    this.offJanus = janus?.onChange((up) => this.onJanus(up));
  }

  /** True while `sessionId`'s voice is live on a stage (the proximity engine does not pair them). */
  live(sessionId: string): boolean {
    return this.liveCount > 0 && this.publishers.get(sessionId)?.feed !== undefined;
  }

  /** Session ids whose stage voice is live (on `stageId`, or on any stage). */
  liveSpeakers(stageId?: string): string[] {
    if (this.liveCount === 0) return [];
    const live: string[] = [];
    for (const [sid, pub] of this.publishers)
      if (pub.feed !== undefined && (stageId === undefined || pub.stageId === stageId)) live.push(sid);
    return live;
  }

  /** The `stage_state` of every stage, for a newcomer. */
  joined(sessionId: string): void {
    for (const stage of this.stages) this.host.send(sessionId, "stage_state", this.stateOf(stage.id));
  }

  /**
   * Where `sessionId` stands now (the server's position for them, after the speed limit): they
   * may have stepped onto a stage or off it. Without Janus, stages are off and nothing is tracked.
   */
  moved(sessionId: string, x: number, z: number): void {
    if (!this.janus) return;
    const on = this.stages.find((s) => onStageArea(s.area, x, z));
    if (on?.id === this.standing.get(sessionId)) return;
    if (on) this.standing.set(sessionId, on.id);
    else this.standing.delete(sessionId);
    const refusal = on && this.host.refusal(sessionId, on);
    if (on && refusal)
      this.host.send(sessionId, "error", {
        code: refusal === "role" ? ErrorCode.Unauthorized : ErrorCode.Muted,
        message:
          refusal === "role"
            ? `stage "${on.id}": only users with the speaker role may speak here; you can listen`
            : `stage "${on.id}": a moderator muted you, so you cannot speak here`,
        ref: "stage",
      });
    this.refresh(sessionId);
  }

  /**
   * Brings `sessionId`'s publishing in line with where they stand, their roles and mutes, and
   * whether Janus is up. The room calls it after a moderator's action or a role change.
   */
  refresh(sessionId: string): void {
    const stage = this.stages.find((s) => s.id === this.standing.get(sessionId));
    const refusal = stage && this.host.refusal(sessionId, stage);
    const should = stage && !refusal && this.janus?.up ? stage.id : undefined;
    const was = this.invited.get(sessionId);
    if (was === should) return;
    if (was) {
      this.invited.delete(sessionId);
      const reason = !stage ? "stepped_off" : refusal ? refusal : "unavailable";
      this.host.send(sessionId, "stage_publish", { stageId: was, publish: false, reason });
      this.unpublish(sessionId);
    }
    if (should) {
      this.invited.set(sessionId, should);
      this.host.send(sessionId, "stage_publish", { stageId: should, publish: true });
    }
  }

  /** A speaker's offer: published into the zone's Janus room, answered, and offered to every listener. */
  async offer(sessionId: string, m: ClientMessages["stage_offer"]): Promise<StageRefusal | undefined> {
    if (this.invited.get(sessionId) !== m.stageId)
      return {
        code: ErrorCode.Unauthorized,
        message: `stage_offer: you may not speak on stage "${m.stageId}" now (stand on it; it may need the speaker role)`,
      };
    const janus = this.janus!;
    if (!janus.up) return this.unavailable("stage_offer");
    this.unpublish(sessionId);
    const pub: Publisher = { stageId: m.stageId, epoch: janus.epoch, queued: [] };
    this.publishers.set(sessionId, pub);
    const current = () => this.publishers.get(sessionId) === pub && janus.epoch === pub.epoch && !this.disposed;
    try {
      const room = await this.roomId();
      const { handle, feed, answer } = await janus.publish(room, sessionId, { type: "offer", sdp: m.sdp });
      if (!current()) return void detach(handle);
      pub.handle = handle;
      for (const candidate of pub.queued.splice(0)) void handle.trickle(candidate).catch(() => undefined);
      const up = webrtcUp(handle);
      this.host.send(sessionId, "stage_answer", { stageId: m.stageId, sdp: answer.sdp });
      // Janus offers a feed to subscribers once its media flows.
      await up;
      if (!current()) return;
      pub.feed = feed;
      // Their client closed the link (it offers again while invited): off air until then.
      onHangup(handle, () => current() && this.unpublish(sessionId));
      this.liveCount++;
      this.host.liveChanged(sessionId, true);
      this.broadcastState(m.stageId);
      for (const listener of this.listeners) if (listener !== sessionId) void this.subscribe(listener, sessionId);
    } catch (err) {
      if (!current()) return;
      this.publishers.delete(sessionId);
      this.host.log(`[earshot] ${this.host.zoneId}: stage publish failed: ${(err as Error).message}`);
      return this.unavailable("stage_offer");
    }
  }

  /** A listener's answer to the offer of `speakerId`'s voice. */
  async answer(sessionId: string, m: ClientMessages["stage_answer"]): Promise<StageRefusal | undefined> {
    const handle = this.subs.get(m.speakerId)?.get(sessionId)?.handle;
    if (!handle) return this.notOffered("stage_answer", m.speakerId);
    try {
      await handle.start({ jsep: { type: "answer", sdp: m.sdp } });
    } catch (err) {
      this.host.log(`[earshot] ${this.host.zoneId}: stage subscription failed: ${(err as Error).message}`);
    }
  }

  /** An ICE candidate of a stage link: the speaker's own (`speakerId` is theirs) or a subscription's. */
  ice(sessionId: string, m: ClientMessages["stage_ice"]): StageRefusal | undefined {
    if (m.speakerId === sessionId) {
      const pub = this.publishers.get(sessionId);
      if (!pub) return this.notOffered("stage_ice", m.speakerId);
      if (pub.handle) void pub.handle.trickle(m.candidate).catch(() => undefined);
      else pub.queued.push(m.candidate);
      return;
    }
    const handle = this.subs.get(m.speakerId)?.get(sessionId)?.handle;
    if (!handle) return this.notOffered("stage_ice", m.speakerId);
    void handle.trickle(m.candidate).catch(() => undefined);
  }

  /** `sessionId` joined or left voice: they hear the stage, or no longer. */
  voice(sessionId: string, inVoice: boolean): void {
    if (inVoice) {
      this.listeners.add(sessionId);
      for (const [speaker, pub] of this.publishers)
        if (pub.feed !== undefined && speaker !== sessionId) void this.subscribe(sessionId, speaker);
      return;
    }
    this.listeners.delete(sessionId);
    // Out of voice, a speaker's client closed its stage link: so does Janus' side (still invited, they publish on return).
    this.unpublish(sessionId);
    for (const bySpeaker of this.subs.values()) {
      detach(bySpeaker.get(sessionId)?.handle);
      bySpeaker.delete(sessionId);
    }
  }

  leave(sessionId: string): void {
    this.standing.delete(sessionId);
    this.invited.delete(sessionId);
    this.unpublish(sessionId);
    this.voice(sessionId, false);
  }

  dispose(): void {
    this.disposed = true;
    this.offJanus?.();
    for (const sid of [...this.publishers.keys()]) this.unpublish(sid, false);
    const room = this.room;
    this.room = undefined;
    room?.then((id) => this.janus?.destroyRoom(id)).catch(() => undefined);
  }

  // ---- internals ------------------------------------------------------------------------

  private stateOf(stageId: string): ServerMessages["stage_state"] {
    const speakers = this.liveSpeakers(stageId);
    if (!this.janus) return { stageId, state: "off", speakers, reason: "no_media_server" };
    if (!this.janus.up) return { stageId, state: "unavailable", speakers, reason: this.janus.reason };
    return { stageId, state: speakers.length ? "live" : "idle", speakers };
  }

  private broadcastState(stageId: string): void {
    this.host.broadcast("stage_state", this.stateOf(stageId));
  }

  /** The zone instance's Janus room, created on first use (and again after Janus restarted). */
  private roomId(): Promise<number> {
    const janus = this.janus!;
    const epoch = janus.epoch;
    const room = (this.room ??= janus.createRoom(`earshot ${this.host.zoneId}`));
    return room.catch((err: unknown) => {
      if (this.room === room && janus.epoch === epoch) this.room = undefined;
      throw err;
    });
  }

  /** Offers `speaker`'s live voice to `listener`. */
  private async subscribe(listener: string, speaker: string): Promise<void> {
    const pub = this.publishers.get(speaker);
    if (pub?.feed === undefined) return;
    let bySpeaker = this.subs.get(speaker);
    if (!bySpeaker) this.subs.set(speaker, (bySpeaker = new Map<string, Subscription>()));
    if (bySpeaker.has(listener)) return;
    const sub: Subscription = {};
    bySpeaker.set(listener, sub);
    try {
      const { handle, offer } = await this.janus!.subscribe(await this.roomId(), pub.feed);
      if (this.subs.get(speaker)?.get(listener) !== sub || this.disposed) return void detach(handle);
      sub.handle = handle;
      this.host.send(listener, "stage_offer", { stageId: pub.stageId, speakerId: speaker, sdp: offer.sdp });
    } catch (err) {
      if (this.subs.get(speaker)?.get(listener) === sub) bySpeaker.delete(listener);
      this.host.log(`[earshot] ${this.host.zoneId}: stage subscribe failed: ${(err as Error).message}`);
    }
  }

  /** Ends `speaker`'s publication and every subscription to it; tells the zone when it was live. */
  private unpublish(speaker: string, announce = true): void {
    const pub = this.publishers.get(speaker);
    if (!pub) return;
    this.publishers.delete(speaker);
    detach(pub.handle);
    for (const sub of this.subs.get(speaker)?.values() ?? []) detach(sub.handle);
    this.subs.delete(speaker);
    if (pub.feed === undefined) return;
    this.liveCount--;
    this.host.liveChanged(speaker, false);
    if (announce) this.broadcastState(pub.stageId);
  }

  /** Janus went away (every handle and room with it) or came back. */
  private onJanus(up: boolean): void {
    if (!up) {
      this.room = undefined;
      const live = this.liveSpeakers();
      this.liveCount = 0;
      this.publishers.clear();
      for (const sid of live) this.host.liveChanged(sid, false);
      this.subs.clear();
      for (const [sid, stageId] of this.invited)
        this.host.send(sid, "stage_publish", { stageId, publish: false, reason: "unavailable" });
      this.invited.clear();
    }
    for (const stage of this.stages) this.broadcastState(stage.id);
    if (up) for (const sid of this.standing.keys()) this.refresh(sid);
  }

  private unavailable(type: string): StageRefusal {
    return {
      code: ErrorCode.ServiceUnavailable,
      message: `${type}: the stage's media server is unavailable (${this.janus?.reason ?? "not configured"}); it is retried`,
    };
  }

  private notOffered(type: string, speakerId: string): StageRefusal {
    return { code: ErrorCode.NotPaired, message: `${type}: no stage link carries ${speakerId}'s voice to you` };
  }
}
