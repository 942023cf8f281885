import type { WebXRDefaultExperience } from "@babylonjs/core/XR/webXRDefaultExperience.js";
import type { WebXRInputSource } from "@babylonjs/core/XR/webXRInputSource.js";
import type { WebXRCamera } from "@babylonjs/core/XR/webXRCamera.js";
import { WebXRState } from "@babylonjs/core/XR/webXRTypes.js";
import { RegisterWebXROculusTouchMotionController } from "@babylonjs/core/XR/motionController/webXROculusTouchMotionController.pure.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { CreateBox } from "@babylonjs/core/Meshes/Builders/boxBuilder.js";
import { TransformNode } from "@babylonjs/core/Meshes/transformNode.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import { Observable } from "@babylonjs/core/Misc/observable.js";
import { moderationNotice } from "@earshot/client";
import type { Earshot } from "../Earshot.js";
import { ChatKeyboard } from "./ChatKeyboard.js";
import { SnapTurn, stickStep, yawOf } from "./locomotion.js";
import type { SnapTurnOptions } from "./locomotion.js";
import { WristPanel } from "./WristPanel.js";
import type { MicState } from "./WristPanel.js";
import type { PeopleRow, PersonAction } from "./PeopleList.js";

/** A controller button: which hand, and the WebXR input profile's component id. */
export interface XRButtonBinding {
  hand: "left" | "right";
  /** e.g. `"x-button"`, `"y-button"`, `"a-button"`, `"xr-standard-squeeze"`, `"xr-standard-trigger"`. */
  component: string;
}

/** Options of {@link Earshot.enableXR}; every field optional. */
export interface EarshotXROptions {
  /** Left-stick smooth movement in the direction you look; `false` turns it off. Default 2 m/s. */
  move?: false | { speedMS?: number; hand?: "left" | "right" };
  /** Right-stick snap turn; `false` turns it off. Default 45°. */
  snapTurn?: false | (SnapTurnOptions & { hand?: "left" | "right" });
  /**
   * Walls: given the head position and the step the stick wants (metres, horizontal), returns
   * the step allowed. Default: none (you walk through everything). The demo passes its Havok
   * character controller here, so walls stop you in VR as they do on the desktop.
   */
  collide?: (head: Vector3, step: Vector3, dtS: number) => Vector3;
  /** Toggles mic mute. Default left X. `null` unbinds. */
  muteButton?: XRButtonBinding | null;
  /** Hold to talk when {@link pushToTalk} is on. Default left squeeze (grip). */
  pushToTalkButton?: XRButtonBinding | null;
  /** Push-to-talk: the mic is muted except while the button is held. Default false. */
  pushToTalk?: boolean;
  /** Opens and closes the keyboard. Default left Y. */
  keyboardButton?: XRButtonBinding | null;
  /** A short haptic pulse on mute/unmute, where the controller has one. Default true. */
  haptics?: boolean;
  /** The chat panel on the left wrist: messages kept (default 50), width in metres (default 0.26). `false`: none. */
  wristPanel?: false | { maxMessages?: number; widthM?: number };
  /** One-press replies on the keyboard. Default 👋, yes, no, one moment. */
  quickReplies?: string[];
  /** Simple built-in controller meshes (no model is fetched). Default true. */
  controllerMeshes?: boolean;
  /** Label shown in the wrist panel's header for a zone id. Default the id. */
  zoneLabel?: (zoneId: string) => string;
}

/** Default quick replies of the VR keyboard. */
export const DEFAULT_QUICK_REPLIES: readonly string[] = ["👋", "yes", "no", "one moment"];

const FORWARD = new Vector3(0, 0, 1);

const DEFAULTS = {
  speedMS: 2,
  mute: { hand: "left", component: "x-button" } as XRButtonBinding,
  pushToTalk: { hand: "left", component: "xr-standard-squeeze" } as XRButtonBinding,
  keyboard: { hand: "left", component: "y-button" } as XRButtonBinding,
};

/**
 * Earshot inside an immersive WebXR session (made by {@link Earshot.enableXR}): you are where
 * your head is (published pose, listener on the XR camera, the session starts at your avatar
 * and hands your place back to the desktop camera when it ends), stick locomotion, mic
 * controls on the controllers, chat on the wrist and a virtual keyboard.
 */
export class EarshotXR {
  /** Fires when an immersive session has started and the XR camera stands at your avatar. */
  readonly onEnterObservable = new Observable<WebXRCamera>();
  /** Fires when the session ends, after the desktop camera got your place back. */
  readonly onExitObservable = new Observable<Vector3>();
  /** Fires when a controller binding toggles the mic (true = muted). */
  readonly onMuteToggledObservable = new Observable<boolean>();
  /** The wrist chat panel, once a left controller appeared (undefined with `wristPanel: false`). */
  panel?: WristPanel;
  /** The keyboard (created on first open). */
  keyboard?: ChatKeyboard;

  private readonly options: EarshotXROptions;
  /**
   * The XR camera's parent: where your play space stands in the world. Locomotion, snap turns,
   * the start at your avatar and the server's corrections move it; the headset moves the camera
   * inside it (room-scale). Babylon parents the controllers to it too.
   */
  readonly rig: TransformNode;
  private readonly observers: { remove(): void }[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly controllerMeshes: Mesh[] = [];
  private readonly snapTurn?: SnapTurn;
  private left?: WebXRInputSource;
  private right?: WebXRInputSource;
  private inXR = false;
  private pttHeld = false;
  /** Where the session must start (the avatar), until the XR camera is there. */
  private start?: Vector3;
  private startFrames = 0;
  /** Scratch for the per-frame heading (no allocation per frame). */
  private readonly forward = new Vector3();
  private disposed = false;
  private notices = 0;

  constructor(
    readonly earshot: Earshot,
    readonly xr: WebXRDefaultExperience,
    options: EarshotXROptions = {},
  ) {
    this.options = { ...options };
    // Controller buttons and sticks by name, without fetching profiles from Babylon's CDN:
    // the Touch layout (Quest and its WebXR profiles fall back to it) is built in.
    RegisterWebXROculusTouchMotionController();
    this.rig = new TransformNode("earshot-xr-rig", earshot.scene);
    if (options.snapTurn !== false) this.snapTurn = new SnapTurn(options.snapTurn || {});
    const base = xr.baseExperience;
    const scene = earshot.scene;
    this.observers.push(
      base.onInitialXRPoseSetObservable.add((camera) => this.enter(camera)),
      base.onStateChangedObservable.add((state) => {
        if (state === WebXRState.EXITING_XR) this.exit();
      }),
      xr.input.onControllerAddedObservable.add((source) => this.addController(source)),
      xr.input.onControllerRemovedObservable.add((source) => this.removeController(source)),
      scene.onBeforeRenderObservable.add(() => this.frame()),
    );
    for (const source of xr.input.controllers) this.addController(source);
    const c = earshot.client;
    this.offs.push(
      c.on("chat", (m) => this.panel?.upsert({ key: m.messageId, name: m.name, content: m.content })),
      c.on("chatStatus", (s) => {
        if (!this.panel) return;
        const name = c.name;
        if (s.status === "pending") {
          return this.panel.upsert({ key: s.clientMessageId, name, content: s.content, status: "pending" });
        }
        const key = s.status === "delivered" ? s.messageId : s.clientMessageId;
        this.panel.upsert(
          {
            key,
            name,
            content: s.content,
            status: s.status,
            error: s.status === "failed" ? s.error.message : undefined,
          },
          s.clientMessageId,
        );
      }),
      c.on("joined", (info) => {
        this.panel?.clear();
        this.panel?.setZone(this.zoneLabel(info.zoneId));
        this.refillPanel();
      }),
      c.on("personJoined", () => this.renderPeople()),
      c.on("personChanged", () => this.renderPeople()),
      c.on("personLeft", () => this.renderPeople()),
      c.on("moderated", (m) => {
        this.notice(moderationNotice(m));
        this.renderMic();
      }),
    );
    this.observers.push(earshot.onLocalSpeakingObservable.add(() => this.renderMic()));
  }

  /** True while an immersive session runs. */
  get active(): boolean {
    return this.inXR;
  }

  /** Turns push-to-talk on (the mic is muted until the button is held) or off (mic on). */
  setPushToTalk(on: boolean): void {
    this.options.pushToTalk = on;
    this.pttHeld = false;
    if (on) this.earshot.mute();
    else this.earshot.unmute();
    this.renderMic();
  }

  /** Mutes or unmutes the mic as the X button does (with a haptic pulse). */
  toggleMute(): void {
    const muted = !this.earshot.client.muted;
    if (muted) this.earshot.mute();
    else this.earshot.unmute();
    this.renderMic();
    if (this.options.haptics !== false) void this.left?.motionController?.pulse(0.6, 80);
    this.onMuteToggledObservable.notifyObservers(muted);
  }

  /** Opens or closes the keyboard, placed 0.6 m in front of your head. */
  toggleKeyboard(open = !this.keyboard?.visible): void {
    const camera = this.xr.baseExperience.camera;
    if (!this.keyboard)
      this.keyboard = new ChatKeyboard(
        this.earshot.scene,
        this.options.quickReplies ?? DEFAULT_QUICK_REPLIES,
        (text) => this.earshot.client.sendChat(text),
        this.earshot.client.limits?.maxChatChars ?? 500,
      );
    const k = this.keyboard;
    if (open) {
      const yaw = yawOf(camera.getDirection(Vector3.Forward()));
      const ahead = new Vector3(Math.sin(yaw), 0, Math.cos(yaw)).scaleInPlace(0.6);
      k.mesh.position.copyFrom(camera.globalPosition).addInPlace(ahead);
      k.mesh.position.y -= 0.25;
      // A plane shows its front to -z: face the head.
      k.mesh.rotation.set(0.5, yaw, 0);
    }
    k.visible = open;
  }

  /** Removes every observer, GUI texture and mesh this created; safe twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.inXR) this.earshot.usePoseOf(undefined);
    for (const o of this.observers.splice(0)) o.remove();
    for (const off of this.offs.splice(0)) off();
    for (const m of this.controllerMeshes.splice(0)) m.dispose();
    if (this.xr.baseExperience.camera.parent === this.rig) this.xr.baseExperience.camera.parent = null;
    this.rig.dispose();
    this.panel?.dispose();
    this.panel = undefined;
    this.keyboard?.dispose();
    this.keyboard = undefined;
    this.onEnterObservable.clear();
    this.onExitObservable.clear();
    this.onMuteToggledObservable.clear();
  }

  // ---- internals ------------------------------------------------------------------------

  private zoneLabel(zoneId: string): string {
    return this.options.zoneLabel?.(zoneId) ?? zoneId;
  }

  private enter(camera: WebXRCamera): void {
    // Babylon copies the desktop camera into the XR camera through an offset reference space;
    // the rig does that instead (it also works where a runtime ignores offset spaces).
    const avatar = this.earshot.localAvatarPosition();
    const forward = this.earshot.localAvatarForward();
    camera.position.setAll(0);
    camera.rotationQuaternion.set(0, 0, 0, 1);
    camera.parent = this.rig;
    this.rig.position.setAll(0);
    this.rig.rotation.set(0, forward ? yawOf(forward) : 0, 0);
    this.start = avatar;
    this.startFrames = 0;
    this.inXR = true;
    if (this.options.pushToTalk) this.earshot.mute();
    this.renderMic();
    if (!this.start) this.started(camera);
  }

  private started(camera: WebXRCamera): void {
    this.earshot.usePoseOf(camera, (x, z) => this.placeHead(x, z));
    this.onEnterObservable.notifyObservers(camera);
  }

  /** Moves the rig so that the head stands at (x, z). */
  private placeHead(x: number, z: number): void {
    const head = this.xr.baseExperience.camera.globalPosition;
    this.rig.position.x += x - head.x;
    this.rig.position.z += z - head.z;
    this.rig.computeWorldMatrix(true);
    this.xr.baseExperience.camera.computeWorldMatrix();
  }

  private exit(): void {
    if (!this.inXR) return;
    this.inXR = false;
    const camera = this.xr.baseExperience.camera;
    const reached = camera.globalPosition.clone();
    this.earshot.usePoseOf(undefined);
    camera.parent = null;
    // The desktop camera (or whatever moves the avatar) continues from where you got to.
    this.earshot.moveLocalAvatar(reached, "xr");
    if (this.keyboard) this.keyboard.visible = false;
    this.onExitObservable.notifyObservers(reached);
  }

  private frame(): void {
    if (!this.inXR) return;
    const camera = this.xr.baseExperience.camera;
    if (this.start) {
      // The first frames carry the headset's pose: then the rig puts the head at the avatar.
      if (++this.startFrames < 2) return;
      this.placeHead(this.start.x, this.start.z);
      this.start = undefined;
      this.started(camera);
      return;
    }
    const dt = Math.min(0.1, this.earshot.scene.getEngine().getDeltaTime() / 1000);
    const move = this.options.move;
    if (move !== false) {
      const stick = this.stick(move?.hand ?? "left");
      if (stick && dt > 0) {
        camera.getDirectionToRef(FORWARD, this.forward);
        const yaw = yawOf(this.forward);
        const s = stickStep(stick.x, stick.y, yaw, move?.speedMS ?? DEFAULTS.speedMS, dt);
        if (s.x !== 0 || s.z !== 0) {
          let step = new Vector3(s.x, 0, s.z);
          if (this.options.collide) step = this.options.collide(camera.globalPosition.clone(), step, dt);
          this.rig.position.addInPlace(step);
        }
      }
    }
    if (this.snapTurn) {
      const snap = this.options.snapTurn || {};
      const stick = this.stick(snap.hand ?? "right");
      const turn = stick ? this.snapTurn.update(stick.x) : 0;
      if (turn !== 0) {
        // Turn the play space about the head, so the head stays where it is.
        const before = camera.globalPosition.clone();
        this.rig.rotation.y += turn;
        this.rig.computeWorldMatrix(true);
        camera.computeWorldMatrix();
        this.placeHead(before.x, before.z);
      }
    }
    if (this.options.pushToTalk) {
      const held = this.pressed(this.binding("pushToTalk"));
      if (held !== this.pttHeld) {
        this.pttHeld = held;
        if (held) this.earshot.unmute();
        else this.earshot.mute();
        this.renderMic();
      }
    }
  }

  private binding(which: "mute" | "pushToTalk" | "keyboard"): XRButtonBinding | null {
    const o = this.options;
    const given = which === "mute" ? o.muteButton : which === "pushToTalk" ? o.pushToTalkButton : o.keyboardButton;
    return given === undefined ? DEFAULTS[which] : given;
  }

  private sourceOf(hand: "left" | "right"): WebXRInputSource | undefined {
    return hand === "left" ? this.left : this.right;
  }

  private stick(hand: "left" | "right"): { x: number; y: number } | undefined {
    return this.sourceOf(hand)?.motionController?.getComponentOfType("thumbstick")?.axes;
  }

  private pressed(b: XRButtonBinding | null): boolean {
    return !!b && !!this.sourceOf(b.hand)?.motionController?.getComponent(b.component)?.pressed;
  }

  private addController(source: WebXRInputSource): void {
    const hand = source.inputSource.handedness;
    if (hand !== "left" && hand !== "right") return;
    if (hand === "left") this.left = source;
    else this.right = source;
    source.onMotionControllerInitObservable.addOnce((mc) => {
      for (const which of ["mute", "keyboard"] as const) {
        const b = this.binding(which);
        if (!b || b.hand !== hand) continue;
        mc.getComponent(b.component)?.onButtonStateChangedObservable.add((component) => {
          if (!component.changes.pressed?.current) return;
          if (which === "mute" && !this.options.pushToTalk) this.toggleMute();
          if (which === "keyboard") this.toggleKeyboard();
        });
      }
    });
    const grip = source.grip ?? source.pointer;
    if (this.options.controllerMeshes !== false) {
      const mesh = CreateBox(
        `earshot-controller-${hand}`,
        { width: 0.04, height: 0.03, depth: 0.12 },
        this.earshot.scene,
      );
      mesh.parent = grip;
      mesh.isPickable = false;
      this.controllerMeshes.push(mesh);
    }
    if (hand === "left" && this.options.wristPanel !== false && !this.panel) {
      const o = this.options.wristPanel || {};
      this.panel = new WristPanel(this.earshot.scene, o.maxMessages ?? 50, o.widthM);
      // Above the back of the left wrist, tilted towards the eyes.
      this.panel.mesh.parent = grip;
      this.panel.mesh.position.set(0, 0.08, -0.06);
      this.panel.mesh.rotation.set(Math.PI / 3, 0, 0);
      this.panel.setZone(this.zoneLabel(this.earshot.client.zoneId ?? ""));
      this.refillPanel();
      this.renderMic();
      this.panel.people.onActionObservable.add(({ action, userId }) => void this.act(action, userId));
      this.renderPeople();
    }
  }

  private removeController(source: WebXRInputSource): void {
    if (source === this.left) this.left = undefined;
    if (source === this.right) this.right = undefined;
  }

  /** The panel shows the zone's recent messages: history on (re)join, then live. */
  private refillPanel(): void {
    if (!this.panel) return;
    const c = this.earshot.client;
    for (const m of c.messages.slice(-this.panel.maxLines))
      this.panel.upsert({
        key: m.messageId,
        name: m.name,
        content: m.content,
        ...(m.from === c.userId && { status: "delivered" as const }),
      });
  }

  /** A line from Earshot itself on the wrist panel (an action's outcome, a moderator's notice). */
  private notice(text: string): void {
    this.panel?.upsert({ key: `notice-${++this.notices}`, name: "Earshot", content: text });
  }

  /** The people page: everyone here but you, with what you block and whether you moderate. */
  private renderPeople(): void {
    if (!this.panel) return;
    const c = this.earshot.client;
    const rows: PeopleRow[] = [];
    c.people.forEach((p) => {
      if (p.sessionId !== c.sessionId)
        rows.push({ userId: p.id, name: p.name, moderator: p.moderator, blocked: c.blocked.has(p.id) });
    });
    const me = c.sessionId ? c.people.get(c.sessionId) : undefined;
    this.panel.people.set(rows, me?.moderator ?? false);
  }

  /** A button on a person: block, unblock, report, or a moderator's timed mute or kick. */
  private async act(action: PersonAction, userId: string): Promise<void> {
    const c = this.earshot.client;
    let name = userId;
    c.people.forEach((p) => p.id === userId && (name = p.name));
    try {
      if (action === "block" || action === "unblock") {
        await (action === "block" ? c.block(userId) : c.unblock(userId));
        this.renderPeople();
        this.notice(`${action === "block" ? "Blocked" : "Unblocked"} ${name}.`);
      } else if (action === "report") {
        await c.report(userId, "reported in VR");
        this.notice(`Reported ${name}. Thank you.`);
      } else {
        await c.moderate(action, userId, { durationS: action === "mute" ? 300 : 60 });
        this.notice(`${action === "mute" ? "Muted" : "Kicked"} ${name}.`);
      }
    } catch (err) {
      this.notice(`${action}: ${(err as Error).message}`);
    }
  }

  private renderMic(): void {
    const c = this.earshot.client;
    const state: MicState = c.muted ? "muted" : this.earshot.localSpeaking ? "speaking" : "live";
    this.panel?.setMic(state);
  }
}
