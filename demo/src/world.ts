import "@babylonjs/core/Physics/joinedPhysicsEngineComponent.js";
import HavokPhysics from "@babylonjs/havok";
import wasmUrl from "@babylonjs/havok/lib/esm/HavokPhysics.wasm?url";
import { FreeCamera } from "@babylonjs/core/Cameras/freeCamera.js";
import type { Engine } from "@babylonjs/core/Engines/engine.js";
import { HemisphericLight } from "@babylonjs/core/Lights/hemisphericLight.js";
import { DirectionalLight } from "@babylonjs/core/Lights/directionalLight.js";
import { StandardMaterial } from "@babylonjs/core/Materials/standardMaterial.js";
import { Color3, Color4 } from "@babylonjs/core/Maths/math.color.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { CreateBox } from "@babylonjs/core/Meshes/Builders/boxBuilder.js";
import { CreateGround } from "@babylonjs/core/Meshes/Builders/groundBuilder.js";
import { CreateCylinder } from "@babylonjs/core/Meshes/Builders/cylinderBuilder.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import { HavokPlugin } from "@babylonjs/core/Physics/v2/Plugins/havokPlugin.js";
import { PhysicsAggregate } from "@babylonjs/core/Physics/v2/physicsAggregate.js";
import { PhysicsShapeType } from "@babylonjs/core/Physics/v2/IPhysicsEnginePlugin.js";
import { CharacterSupportedState, PhysicsCharacterController } from "@babylonjs/core/Physics/v2/characterController.js";
import { Scene } from "@babylonjs/core/scene.js";
import { EYE_HEIGHT_M } from "./avatars.js";
import { brick, carpet, dressStage, paving, playFilm } from "./scenery.js";

/** The plaza: Events (a stage) west of the wall at x = 0, Movies (a screen and seats) east. */
export const ZONES = {
  events: { label: "Events", spawn: new Vector3(-12, 1, 0) },
  movies: { label: "Movies", spawn: new Vector3(12, 1, 0) },
} as const;
export type ZoneId = keyof typeof ZONES;

/** Walking speed with the keys, metres per second. */
export const WALK_SPEED_M_S = 4;
/** Longest physics step of the character controller, seconds. */
const MAX_STEP_S = 0.05;
/** Longest frame walked at once, seconds: a stall longer than this is not a jump. */
const MAX_FRAME_S = 2;

/** Look speed of a drag, radians per CSS pixel. */
const LOOK_RAD_PER_PX = 0.004;

const TEXT_INPUTS = new Set(["text", "search", "email", "password", "url", "tel", "number"]);

/**
 * True while the keyboard belongs to a text field (WASD types there). Sliders, checkboxes and
 * buttons never keep it: the world walks.
 */
export function isTyping(): boolean {
  const a = document.activeElement;
  return (a instanceof HTMLInputElement && TEXT_INPUTS.has(a.type)) || a instanceof HTMLTextAreaElement;
}

/** Which zone a point belongs to. */
export const zoneAt = (x: number): ZoneId => (x < 0 ? "events" : "movies");

function material(scene: Scene, name: string, color: Color3): StandardMaterial {
  const m = new StandardMaterial(name, scene);
  m.diffuseColor = color;
  m.specularColor = new Color3(0.1, 0.1, 0.1);
  return m;
}

/** A static physics box (walls, stage, props). */
function solid(
  scene: Scene,
  name: string,
  size: [number, number, number],
  at: [number, number, number],
  mat: StandardMaterial,
  tiltX = 0,
): Mesh {
  const box = CreateBox(name, { width: size[0], height: size[1], depth: size[2] }, scene);
  box.position.set(...at);
  box.rotation.x = tiltX;
  box.material = mat;
  new PhysicsAggregate(box, PhysicsShapeType.BOX, { mass: 0 }, scene);
  return box;
}

export interface World {
  scene: Scene;
  camera: FreeCamera;
  /** The touch stick's push, each axis -1..1 (x to the right, y forward); 0,0 at rest. */
  stick: { x: number; y: number };
  /** Moves the player to a point (spawn, deep link). */
  teleport(x: number, z: number): void;
  /** The player's zone changed by walking through the doorway. */
  onZoneCrossed?: (zone: ZoneId) => void;
  /**
   * In VR the headset leads: set to the XR camera's position getter, and the character follows
   * the head each frame (room-scale walking, doorway crossings) instead of the keyboard.
   */
  xrHead?: () => Vector3;
  /** A VR stick step from the head through the character controller: the step walls allow. */
  walk(head: Vector3, step: Vector3, dtS: number): Vector3;
}

/** Builds the scene with Havok physics and a first-person character controller (WASD + drag). */
export async function createWorld(engine: Engine, canvas: HTMLCanvasElement): Promise<World> {
  const scene = new Scene(engine);
  scene.clearColor = new Color4(0.62, 0.76, 0.9, 1);
  const havok = await HavokPhysics({ locateFile: () => wasmUrl });
  scene.enablePhysics(new Vector3(0, -9.81, 0), new HavokPlugin(true, havok));

  new HemisphericLight("sky", new Vector3(0, 1, 0), scene).intensity = 0.75;
  const sun = new DirectionalLight("sun", new Vector3(-0.4, -1, 0.3), scene);
  sun.intensity = 0.6;

  const ground = CreateGround("ground", { width: 80, height: 60 }, scene);
  ground.material = paving(scene, [20, 15]);
  new PhysicsAggregate(ground, PhysicsShapeType.BOX, { mass: 0 }, scene);
  // The cinema's carpet (looks only: it is part of the floor).
  const aisle = CreateGround("carpet", { width: 34, height: 28 }, scene);
  aisle.position.set(21, 0.01, 12);
  aisle.material = carpet(scene, "cinema-carpet", "#6a2a36", "#9a4a58", [8, 7]);

  // Brick walls, the pattern repeated every 4 m along each: 80, 60 and 28 m long.
  const walls = new Map([80, 60, 28].map((len) => [len, brick(scene, [len / 4, 1])]));
  // Outer walls.
  solid(scene, "wall-n", [80, 4, 1], [0, 2, 30], walls.get(80)!);
  solid(scene, "wall-s", [80, 4, 1], [0, 2, -30], walls.get(80)!);
  solid(scene, "wall-w", [1, 4, 60], [-40, 2, 0], walls.get(60)!);
  solid(scene, "wall-e", [1, 4, 60], [40, 2, 0], walls.get(60)!);
  // The dividing wall with a doorway (4 m wide) in the middle.
  solid(scene, "divider-n", [1, 4, 28], [0, 2, 16], walls.get(28)!);
  solid(scene, "divider-s", [1, 4, 28], [0, 2, -16], walls.get(28)!);
  const door = CreateBox("doorway", { width: 1.2, height: 0.1, depth: 4 }, scene);
  door.position.set(0, 0.05, 0);
  door.material = material(scene, "door", new Color3(0.3, 0.55, 0.95));

  // Events: a stage with speakers.
  const stage = solid(scene, "stage", [16, 1, 8], [-24, 0.5, 20], carpet(scene, "stage", "#5a1f2a", "#7a3140", [4, 2]));
  dressStage(scene, stage);
  // A ramp up to the stage in the middle of its front: 1 m up over 3 m, gentle for the character controller.
  solid(
    scene,
    "stage-ramp",
    [4, 0.2, Math.hypot(3, 1)],
    [-24, 0.45, 14.5],
    stage.material as StandardMaterial,
    -Math.atan2(1, 3),
  );
  solid(scene, "speaker-l", [1.5, 3, 1.5], [-33, 1.5, 20], material(scene, "spk", new Color3(0.15, 0.15, 0.18)));
  solid(scene, "speaker-r", [1.5, 3, 1.5], [-15, 1.5, 20], material(scene, "spk2", new Color3(0.15, 0.15, 0.18)));
  // Movies: a screen and rows of seats.
  const screen = solid(
    scene,
    "screen",
    [20, 9, 0.4],
    [20, 5, 28],
    material(scene, "screen", new Color3(0.95, 0.95, 1)),
  );
  playFilm(scene, screen);
  const seatMat = material(scene, "seat", new Color3(0.7, 0.12, 0.15));
  for (let row = 0; row < 3; row++)
    for (let i = 0; i < 6; i++) {
      const seat = solid(scene, `seat-${row}-${i}`, [1.2, 0.5, 1.2], [12 + i * 3, 0.25, 12 - row * 4], seatMat);
      // A backrest on the side away from the screen (looks only).
      const back = CreateBox(`seat-back-${row}-${i}`, { width: 1.2, height: 0.9, depth: 0.2 }, scene);
      back.position.set(seat.position.x, 0.95, seat.position.z - 0.5);
      back.material = seatMat;
    }
  // A fountain in the plaza.
  const fountain = CreateCylinder("fountain", { diameter: 5, height: 0.8 }, scene);
  fountain.position.set(-8, 0.4, -14);
  fountain.material = material(scene, "stone", new Color3(0.6, 0.65, 0.7));
  new PhysicsAggregate(fountain, PhysicsShapeType.CYLINDER, { mass: 0 }, scene);

  // First-person camera driven by a Havok character controller.
  const camera = new FreeCamera("player", new Vector3(0, 1.7, 0), scene);
  camera.minZ = 0.05;
  camera.inputs.clear();
  const character = new PhysicsCharacterController(
    new Vector3(-12, 1, 0),
    { capsuleHeight: 1.8, capsuleRadius: 0.35 },
    scene,
  );
  let yaw = 0;
  let pitch = 0;
  const keys = new Set<string>();
  window.addEventListener("keydown", (e) => !isTyping() && keys.add(e.code));
  window.addEventListener("keyup", (e) => keys.delete(e.code));
  window.addEventListener("blur", () => keys.clear());
  // Dragging in the world looks around: a mouse, or any finger that is not on the stick.
  const drags = new Map<number, { x: number; y: number }>();
  canvas.addEventListener("pointerdown", (e) => drags.set(e.pointerId, { x: e.clientX, y: e.clientY }));
  const release = (e: PointerEvent) => drags.delete(e.pointerId);
  window.addEventListener("pointerup", release);
  window.addEventListener("pointercancel", release);
  window.addEventListener("pointermove", (e) => {
    const from = drags.get(e.pointerId);
    if (!from) return;
    yaw += (e.clientX - from.x) * LOOK_RAD_PER_PX;
    pitch = Math.max(-1.2, Math.min(1.2, pitch + (e.clientY - from.y) * LOOK_RAD_PER_PX));
    drags.set(e.pointerId, { x: e.clientX, y: e.clientY });
  });

  let zone: ZoneId = zoneAt(character.getPosition().x);
  const world: World = {
    scene,
    camera,
    stick: { x: 0, y: 0 },
    // Landing on the other side of the wall counts as crossing it (onZoneCrossed fires).
    teleport: (x, z) => {
      character.setPosition(new Vector3(x, 1, z));
      // The camera follows at once, not at the next step: its pose is what gets published.
      camera.position.set(x, EYE_HEIGHT_M, z);
    },
    walk: (head, step, dtS) => {
      const from = character.getPosition();
      character.setPosition(new Vector3(head.x, from.y, head.z));
      const start = character.getPosition().clone();
      const support = character.checkSupport(dtS, down);
      character.setVelocity(new Vector3(step.x / dtS, 0, step.z / dtS));
      character.integrate(dtS, support, gravity);
      const end = character.getPosition();
      return new Vector3(end.x - start.x, 0, end.z - start.z);
    },
  };
  const gravity = new Vector3(0, -9.81, 0);
  const down = new Vector3(0, -1, 0);
  const crossed = (x: number) => {
    const now = zoneAt(x);
    if (now !== zone) {
      zone = now;
      world.onZoneCrossed?.(now);
    }
  };
  /** One physics step of the walking character, `dt` seconds long. */
  const step = (want: Vector3, dt: number) => {
    const support = character.checkSupport(dt, down);
    const velocity = character.getVelocity();
    character.setVelocity(
      new Vector3(
        want.x,
        support.supportedState === CharacterSupportedState.SUPPORTED ? 0 : velocity.y + gravity.y * dt,
        want.z,
      ),
    );
    character.integrate(dt, support, gravity);
  };
  scene.onBeforeRenderObservable.add(() => {
    // The whole frame's time is walked, in steps of at most MAX_STEP_S (the character controller
    // is stable with short steps): the same speed at 4 fps as at 60. A longer stall (a hidden
    // tab) is cut at MAX_FRAME_S rather than jumping.
    const elapsed = Math.min(MAX_FRAME_S, engine.getDeltaTime() / 1000);
    if (elapsed <= 0) return;
    if (world.xrHead) {
      const head = world.xrHead();
      const p = character.getPosition();
      character.setPosition(new Vector3(head.x, p.y, head.z));
      return crossed(head.x);
    }
    const forward = new Vector3(Math.sin(yaw), 0, Math.cos(yaw));
    const right = new Vector3(Math.cos(yaw), 0, -Math.sin(yaw));
    const want = Vector3.Zero();
    if (keys.has("KeyW") || keys.has("ArrowUp")) want.addInPlace(forward);
    if (keys.has("KeyS") || keys.has("ArrowDown")) want.subtractInPlace(forward);
    if (keys.has("KeyD") || keys.has("ArrowRight")) want.addInPlace(right);
    if (keys.has("KeyA") || keys.has("ArrowLeft")) want.subtractInPlace(right);
    if (want.lengthSquared() > 0) want.normalize();
    // The touch stick adds its own push, as far as it is pushed (full speed at the rim).
    want.addInPlace(forward.scale(world.stick.y)).addInPlace(right.scale(world.stick.x));
    if (want.length() > 1) want.normalize();
    want.scaleInPlace(WALK_SPEED_M_S);
    const steps = Math.ceil(elapsed / MAX_STEP_S);
    for (let i = 0; i < steps; i++) step(want, elapsed / steps);
    const p = character.getPosition();
    camera.position.set(p.x, p.y + 0.7, p.z);
    camera.rotation.set(pitch, yaw, 0);
    crossed(p.x);
  });
  return world;
}
