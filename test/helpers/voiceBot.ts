// Voice bots and `eventually`, free of vitest so benchmarks can use them too.
import wrtc from "@roamhq/wrtc";
import SimplePeer from "simple-peer";
import { EarshotClient } from "@earshot/client";
import type { PeerLike } from "@earshot/client";

const { RTCAudioSource, RTCAudioSink } = wrtc.nonstandard as unknown as {
  RTCAudioSource: new () => { createTrack(): MediaStreamTrack; onData(d: object): void };
  RTCAudioSink: new (track: MediaStreamTrack) => {
    ondata?: (d: { samples: Int16Array; sampleRate: number }) => void;
    stop(): void;
  };
};

/**
 * @roamhq/wrtc 0.10 crashes the process when its RTCAudioSource / RTCAudioSink objects are
 * garbage-collected (native finalizer; also in a script that only creates a source). Test
 * bots keep theirs referenced for the life of the process.
 */
const keepAlive: unknown[] = [];

/** Level and pitch of received audio, from the last ~200 ms of samples (a ring buffer: bots may hold hundreds). */
export class Listener {
  private ring = new Float32Array(9_600);
  private filled = 0;
  private at = 0;
  private rate = 48_000;
  private readonly sink;
  constructor(track: MediaStreamTrack) {
    this.sink = new RTCAudioSink(track);
    keepAlive.push(this.sink);
    this.sink.ondata = ({ samples, sampleRate }) => {
      if (sampleRate !== this.rate) {
        // The first buffers come at 16 kHz, then 48 kHz: start over at the new rate.
        this.rate = sampleRate;
        this.ring = new Float32Array(Math.round(sampleRate * 0.2));
        this.filled = this.at = 0;
      }
      for (let i = 0; i < samples.length; i++) {
        this.ring[this.at] = samples[i]! / 32768;
        this.at = (this.at + 1) % this.ring.length;
      }
      this.filled = Math.min(this.ring.length, this.filled + samples.length);
    };
  }
  /** The window's samples, oldest first. */
  private samples(): Float32Array {
    if (this.filled < this.ring.length) return this.ring.subarray(0, this.filled);
    const out = new Float32Array(this.ring.length);
    out.set(this.ring.subarray(this.at));
    out.set(this.ring.subarray(0, this.at), this.ring.length - this.at);
    return out;
  }
  /** Root mean square of the window, 0..1. */
  rms(): number {
    const buf = this.samples();
    if (!buf.length) return 0;
    let sum = 0;
    for (const x of buf) sum += x * x;
    return Math.sqrt(sum / buf.length);
  }
  /** Goertzel magnitude of a frequency, normalised like an amplitude. */
  magnitude(freq: number): number {
    const buf = this.samples();
    const n = buf.length;
    if (!n) return 0;
    const coeff = 2 * Math.cos((2 * Math.PI * freq) / this.rate);
    let s1 = 0;
    let s2 = 0;
    for (const x of buf) {
      const s0 = x + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2))) / n;
  }
  stop(): void {
    this.sink.stop();
  }
}

/** A Node voice bot: a real EarshotClient over @roamhq/wrtc, sending a sine tone. */
export class Bot {
  readonly client: EarshotClient;
  readonly listeners = new Map<string, Listener>();
  /** What arrives from each stage speaker, by their session id. */
  readonly stageListeners = new Map<string, Listener>();
  /** Peer ids of our links, as the server's last cull_update reported them. */
  serverLinks: string[] = [];
  private readonly timer?: ReturnType<typeof setInterval>;
  /** The tone sent as the bot's microphone; none for a listen-only bot (`freq` 0). */
  private readonly track?: MediaStreamTrack;

  constructor(url: string, name: string, freq: number, amplitude = 0.3, token?: string) {
    if (freq > 0) {
      const source = new RTCAudioSource();
      keepAlive.push(source);
      this.track = source.createTrack();
      let phase = 0;
      // 10 ms frames of 48 kHz mono, as RTCAudioSource expects.
      this.timer = setInterval(() => {
        const samples = new Int16Array(480);
        for (let i = 0; i < samples.length; i++) {
          samples[i] = Math.round(Math.sin(phase) * amplitude * 32767);
          phase += (2 * Math.PI * freq) / 48_000;
        }
        source.onData({ samples, sampleRate: 48_000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
      }, 10);
    }
    this.client = new EarshotClient({
      serverUrl: url,
      user: { name },
      ...(token && { token }),
      createPeer: (o) => new SimplePeer(o as SimplePeer.Options) as unknown as PeerLike,
      wrtc,
      iceServers: [],
    });
    this.client.on("peerStream", (peerId, stream) => {
      this.listeners.get(peerId)?.stop();
      this.listeners.set(peerId, new Listener(stream.getAudioTracks()[0]!));
    });
    this.client.on("cullUpdate", (c) => (this.serverLinks = c.audiblePeers.map((p) => p.peerId).sort()));
    this.client.on("peerClosed", (peerId) => {
      this.listeners.get(peerId)?.stop();
      this.listeners.delete(peerId);
    });
    this.client.on("stageStream", (speakerId, stream) => {
      this.stageListeners.get(speakerId)?.stop();
      this.stageListeners.set(speakerId, new Listener(stream.getAudioTracks()[0]!));
    });
    this.client.on("stageClosed", (speakerId) => {
      this.stageListeners.get(speakerId)?.stop();
      this.stageListeners.delete(speakerId);
    });
  }

  /** Joins a zone at (x, z) and enters voice, sending the tone (listen-only without one). */
  async enter(zone: string, x: number, z = 0): Promise<void> {
    await this.client.join(zone);
    this.client.sendPosition(x, 0, z);
    this.startVoice();
  }

  /** Enters voice in the current zone, sending the tone (listen-only without one). */
  startVoice(): void {
    this.client.joinVoice(this.track && new wrtc.MediaStream([this.track]));
  }

  /** True when `freq` arrives from `speakerId` through the stage. */
  hearsOnStage(speakerId: string, freq: number): boolean {
    return (this.stageListeners.get(speakerId)?.magnitude(freq) ?? 0) > 0.05;
  }

  /** Streams carrying `freq` now, through links and the stage together. */
  streamsWith(freq: number): number {
    return [...this.listeners.values(), ...this.stageListeners.values()].filter((l) => l.magnitude(freq) > 0.05).length;
  }

  /** Open RTCPeerConnections this bot holds. */
  liveConnections(): string[] {
    return this.client.voice.peerIds.filter((id) => {
      const pc = this.client.voice.connectionOf(id);
      return pc && pc.connectionState !== "closed";
    });
  }

  /** True when the tone `freq` is heard from the first peer this bot is linked to. */
  hearsLinkedPeer(freq: number): boolean {
    const peer = this.client.voice.peerIds[0];
    return peer !== undefined && (this.listeners.get(peer)?.magnitude(freq) ?? 0) > 0.05;
  }

  /** Peer ids whose connection is established. */
  connectedPeers(): string[] {
    return this.client.voice.peerIds
      .filter((id) => this.client.voice.connectionOf(id)?.connectionState === "connected")
      .sort();
  }

  /** Bytes sent on all links (outbound RTP). */
  async bytesSent(): Promise<number> {
    let total = 0;
    for (const id of this.client.voice.peerIds) {
      const stats = await this.client.voice.connectionOf(id)?.getStats();
      stats?.forEach((r: { type: string; kind?: string; bytesSent?: number }) => {
        if (r.type === "outbound-rtp") total += r.bytesSent ?? 0;
      });
    }
    return total;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const l of [...this.listeners.values(), ...this.stageListeners.values()]) l.stop();
    this.listeners.clear();
    this.stageListeners.clear();
    await this.client.close();
    this.track?.stop();
  }
}

/** Waits until `check` holds, polling on the event loop; for audio that arrives continuously. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
