// Test page for the Babylon plugin: one scene, boxes as avatars, measurements on window.harness.
import { Engine } from "@babylonjs/core/Engines/engine.js";
import { Scene } from "@babylonjs/core/scene.js";
import { FreeCamera } from "@babylonjs/core/Cameras/freeCamera.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { CreateBox } from "@babylonjs/core/Meshes/Builders/boxBuilder.js";
import { HemisphericLight } from "@babylonjs/core/Lights/hemisphericLight.js";
import { createEarshot } from "@earshot/babylon";

const params = new URLSearchParams(location.search);
const canvas = document.getElementById("c") as HTMLCanvasElement;
const engine = new Engine(canvas, false);
const scene = new Scene(engine);
new HemisphericLight("light", new Vector3(0, 1, 0), scene);
const camera = new FreeCamera(
  "camera",
  new Vector3(Number(params.get("x") ?? 0), 0, Number(params.get("z") ?? 0)),
  scene,
);
camera.setTarget(camera.position.add(new Vector3(0, 0, 1)));

// Tap everything Babylon plays: a stereo splitter in front of the real destination.
const ctx = new AudioContext();
const real = ctx.destination;
const tap = ctx.createGain();
tap.channelCount = 2;
tap.channelCountMode = "explicit";
tap.connect(real);
const splitter = ctx.createChannelSplitter(2);
tap.connect(splitter);
const left = ctx.createAnalyser();
const right = ctx.createAnalyser();
splitter.connect(left, 0);
splitter.connect(right, 1);
Object.defineProperty(tap, "maxChannelCount", { value: real.maxChannelCount });
Object.defineProperty(ctx, "destination", { get: () => tap });
const buf = new Float32Array(2048);
const rms = (a: AnalyserNode) => {
  a.getFloatTimeDomainData(buf);
  let s = 0;
  for (const v of buf) s += v * v;
  return Math.sqrt(s / buf.length);
};

const events: { type: string; peerId?: string; reason?: string }[] = [];
let audioBlocked = 0;
const speaking = new Set<string>();
const earshot = await createEarshot(scene, {
  serverUrl: location.origin,
  zoneId: params.get("zone") ?? "e2e",
  user: { name: params.get("name") ?? "page" },
  avatarFor: ({ peerId }) => scene.getMeshByName(`avatar-${peerId}`),
  localAvatar: camera,
  microphone: params.get("mic") !== "0",
  pushToTalkKey: params.get("ptt") ?? undefined,
  audioContext: ctx,
  client: {
    iceServers: [],
    // A steady test tone is what noise suppression removes: keep the spec's constraints but
    // switch the speech processing off, so the measured level is the tone's.
    getUserMedia: (c) =>
      navigator.mediaDevices.getUserMedia({
        audio: {
          ...(c.audio as MediaTrackConstraints),
          noiseSuppression: false,
          autoGainControl: false,
          echoCancellation: false,
        },
      }),
  },
});
earshot.onAudioBlockedObservable.add(() => audioBlocked++);
earshot.client.on("peerClosed", (peerId, reason) => events.push({ type: "peer_closed", peerId, reason }));
earshot.onPeerSpeakingObservable.add(({ peerId, speaking: on }) =>
  on ? speaking.add(peerId) : speaking.delete(peerId),
);
earshot.onVoiceAddedObservable.add((peerId) => events.push({ type: "voice_added", peerId }));
earshot.onVoiceRemovedObservable.add((peerId) => events.push({ type: "voice_removed", peerId }));

// Avatars: a box per visible user, placed from the replicated state.
scene.onBeforeRenderObservable.add(() => {
  earshot.client.room?.state.users.forEach((u: { x?: number; y?: number; z?: number }, sid: string) => {
    if (sid === earshot.client.sessionId || u.x === undefined) return;
    const mesh = scene.getMeshByName(`avatar-${sid}`) ?? CreateBox(`avatar-${sid}`, { size: 0.5 }, scene);
    mesh.position.set(u.x, u.y ?? 0, u.z ?? 0);
  });
});
engine.runRenderLoop(() => scene.render());
if (params.get("unlock") !== "0") await earshot.unlockAudio().catch(() => undefined);
document.getElementById("c")!.addEventListener("click", () => void earshot.unlockAudio());

let second: FreeCamera | undefined;
Object.assign(window, {
  harness: {
    sessionId: () => earshot.client.sessionId,
    audio: () => ({ blocked: audioBlocked, state: ctx.state }),
    muted: () => earshot.client.muted,
    setPosition: (x: number, z: number) => camera.position.set(x, 0, z),
    /** Walks the camera to (x, z) at `speedMS` (the server clamps anything faster), 20 steps a second. */
    walkTo: (x: number, z: number, speedMS = 8) => walk(camera.position, x, z, speedMS),
    peers: () => earshot.client.voice.peerIds,
    level: (peerId: string) => earshot.levelOf(peerId),
    stageSpeakers: () => earshot.stageSpeakers,
    stageStates: () => [...earshot.client.stage.states.values()],
    /** Where this page stands as the server last had it. */
    position: () => ({ x: camera.position.x, z: camera.position.z }),
    channels: () => ({ left: rms(left), right: rms(right) }),
    mute: () => earshot.mute(),
    setPeerMuted: (peerId: string, muted: boolean) => earshot.setPeerMuted(peerId, muted),
    speakingOf: (peerId: string) => speaking.has(peerId),
    unmute: () => earshot.unmute(),
    events: () => events,
    stats: () => earshot.stats(),
    /** Makes a second camera at the same spot, facing the other way, the active one. */
    turnAround: () => {
      second ??= new FreeCamera("camera2", camera.position.clone(), scene);
      second.setTarget(second.position.add(new Vector3(0, 0, -1)));
      scene.activeCamera = second;
    },
    bytesSent: async () => {
      let total = 0;
      for (const id of earshot.client.voice.peerIds) {
        const stats = await earshot.client.voice.connectionOf(id)?.getStats();
        stats?.forEach(
          (r: { type: string; bytesSent?: number }) => r.type === "outbound-rtp" && (total += r.bytesSent ?? 0),
        );
      }
      return total;
    },
    openConnections: () =>
      earshot.client.voice.peerIds.filter((id) => earshot.client.voice.connectionOf(id)?.connectionState !== "closed")
        .length,
    dispose: async () => {
      await earshot.dispose();
      return {
        stats: earshot.stats(),
        sounds: scene.meshes.flatMap((m) => m.behaviors).filter((b) => b.name === "EarshotVoice").length,
      };
    },
  },
});
document.body.dataset.ready = "true";

/** Moves `p` to (x, z) at `speedMS` along a straight line; resolves on arrival. */
function walk(p: Vector3, x: number, z: number, speedMS: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const dx = x - p.x;
      const dz = z - p.z;
      const d = Math.hypot(dx, dz);
      const step = speedMS * 0.05;
      if (d <= step) {
        p.x = x;
        p.z = z;
        clearInterval(timer);
        return resolve();
      }
      p.x += (dx / d) * step;
      p.z += (dz / d) * step;
    }, 50);
  });
}
