import type { AbstractSoundSource } from "@babylonjs/core/AudioV2/abstractAudio/abstractSoundSource.js";
import { CreateSoundSourceAsync } from "@babylonjs/core/AudioV2/abstractAudio/audioEngineV2.js";
import type { AudioEngineV2 } from "@babylonjs/core/AudioV2/abstractAudio/audioEngineV2.js";
import { CreateAudioEngineAsync } from "@babylonjs/core/AudioV2/webAudio/webAudioEngine.js";
import type { Camera } from "@babylonjs/core/Cameras/camera.js";
import type { AbstractMesh } from "@babylonjs/core/Meshes/abstractMesh.js";
import type { TransformNode } from "@babylonjs/core/Meshes/transformNode.js";
import { Observable } from "@babylonjs/core/Misc/observable.js";
import type { Observer } from "@babylonjs/core/Misc/observable.js";
import type { Scene } from "@babylonjs/core/scene.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import SimplePeer from "simple-peer/simplepeer.min.js";
import { EarshotClient } from "@earshot/client";
import type { EarshotClientOptions, PeerLike } from "@earshot/client";
import type { RosterEntry, ServerMessages, Stage } from "@earshot/protocol";
import { SpeakingDetector, rmsOf } from "./speaking.js";
import type { SpeakingOptions } from "./speaking.js";
import { VoiceBehavior } from "./VoiceBehavior.js";
import { ChatBubbles } from "./ChatBubbles.js";
import type { ChatBubbleOptions } from "./ChatBubbles.js";
import { EarshotXR } from "./xr/EarshotXR.js";
import { yawOf } from "./xr/locomotion.js";
import type { EarshotXROptions } from "./xr/EarshotXR.js";
import type { WebXRDefaultExperience } from "@babylonjs/core/XR/webXRDefaultExperience.js";

/** Who a remote voice belongs to, for {@link EarshotOptions.avatarFor}. */
export interface PeerInfo {
  /** The peer's session id. */
  peerId: string;
  /** Roster entry, when known. */
  user?: RosterEntry | ServerMessages["user_joined"]["user"];
}

/** Options of {@link createEarshot}; required: serverUrl, zoneId, user, avatarFor. */
export interface EarshotOptions {
  serverUrl: string;
  zoneId: string;
  user: { name: string; avatar?: string };
  /** Finds the avatar mesh of a peer; may return null until the avatar exists (checked every frame until then). */
  avatarFor: (peer: PeerInfo) => AbstractMesh | null | undefined;
  /** Whose position and heading are published; default the active camera. */
  localAvatar?: TransformNode | Camera;
  /** Open the microphone and send voice. Default true; false listens only. */
  microphone?: boolean;
  /** Microphone device id. Default the system's. */
  deviceId?: string;
  /** Hold this key (KeyboardEvent.code) to talk; the mic is muted otherwise. Default none. */
  pushToTalkKey?: string;
  /** Speaking detection. */
  speaking?: SpeakingOptions;
  /** Position publishing: minimum movement (m) and rotation (rad) worth sending. Default 0.05 / 0.05. */
  positionDeadband?: { metres?: number; radians?: number };
  /** Your own AudioContext (stream and analyser nodes need the engine's context). */
  audioContext?: AudioContext;
  /**
   * Moves your avatar where the server put you: its spawn after a join (unless the zone lets
   * clients spawn) and a `position_corrected` after a move faster than the server allows.
   * Default: sets `localAvatar.position` (or the active camera's). Set it when something else
   * owns the position, such as a physics character controller.
   */
  moveLocalAvatar?: (position: Vector3, reason: TeleportReason) => void;
  /** Extra EarshotClient options (token, iceServers, reconnect policy, getUserMedia, createPeer). */
  client?: Partial<Omit<EarshotClientOptions, "serverUrl" | "user">>;
}

/**
 * Why your avatar is moved for you: `spawn` after a join, `corrected` after a too-fast move,
 * `xr` when an immersive session ends where you walked to.
 */
export type TeleportReason = "spawn" | "corrected" | "xr";

/** One remote voice: a peer link's, or a stage voice (key `stage:<peerId>`). */
interface Voice {
  key: string;
  /** Whose avatar it plays from. */
  peerId: string;
  /** The stream as the client holds it now (a different one means this voice is stale). */
  streamOf: () => MediaStream | undefined;
  /** A stage voice: its stage's distance model, and loudspeakers when it has them. */
  stage?: Stage;
  sound: AbstractSoundSource;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  detector: SpeakingDetector;
  behavior?: VoiceBehavior;
  volume: number;
  localMuted: boolean;
}

const POSITION_INTERVAL_MS = 100;

/** The key of `peerId`'s stage voice in the voices map (beside their link's, keyed by peer id). */
const stageKey = (peerId: string) => `stage:${peerId}`;

/** World position of a camera or a node. */
const positionOf = (node: TransformNode | Camera): Vector3 =>
  "globalPosition" in node ? node.globalPosition : node.getAbsolutePosition();
const FORWARD = new Vector3(0, 0, 1);

/**
 * Earshot in a Babylon scene: joins a zone, plays each nearby person's voice as a spatial
 * sound on their avatar (heard from the active or XR camera), publishes your position,
 * detects speaking, and exposes chat, presence and zones through {@link client}.
 */
export class Earshot {
  readonly client: EarshotClient;
  /** Fires when a peer starts or stops speaking, measured on the audio you receive. */
  readonly onPeerSpeakingObservable = new Observable<{ peerId: string; speaking: boolean }>();
  /** Fires on `peer_voice_state` (what the peer's client reports: muted, speaking, level). */
  readonly onPeerVoiceStateObservable = new Observable<ServerMessages["peer_voice_state"]>();
  /** Fires when you start or stop speaking (local mic). */
  readonly onLocalSpeakingObservable = new Observable<boolean>();
  /**
   * Fires when the browser blocks audio until a user gesture; call {@link unlockAudio} from a
   * click. It also notifies observers added after it fired (it usually fires during setup).
   */
  readonly onAudioBlockedObservable = new Observable<void>(undefined, true);
  /** Fires when a remote voice starts playing. */
  readonly onVoiceAddedObservable = new Observable<string>();
  /** Fires when a remote voice is gone (link closed), after its sound is disposed. */
  readonly onVoiceRemovedObservable = new Observable<string>();
  /** Fires after the server moved your avatar (see {@link EarshotOptions.moveLocalAvatar}). */
  readonly onLocalAvatarMovedObservable = new Observable<{ position: Vector3; reason: TeleportReason }>();
  /**
   * Fires when who can hear you changes: the peer ids of your voice links (links are
   * symmetric). Also after an automatic re-join. `client.hearers` holds the current list.
   */
  readonly onHearersChangedObservable = new Observable<readonly string[]>();

  private readonly voices = new Map<string, Voice>();
  private readonly roster = new Map<string, RosterEntry | ServerMessages["user_joined"]["user"]>();
  private readonly observers: Observer<unknown>[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly buffer = new Float32Array(1024);
  private micAnalyser?: AnalyserNode;
  private readonly micDetector: SpeakingDetector;
  private lastSent = { x: NaN, y: NaN, z: NaN, rotY: NaN, at: 0 };
  /** The next frame publishes the pose whatever the dead-band (after a join, reconnect or teleport). */
  private publishNext = false;
  private disposed = false;
  /** Whose pose is published instead of `localAvatar` (the XR camera in a session). */
  private poseOverride?: TransformNode | Camera;
  private poseMoveTo?: (x: number, z: number) => void;
  private xrs: EarshotXR[] = [];
  private bubbles?: ChatBubbles;

  private constructor(
    readonly scene: Scene,
    readonly audioEngine: AudioEngineV2,
    readonly audioContext: AudioContext,
    private readonly options: EarshotOptions,
  ) {
    this.micDetector = new SpeakingDetector(options.speaking);
    this.client = new EarshotClient({
      serverUrl: options.serverUrl,
      user: options.user,
      createPeer: (o) => new SimplePeer(o as SimplePeer.Options) as unknown as PeerLike,
      ...options.client,
    });
  }

  /** Creates the audio engine, joins the zone and voice. See {@link createEarshot}. */
  static async create(scene: Scene, options: EarshotOptions): Promise<Earshot> {
    const ctx = options.audioContext ?? new AudioContext();
    const engine = await CreateAudioEngineAsync({
      audioContext: ctx,
      listenerAutoUpdate: false,
      listenerEnabled: true,
      disableDefaultUI: true,
    });
    const earshot = new Earshot(scene, engine, ctx, options);
    await earshot.start();
    return earshot;
  }

  /** True while the browser keeps audio suspended (see {@link onAudioBlockedObservable}). */
  get audioBlocked(): boolean {
    return this.audioContext.state !== "running";
  }

  /** Number of live remote voices, behaviors attached, and peer connections (a leak check). */
  stats(): { voices: number; attached: number; peerConnections: number; observers: number } {
    return {
      voices: this.voices.size,
      attached: [...this.voices.values()].filter((v) => v.behavior?.attachedNode).length,
      peerConnections: this.client.voice.peerIds.length,
      observers: this.observers.length,
    };
  }

  /** Level 0..1 of a remote voice as received (by link or from a stage), from its analyser. */
  levelOf(peerId: string): number {
    const v = this.voices.get(peerId) ?? this.voices.get(stageKey(peerId));
    return v ? rmsOf(v.analyser, this.buffer) : 0;
  }

  /** Per-peer volume (0..1, on top of distance), by link and from a stage. */
  setPeerVolume(peerId: string, volume: number): void {
    for (const v of this.voicesOf(peerId)) {
      v.volume = volume;
      v.sound.volume = v.localMuted ? 0 : volume;
    }
  }

  /** Mutes a peer for you only, by link and from a stage. */
  setPeerMuted(peerId: string, muted: boolean): void {
    for (const v of this.voicesOf(peerId)) {
      v.localMuted = muted;
      v.sound.volume = muted ? 0 : v.volume;
    }
  }

  /** Peers whose stage voice plays now (see {@link EarshotClientEvents}' `stageStream`). */
  get stageSpeakers(): string[] {
    return [...this.voices.values()].filter((v) => v.stage).map((v) => v.peerId);
  }

  mute(): void {
    this.client.mute();
  }

  unmute(): void {
    this.client.unmute();
  }

  /** Switches microphone (input device choice). */
  async useMicrophone(deviceId: string): Promise<void> {
    const stream = await this.client.openMicrophone(deviceId);
    if (stream) this.watchMic(stream);
  }

  /** Resumes audio; call from a click or key handler. */
  async unlockAudio(): Promise<void> {
    await this.audioEngine.unlockAsync();
    if (this.audioContext.state !== "running") await this.audioContext.resume();
  }

  /** Zone transition: links close, then the other zone and its voice. */
  async changeZone(zoneId: string): Promise<void> {
    await this.client.changeZone(zoneId);
  }

  /**
   * Earshot in immersive VR, from Babylon's default XR experience (made with
   * `scene.createDefaultXRExperienceAsync`): pose, locomotion, controller bindings, wrist chat
   * and keyboard. Disposed with this Earshot, or earlier with its own `dispose()`.
   */
  enableXR(xr: WebXRDefaultExperience, options?: EarshotXROptions): EarshotXR {
    const session = new EarshotXR(this, xr, options);
    this.xrs.push(session);
    return session;
  }

  /**
   * Speech bubbles: each chat message from someone else shows for a few seconds over their
   * avatar (found with `avatarFor`), on the desktop and in VR. Calling it again returns the same.
   */
  enableChatBubbles(options?: ChatBubbleOptions): ChatBubbles {
    if (this.bubbles) return this.bubbles;
    const bubbles = (this.bubbles = new ChatBubbles(this.scene, options));
    this.offs.push(
      this.client.on("chat", (m) => {
        for (const [peerId, user] of this.roster) {
          if (user.id !== m.from) continue;
          const mesh = this.options.avatarFor({ peerId, user });
          if (mesh && !mesh.isDisposed()) bubbles.show(mesh, m.content);
        }
      }),
    );
    return bubbles;
  }

  /** True while your own mic is detected speaking. */
  get localSpeaking(): boolean {
    return this.micDetector.speaking;
  }

  /**
   * Publishes the pose of `node` instead of `localAvatar` (undefined: back to it). The XR
   * support uses it for the XR camera; corrections from the server then move that node too.
   */
  usePoseOf(node: TransformNode | Camera | undefined, moveTo?: (x: number, z: number) => void): void {
    this.poseOverride = node;
    this.poseMoveTo = node && (moveTo ?? ((x, z) => node.position.set(x, node.position.y, z)));
    this.lastSent.at = 0; // publish the new source's pose at the next frame
  }

  /**
   * Publishes your pose at the next frame whatever the dead-band. Earshot calls it after every
   * join (zone change, re-join) and reconnect; call it after you teleport the
   * avatar yourself, so others see you where you are even when the jump was to a spot near the
   * last one published.
   */
  publishPositionNow(): void {
    this.publishNext = true;
    this.lastSent.at = 0;
  }

  /** The horizontal direction your avatar faces (the desktop node). */
  localAvatarForward(): Vector3 | undefined {
    return this.desktopNode?.getDirection(FORWARD);
  }

  /** Where your avatar stands (the desktop node, not an XR override). */
  localAvatarPosition(): Vector3 | undefined {
    const node = this.desktopNode;
    return node ? positionOf(node).clone() : undefined;
  }

  /**
   * Moves your avatar as the server does (see {@link EarshotOptions.moveLocalAvatar}); in XR
   * the headset's place moves with it, except for `xr` (the session handing back its place).
   */
  moveLocalAvatar(p: { x: number; y: number; z: number }, reason: TeleportReason): void {
    const position = new Vector3(p.x, p.y, p.z);
    if (reason !== "xr") this.poseMoveTo?.(p.x, p.z);
    if (this.options.moveLocalAvatar) this.options.moveLocalAvatar(position, reason);
    else this.desktopNode?.position.copyFrom(position);
    // The server put us here and knows this spot: nothing to publish until we move on from it
    // (publishing before the avatar has moved there would claim the old spot again).
    this.lastSent = { ...this.lastSent, x: p.x, y: p.y, z: p.z };
    this.onLocalAvatarMovedObservable.notifyObservers({ position, reason });
  }

  /** The node that stands for you outside XR: `localAvatar`, else the active camera. */
  private get desktopNode(): TransformNode | Camera | null {
    return this.options.localAvatar ?? this.scene.activeCamera;
  }

  /** Leaves, disposes every sound and observer, closes the audio engine; safe twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const x of this.xrs.splice(0)) x.dispose();
    this.bubbles?.dispose();
    this.bubbles = undefined;
    for (const off of this.offs.splice(0)) off();
    for (const o of this.observers.splice(0)) o.remove();
    for (const peerId of [...this.voices.keys()]) this.removeVoice(peerId);
    await this.client.close();
    this.audioEngine.dispose();
    for (const obs of [
      this.onPeerSpeakingObservable,
      this.onPeerVoiceStateObservable,
      this.onLocalSpeakingObservable,
      this.onAudioBlockedObservable,
      this.onVoiceAddedObservable,
      this.onVoiceRemovedObservable,
      this.onLocalAvatarMovedObservable,
      this.onHearersChangedObservable,
    ]) {
      obs.clear();
    }
  }

  // ---- internals ------------------------------------------------------------------------

  private async start(): Promise<void> {
    const c = this.client;
    this.offs.push(
      c.on("joined", (info) => {
        this.roster.clear();
        for (const u of info.users) this.roster.set(u.sessionId, u);
        // A new seat starts where the server put it: tell it where we are.
        this.publishPositionNow();
      }),
      c.on("connectionState", (state) => state === "connected" && this.publishPositionNow()),
      c.on("userJoined", ({ user }) => this.roster.set(user.sessionId, user)),
      c.on("userLeft", ({ sessionId }) => this.roster.delete(sessionId)),
      c.on("peerStream", (peerId, stream) => void this.addVoice(peerId, peerId, stream)),
      c.on("peerClosed", (peerId) => this.removeVoice(peerId)),
      c.on("stageStream", (peerId, stream, stageId) => {
        const stage = c.stages.find((s) => s.id === stageId);
        if (stage) void this.addVoice(stageKey(peerId), peerId, stream, stage);
      }),
      c.on("stageClosed", (peerId) => this.removeVoice(stageKey(peerId))),
      c.on("peerVoiceState", (s) => this.onPeerVoiceStateObservable.notifyObservers(s)),
      c.on("hearersChanged", (ids) => this.onHearersChangedObservable.notifyObservers(ids)),
      c.on("spawned", (p) => this.moveLocalAvatar(p, "spawn")),
      c.on("positionCorrected", (p) => this.moveLocalAvatar(p, "corrected")),
    );
    const joined = await c.join(this.options.zoneId);
    for (const u of joined.users) this.roster.set(u.sessionId, u);
    let mic: MediaStream | undefined;
    if (this.options.microphone !== false) mic = await c.openMicrophone(this.options.deviceId);
    if (mic) this.watchMic(mic);
    c.joinVoice(mic);
    if (this.options.pushToTalkKey) this.setupPushToTalk(this.options.pushToTalkKey);

    // The listener follows the active camera, also when WebXR makes its camera active.
    const listen = (camera: Camera | null) => camera && this.audioEngine.listener.attach(camera);
    listen(this.scene.activeCamera);
    this.observers.push(
      this.scene.onActiveCameraChanged.add(() => listen(this.scene.activeCamera)) as Observer<unknown>,
    );
    // Positions update from the render loop, not requestAnimationFrame: headsets pause that in immersive VR.
    this.observers.push(this.scene.onBeforeRenderObservable.add(() => this.frame()) as Observer<unknown>);

    if (this.audioContext.state !== "running") {
      this.onAudioBlockedObservable.notifyObservers();
      const onState = () => {
        if (this.audioContext.state !== "running" && !this.disposed) this.onAudioBlockedObservable.notifyObservers();
      };
      this.audioContext.addEventListener("statechange", onState);
      this.offs.push(() => this.audioContext.removeEventListener("statechange", onState));
    }
  }

  private frame(): void {
    this.audioEngine.listener.update();
    const now = performance.now();
    for (const v of this.voices.values()) {
      if (v.stage?.soundFrom) this.placeAtLoudspeaker(v, v.stage.soundFrom);
      else if (!v.behavior) this.tryAttach(v);
      else v.sound.spatial.update();
      if (v.detector.update(rmsOf(v.analyser, this.buffer), now)) {
        this.onPeerSpeakingObservable.notifyObservers({ peerId: v.peerId, speaking: v.detector.speaking });
      }
    }
    if (this.micAnalyser) {
      const level = this.client.muted ? 0 : rmsOf(this.micAnalyser, this.buffer);
      if (this.micDetector.update(level, now)) {
        this.client.setSpeaking(this.micDetector.speaking, level);
        this.onLocalSpeakingObservable.notifyObservers(this.micDetector.speaking);
      }
    }
    if (now - this.lastSent.at >= POSITION_INTERVAL_MS) this.publishPosition(now);
  }

  private publishPosition(now: number): void {
    const node = this.poseOverride ?? this.desktopNode;
    if (!node) return;
    const p = positionOf(node);
    const rotY = yawOf(node.getDirection(FORWARD));
    const dm = this.options.positionDeadband?.metres ?? 0.05;
    const dr = this.options.positionDeadband?.radians ?? 0.05;
    const last = this.lastSent;
    const moved = !(Math.abs(p.x - last.x) < dm && Math.abs(p.y - last.y) < dm && Math.abs(p.z - last.z) < dm);
    if (!moved && Math.abs(rotY - last.rotY) < dr && !this.publishNext) return;
    this.publishNext = false;
    this.lastSent = { x: p.x, y: p.y, z: p.z, rotY, at: now };
    this.client.sendPosition(p.x, p.y, p.z, rotY);
  }

  private async addVoice(key: string, peerId: string, stream: MediaStream, stage?: Stage): Promise<void> {
    this.removeVoice(key);
    const ctx = this.audioContext;
    const source = ctx.createMediaStreamSource(stream);
    const limits = this.client.limits;
    const streamOf = () => (stage ? this.client.stage.streamOf(peerId) : this.client.voice.streamOf(peerId));
    // Conversation fades linearly to silence at the hearing radius; a stage, flatter (inverse), to the back row.
    const distance = stage
      ? {
          spatialDistanceModel: "inverse",
          spatialMinDistance: stage.audio.refDistance,
          spatialMaxDistance: stage.audio.maxDistance,
          spatialRolloffFactor: stage.audio.rolloffFactor,
        }
      : {
          spatialDistanceModel: "linear",
          spatialMinDistance: limits?.refDistance ?? 2,
          spatialMaxDistance: limits?.hearRadius ?? 20,
          spatialRolloffFactor: 1,
        };
    // Babylon (9.19+) also plays the stream through a muted <audio> element when handed a
    // MediaStreamAudioSourceNode: without one, Chromium renders a remote WebRTC stream routed
    // into Web Audio as silence (crbug 933677). The analyser is a side branch, not in front.
    const sound = await CreateSoundSourceAsync(
      `earshot-voice-${key}`,
      source,
      {
        spatialEnabled: true,
        ...distance,
        spatialPanningModel: "HRTF",
        spatialAutoUpdate: false,
        mediaStreamSinkEnabled: true,
      } as never,
      this.audioEngine,
    );
    if (this.disposed || streamOf() !== stream) {
      sound.dispose();
      source.disconnect();
      return;
    }
    // Branch the level analyser off after Babylon has wired the source into its graph.
    const analyser = this.tapLevel(source);
    const voice: Voice = {
      key,
      peerId,
      streamOf,
      stage,
      sound,
      source,
      analyser,
      detector: new SpeakingDetector(this.options.speaking),
      volume: 1,
      localMuted: false,
    };
    this.voices.set(key, voice);
    if (!stage?.soundFrom) this.tryAttach(voice);
    this.onVoiceAddedObservable.notifyObservers(peerId);
  }

  private tryAttach(v: Voice): void {
    const mesh = this.options.avatarFor({ peerId: v.peerId, user: this.roster.get(v.peerId) });
    if (!mesh || mesh.isDisposed()) return;
    v.behavior = new VoiceBehavior(v.peerId, v.sound, () => {
      // The mesh went away: the voice waits for a new avatar with a fresh sound.
      if (this.voices.get(v.key) === v && !this.disposed) {
        this.voices.delete(v.key);
        const stream = v.streamOf();
        v.source.disconnect();
        if (stream) void this.addVoice(v.key, v.peerId, stream, v.stage);
      }
    });
    mesh.addBehavior(v.behavior);
  }

  private removeVoice(key: string): void {
    const v = this.voices.get(key);
    if (!v) return;
    this.voices.delete(key);
    if (v.behavior?.attachedNode) v.behavior.detach();
    else v.sound.dispose();
    v.source.disconnect();
    this.onVoiceRemovedObservable.notifyObservers(v.peerId);
  }

  /** A peer's voices: by link, and from a stage. */
  private voicesOf(peerId: string): Voice[] {
    return [this.voices.get(peerId), this.voices.get(stageKey(peerId))].filter((v): v is Voice => v !== undefined);
  }

  /** A stage voice played from the stage's loudspeakers: the one nearest the listener. */
  private placeAtLoudspeaker(v: Voice, points: readonly { x: number; y: number; z: number }[]): void {
    const ear = this.audioEngine.listener.position;
    let best = points[0]!;
    for (const p of points)
      if ((p.x - ear.x) ** 2 + (p.z - ear.z) ** 2 < (best.x - ear.x) ** 2 + (best.z - ear.z) ** 2) best = p;
    v.sound.spatial.position.set(best.x, best.y, best.z);
    v.sound.spatial.update();
  }

  private watchMic(stream: MediaStream): void {
    this.micAnalyser?.disconnect();
    const source = this.audioContext.createMediaStreamSource(stream);
    this.micAnalyser = this.tapLevel(source);
  }

  /**
   * An analyser on a side branch of `source`. Chromium only processes nodes that lead to the
   * destination, so the branch ends in a silent gain there.
   */
  private tapLevel(source: AudioNode): AnalyserNode {
    const analyser = this.audioContext.createAnalyser();
    analyser.fftSize = 1024;
    const silent = this.audioContext.createGain();
    silent.gain.value = 0;
    source.connect(analyser).connect(silent).connect(this.audioContext.destination);
    return analyser;
  }

  private setupPushToTalk(code: string): void {
    this.client.mute();
    const down = (e: KeyboardEvent) => e.code === code && !e.repeat && this.client.unmute();
    const up = (e: KeyboardEvent) => e.code === code && this.client.mute();
    globalThis.addEventListener("keydown", down);
    globalThis.addEventListener("keyup", up);
    this.offs.push(() => {
      globalThis.removeEventListener("keydown", down);
      globalThis.removeEventListener("keyup", up);
    });
  }
}

/**
 * One-call setup: `const earshot = await createEarshot(scene, { serverUrl, zoneId, user,
 * avatarFor, localAvatar })`. Dispose with `earshot.dispose()`.
 */
export function createEarshot(scene: Scene, options: EarshotOptions): Promise<Earshot> {
  return Earshot.create(scene, options);
}
