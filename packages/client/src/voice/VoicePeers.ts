import type { ClientMessages, IceServer, PeerCloseReason, ServerMessages } from "@earshot/protocol";
import { TypedEmitter } from "../emitter.js";
import { tuneOpus } from "./opus.js";

/** The slice of simple-peer's instance that Earshot uses. */
export interface PeerLike {
  signal(data: unknown): void;
  destroy(err?: Error): void;
  on(event: "signal", listener: (data: SignalData) => void): this;
  on(event: "stream", listener: (stream: MediaStream) => void): this;
  on(event: "connect" | "close", listener: () => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  on(event: "iceStateChange", listener: (ice: string, gathering: string) => void): this;
  destroyed: boolean;
  /** simple-peer's RTCPeerConnection (used for mute and stats). */
  _pc: RTCPeerConnection;
}

/** simple-peer constructor options Earshot passes. */
export interface PeerOptions {
  initiator: boolean;
  trickle: boolean;
  stream?: MediaStream;
  config: RTCConfiguration;
  offerOptions: RTCOfferOptions;
  sdpTransform: (sdp: string) => string;
  wrtc?: unknown;
}

/** Creates a peer; simple-peer's default export fits. */
export type PeerFactory = (options: PeerOptions) => PeerLike;

type SignalData = { type?: string; sdp?: string; candidate?: RTCIceCandidateInit & { candidate: string } };

/** Why a link ended on this side. */
export type PeerEndReason = PeerCloseReason | "unavailable" | "failed" | "zone_change" | "closed";

export type VoiceEvents = {
  /** A remote voice arrived: play it. */
  peerStream: [peerId: string, stream: MediaStream];
  /** WebRTC connected to a peer. */
  peerConnected: [peerId: string];
  /** A link ended; its stream is gone. */
  peerClosed: [peerId: string, reason: PeerEndReason];
};

interface Link {
  peer: PeerLike;
  initiator: boolean;
  restarted: boolean;
  stream?: MediaStream;
}

export interface VoicePeersOptions {
  createPeer: PeerFactory;
  send: <K extends "offer" | "answer" | "ice_candidate" | "voice_link_failed">(
    type: K,
    payload: ClientMessages[K],
  ) => void;
  iceServers: () => IceServer[];
  /** The microphone stream to send, if any. */
  localStream: () => MediaStream | undefined;
  /** Whether the microphone is muted (senders carry no track). */
  muted: () => boolean;
  wrtc?: unknown;
}

/**
 * The voice links of one client: exactly the links the server created. The initiator (the
 * side told `new_peer`) offers, the other side answers; links close on `peer_closed`. A link
 * whose ICE fails is renegotiated from scratch once, then given up until the server re-pairs.
 */
export class VoicePeers extends TypedEmitter<VoiceEvents> {
  private readonly links = new Map<string, Link>();

  constructor(private readonly options: VoicePeersOptions) {
    super();
  }

  /** Peer ids with a live link object. */
  get peerIds(): string[] {
    return [...this.links.keys()];
  }

  /** The RTCPeerConnection of a link, for stats. */
  connectionOf(peerId: string): RTCPeerConnection | undefined {
    return this.links.get(peerId)?.peer._pc;
  }

  /** The remote stream of a link, once it arrived. */
  streamOf(peerId: string): MediaStream | undefined {
    return this.links.get(peerId)?.stream;
  }

  /** Routes a server message; returns true when it was a voice message. */
  handle<K extends keyof ServerMessages>(type: K, payload: ServerMessages[K]): boolean {
    switch (type) {
      case "new_peer":
        this.open((payload as ServerMessages["new_peer"]).peerId, true);
        return true;
      case "offer": {
        const { from, sdp } = payload as ServerMessages["offer"];
        const link = this.links.get(from);
        // A fresh offer while we hold a link means the other side restarted: start over.
        if (link && !link.initiator) link.peer.destroy();
        if (link) this.links.delete(from);
        this.open(from, false).peer.signal({ type: "offer", sdp });
        return true;
      }
      case "answer": {
        const { from, sdp } = payload as ServerMessages["answer"];
        this.links.get(from)?.peer.signal({ type: "answer", sdp });
        return true;
      }
      case "ice_candidate": {
        const { from, candidate } = payload as ServerMessages["ice_candidate"];
        this.links.get(from)?.peer.signal({ candidate });
        return true;
      }
      case "peer_closed": {
        const { peerId, reason } = payload as ServerMessages["peer_closed"];
        this.close(peerId, reason);
        return true;
      }
      case "peer_unavailable":
        this.close((payload as ServerMessages["peer_unavailable"]).peerId, "unavailable");
        return true;
      default:
        return false;
    }
  }

  /** Applies the mute state to every link: a muted sender carries no track, so sends nothing. */
  applyMute(): void {
    for (const link of this.links.values()) applyMute(link.peer, this.options);
  }

  /** Closes one link. */
  close(peerId: string, reason: PeerEndReason): void {
    const link = this.links.get(peerId);
    if (!link) return;
    this.links.delete(peerId);
    link.peer.destroy();
    this.emit("peerClosed", peerId, reason);
  }

  /** Closes every link; safe twice. */
  closeAll(reason: PeerEndReason): void {
    for (const peerId of [...this.links.keys()]) this.close(peerId, reason);
  }

  private open(peerId: string, initiator: boolean): Link {
    this.links.get(peerId)?.peer.destroy();
    const o = this.options;
    const stream = o.localStream();
    const peer = newPeer(o, initiator, stream);
    const link: Link = { peer, initiator, restarted: false };
    this.links.set(peerId, link);
    if (stream) applyMute(peer, o);
    const current = () => this.links.get(peerId) === link;
    peer.on("signal", (data) => {
      if (!current()) return;
      if (data.type === "offer" || data.type === "answer") o.send(data.type, { to: peerId, sdp: data.sdp! });
      else if (data.candidate) o.send("ice_candidate", { to: peerId, candidate: data.candidate });
    });
    peer.on("stream", (remote) => {
      if (!current()) return;
      link.stream = remote;
      this.emit("peerStream", peerId, remote);
    });
    peer.on("connect", () => current() && this.emit("peerConnected", peerId));
    peer.on("iceStateChange", (ice) => {
      if (ice === "failed" && current()) this.recover(peerId, link);
    });
    peer.on("error", () => {
      if (current()) this.recover(peerId, link);
    });
    peer.on("close", () => {
      if (current() && !link.restarted) this.recover(peerId, link);
    });
    return link;
  }

  /**
   * One restart: the initiator renegotiates from scratch. When that fails too, the link is
   * dropped and the server told, so its tick pairs the two again a little later.
   */
  private recover(peerId: string, link: Link): void {
    if (link.initiator && !link.restarted) {
      link.peer.destroy();
      const again = this.open(peerId, true);
      again.restarted = true;
      return;
    }
    // The responder gives up its side; a fresh offer from the initiator opens a new one.
    this.close(peerId, "failed");
    if (link.initiator) this.options.send("voice_link_failed", { peerId });
  }
}

/** What {@link newPeer} and {@link applyMute} need: the options voice and stage links share. */
export type PeerSettings = Pick<VoicePeersOptions, "createPeer" | "iceServers" | "localStream" | "muted" | "wrtc">;

/** A simple-peer for a voice link (to a peer, or to the stage's media server): trickle ICE, one bundle, Opus tuned. */
export function newPeer(o: PeerSettings, initiator: boolean, stream?: MediaStream): PeerLike {
  return o.createPeer({
    initiator,
    trickle: true,
    stream,
    config: { iceServers: o.iceServers(), bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" },
    offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    sdpTransform: (sdp) => tuneOpus(sdp),
    wrtc: o.wrtc,
  });
}

/** A muted sender carries no track, so sends nothing; unmuted, the microphone's. */
export function applyMute(peer: PeerLike, o: PeerSettings): void {
  const track = o.muted() ? null : (o.localStream()?.getAudioTracks()[0] ?? null);
  for (const sender of peer._pc.getSenders()) {
    if (sender.track !== track && (sender.track?.kind ?? "audio") === "audio") void sender.replaceTrack(track);
  }
}
