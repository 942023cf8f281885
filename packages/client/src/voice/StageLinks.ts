import type { ClientMessages, ServerMessages } from "@earshot/protocol";
import { TypedEmitter } from "../emitter.js";
import { applyMute, newPeer } from "./VoicePeers.js";
import { tuneOpus } from "./opus.js";
import type { PeerLike, PeerSettings } from "./VoicePeers.js";

/** A failed publication is offered again this many times, this long apart, before waiting for the next invitation. */
const PUBLISH_RETRIES = 3;
const PUBLISH_RETRY_MS = 1_000;

export type StageEvents = {
  /** A stage's state changed (`off`, `idle`, `live` with its speakers, `unavailable` with a reason). */
  stageState: [state: ServerMessages["stage_state"]];
  /** You may speak on a stage now (your microphone is published), or no longer. */
  stagePublish: [event: ServerMessages["stage_publish"]];
  /** A stage voice arrived: play it from the speaker (or the stage's `soundFrom`). */
  stageStream: [speakerId: string, stream: MediaStream, stageId: string];
  /** A stage voice ended. */
  stageClosed: [speakerId: string];
};

export interface StageLinksOptions extends PeerSettings {
  send: <K extends "stage_offer" | "stage_answer" | "stage_ice">(type: K, payload: ClientMessages[K]) => void;
  /** Our session id: the `speakerId` of our own stage link. */
  sessionId: () => string | undefined;
}

interface Subscription {
  stageId: string;
  peer: PeerLike;
  stream?: MediaStream;
}

/**
 * The stage links of one client, each a plain simple-peer whose far end is the server's media
 * server (Janus); every signal goes through the room connection. When the server says
 * `stage_publish {publish: true}` the microphone is offered (`stage_offer`); each stage voice
 * comes as the server's `stage_offer`, answered here, and ends when `stage_state` no longer
 * lists its speaker.
 */
export class StageLinks extends TypedEmitter<StageEvents> {
  private publisher?: { stageId: string; peer: PeerLike };
  /** The stage the server asked us to speak on (we publish once there is a microphone). */
  private invited?: string;
  /** Offers made again since the publication last connected. */
  private retries = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private readonly subs = new Map<string, Subscription>();
  /** The last `stage_state` of each stage. */
  readonly states = new Map<string, ServerMessages["stage_state"]>();

  constructor(private readonly options: StageLinksOptions) {
    super();
  }

  /** The stage your microphone is published on, if any. */
  get onAir(): string | undefined {
    return this.publisher?.stageId;
  }

  /** Speakers whose stage voice you receive. */
  get speakerIds(): string[] {
    return [...this.subs.keys()];
  }

  streamOf(speakerId: string): MediaStream | undefined {
    return this.subs.get(speakerId)?.stream;
  }

  /** The RTCPeerConnection carrying `speakerId`'s voice, or your own publication (your session id). */
  connectionOf(speakerId: string): RTCPeerConnection | undefined {
    return speakerId === this.options.sessionId() ? this.publisher?.peer._pc : this.subs.get(speakerId)?.peer._pc;
  }

  /** Routes a server message; returns true when it was a stage message. */
  handle<K extends keyof ServerMessages>(type: K, payload: ServerMessages[K]): boolean {
    switch (type) {
      case "stage_state":
        this.onState(payload as ServerMessages["stage_state"]);
        return true;
      case "stage_publish":
        this.onPublish(payload as ServerMessages["stage_publish"]);
        return true;
      case "stage_answer": {
        const { stageId, sdp } = payload as ServerMessages["stage_answer"];
        // Janus relays, it does not encode: its answer is where our encoder's Opus limits must be.
        if (this.publisher?.stageId === stageId) this.publisher.peer.signal({ type: "answer", sdp: tuneOpus(sdp) });
        return true;
      }
      case "stage_offer":
        this.subscribe(payload as ServerMessages["stage_offer"]);
        return true;
      default:
        return false;
    }
  }

  /** Applies the mute state (and the current microphone track) to the published microphone. */
  applyMute(): void {
    if (this.publisher) applyMute(this.publisher.peer, this.options);
  }

  /** A microphone is there now: publish it if the server asked us to speak before it was. */
  micReady(): void {
    if (this.invited && !this.publisher) this.publish(this.invited);
    else this.applyMute();
  }

  /**
   * Closes every stage link; safe twice. Unless `forget` is false (leaving voice: joining it
   * again publishes again while on stage), the stages' states and the invitation go too.
   */
  closeAll(forget = true): void {
    this.unpublish();
    for (const speakerId of [...this.subs.keys()]) this.unsubscribe(speakerId);
    if (!forget) return;
    this.invited = undefined;
    this.states.clear();
  }

  private onState(state: ServerMessages["stage_state"]): void {
    this.states.set(state.stageId, state);
    for (const [speakerId, sub] of this.subs)
      if (sub.stageId === state.stageId && !state.speakers.includes(speakerId)) this.unsubscribe(speakerId);
    this.emit("stageState", state);
  }

  private onPublish(event: ServerMessages["stage_publish"]): void {
    this.unpublish();
    this.retries = 0;
    this.invited = event.publish ? event.stageId : undefined;
    if (event.publish) this.publish(event.stageId);
    this.emit("stagePublish", event);
  }

  /** Offers the microphone to the stage; listen-only (no microphone yet) waits for {@link micReady}. */
  private publish(stageId: string): void {
    const o = this.options;
    const stream = o.localStream();
    if (!stream) return;
    const peer = newPeer(o, true, stream);
    const publisher = { stageId, peer };
    this.publisher = publisher;
    applyMute(peer, o);
    peer.on("signal", (data: { type?: string; sdp?: string; candidate?: ClientMessages["stage_ice"]["candidate"] }) => {
      if (this.publisher !== publisher) return;
      if (data.type === "offer") o.send("stage_offer", { stageId, sdp: data.sdp! });
      else if (data.candidate)
        o.send("stage_ice", { stageId, speakerId: o.sessionId() ?? "", candidate: data.candidate });
    });
    peer.on("connect", () => (this.retries = 0));
    peer.on("error", () => undefined);
    // The link failed or was cut (a network change): offer again while the server still wants us on air.
    peer.on("close", () => {
      if (this.publisher !== publisher) return;
      this.publisher = undefined;
      if (this.retries >= PUBLISH_RETRIES) return;
      this.retries++;
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (this.invited === stageId && !this.publisher) this.publish(stageId);
      }, PUBLISH_RETRY_MS);
    });
  }

  private unpublish(): void {
    clearTimeout(this.retryTimer);
    const publisher = this.publisher;
    this.publisher = undefined;
    publisher?.peer.destroy();
  }

  private subscribe({ stageId, speakerId, sdp }: ServerMessages["stage_offer"]): void {
    this.unsubscribe(speakerId);
    const o = this.options;
    const peer = newPeer(o, false);
    const sub: Subscription = { stageId, peer };
    this.subs.set(speakerId, sub);
    const current = () => this.subs.get(speakerId) === sub;
    peer.on("signal", (data: { type?: string; sdp?: string; candidate?: ClientMessages["stage_ice"]["candidate"] }) => {
      if (!current()) return;
      if (data.type === "answer") o.send("stage_answer", { stageId, speakerId, sdp: data.sdp! });
      else if (data.candidate) o.send("stage_ice", { stageId, speakerId, candidate: data.candidate });
    });
    peer.on("stream", (stream) => {
      if (!current()) return;
      sub.stream = stream;
      this.emit("stageStream", speakerId, stream, stageId);
    });
    peer.on("error", () => undefined);
    peer.signal({ type: "offer", sdp });
  }

  private unsubscribe(speakerId: string): void {
    const sub = this.subs.get(speakerId);
    if (!sub) return;
    this.subs.delete(speakerId);
    sub.peer.destroy();
    if (sub.stream) this.emit("stageClosed", speakerId);
  }
}
