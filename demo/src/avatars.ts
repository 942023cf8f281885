import { DynamicTexture } from "@babylonjs/core/Materials/Textures/dynamicTexture.js";
import { StandardMaterial } from "@babylonjs/core/Materials/standardMaterial.js";
import { Color3 } from "@babylonjs/core/Maths/math.color.js";
import { Matrix, Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { CreateBox } from "@babylonjs/core/Meshes/Builders/boxBuilder.js";
import { CreateCapsule } from "@babylonjs/core/Meshes/Builders/capsuleBuilder.js";
import { CreatePlane } from "@babylonjs/core/Meshes/Builders/planeBuilder.js";
import { CreateSphere } from "@babylonjs/core/Meshes/Builders/sphereBuilder.js";
import { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import type { Scene } from "@babylonjs/core/scene.js";

export const COLOURS: Record<string, Color3> = {
  coral: Color3.FromHexString("#ff7f66"),
  teal: Color3.FromHexString("#1fa5a0"),
  gold: Color3.FromHexString("#e7b416"),
  violet: Color3.FromHexString("#8b5cf6"),
  sky: Color3.FromHexString("#3b9be8"),
};

/** Eye height the first-person camera publishes; avatars stand below it. */
export const EYE_HEIGHT_M = 1.7;
/** Height of the avatar's centre above its feet: `body.position` is there. */
const CENTRE_M = 0.9;
/** Beyond this distance tags and the speaking halo grow with it: they stay legible far away. */
const LEGIBLE_M = 9;
const TAG_PX = { width: 1024, height: 128 };
/** Tag plane height, metres; its width follows the texture's aspect. */
const TAG_M = 0.32;

/** Draws `name` on a rounded dark label, the font shrunk until a 32-character name fits. */
function drawTag(texture: DynamicTexture, name: string): void {
  const ctx = texture.getContext() as unknown as CanvasRenderingContext2D;
  const { width, height } = TAG_PX;
  let size = 64;
  for (; size > 24; size -= 2) {
    ctx.font = `bold ${size}px system-ui, sans-serif`;
    if (ctx.measureText(name).width <= width - 80) break;
  }
  const text = Math.min(width - 40, ctx.measureText(name).width + 64);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "rgba(16, 20, 30, 0.78)";
  ctx.beginPath();
  ctx.roundRect((width - text) / 2, 14, text, height - 28, 40);
  ctx.fill();
  // Names are drawn as text on a canvas: nothing a user types is ever parsed as markup.
  ctx.fillStyle = "white";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(name, width / 2, height / 2 + 2, width - 60);
  texture.update();
}

/**
 * The speaking halo: a thick yellow ring with a black rim around the head. Yellow on black reads
 * for every kind of colour blindness and against sky, wall and floor alike.
 */
function haloTexture(scene: Scene): DynamicTexture {
  const t = new DynamicTexture("halo-tex", { width: 256, height: 256 }, scene, true);
  t.hasAlpha = true;
  const ctx = t.getContext() as unknown as CanvasRenderingContext2D;
  ctx.clearRect(0, 0, 256, 256);
  ctx.lineWidth = 30;
  ctx.strokeStyle = "#111";
  ctx.beginPath();
  ctx.arc(128, 128, 100, 0, Math.PI * 2);
  ctx.stroke();
  ctx.lineWidth = 18;
  ctx.strokeStyle = "#ffd21f";
  ctx.stroke();
  t.update();
  return t;
}
const halos = new WeakMap<Scene, StandardMaterial>();
function haloMaterial(scene: Scene): StandardMaterial {
  let m = halos.get(scene);
  if (!m) {
    m = new StandardMaterial("halo-mat", scene);
    m.diffuseTexture = haloTexture(scene);
    m.useAlphaFromDiffuseTexture = true;
    m.emissiveColor = Color3.White();
    m.disableLighting = true;
    halos.set(scene, m);
  }
  return m;
}

/**
 * A remote person: a body in their colour, a head with a visor that shows where they face, a
 * name tag, and a halo around the head that swells with their voice while they speak.
 */
export class Avatar {
  readonly body: Mesh;
  private readonly tag: Mesh;
  private readonly halo: Mesh;
  private readonly target = new Vector3();
  private yaw = 0;
  private placed = false;
  private level = 0;

  constructor(
    scene: Scene,
    readonly sessionId: string,
    name: string,
    colour: string,
  ) {
    const tint = COLOURS[colour] ?? COLOURS.sky!;
    this.body = CreateCapsule(`avatar-${sessionId}`, { height: 1.3, radius: 0.3 }, scene);
    const mat = new StandardMaterial(`avatar-mat-${sessionId}`, scene);
    mat.diffuseColor = tint;
    mat.specularColor = new Color3(0.25, 0.25, 0.25);
    this.body.material = mat;
    // Feet on the floor: the root (what sounds and bubbles attach to) stays at the centre.
    this.body.bakeTransformIntoVertices(Matrix.Translation(0, -0.2, 0));

    const head = CreateSphere(`head-${sessionId}`, { diameter: 0.42, segments: 12 }, scene);
    head.parent = this.body;
    head.position.y = 0.64;
    head.material = mat;
    // The visor faces forward (+z): you can see who is looking at you.
    const visor = CreateBox(`visor-${sessionId}`, { width: 0.32, height: 0.12, depth: 0.12 }, scene);
    visor.parent = head;
    visor.position.set(0, 0.03, 0.17);
    const visorMat = new StandardMaterial(`visor-mat-${sessionId}`, scene);
    visorMat.diffuseColor = new Color3(0.08, 0.1, 0.14);
    visorMat.specularColor = new Color3(0.8, 0.8, 0.9);
    visor.material = visorMat;

    this.tag = CreatePlane(`tag-${sessionId}`, { width: (TAG_M * TAG_PX.width) / TAG_PX.height, height: TAG_M }, scene);
    this.tag.parent = this.body;
    this.tag.position.y = 1.3;
    this.tag.billboardMode = Mesh.BILLBOARDMODE_ALL;
    const texture = new DynamicTexture(`tag-tex-${sessionId}`, TAG_PX, scene, true);
    texture.hasAlpha = true;
    drawTag(texture, name);
    const tagMat = new StandardMaterial(`tag-mat-${sessionId}`, scene);
    tagMat.diffuseTexture = texture;
    tagMat.emissiveColor = Color3.White();
    tagMat.disableLighting = true;
    tagMat.useAlphaFromDiffuseTexture = true;
    this.tag.material = tagMat;

    this.halo = CreatePlane(`halo-${sessionId}`, { size: 0.9 }, scene);
    this.halo.parent = head;
    this.halo.billboardMode = Mesh.BILLBOARDMODE_ALL;
    this.halo.material = haloMaterial(scene);
    this.halo.isVisible = false;
  }

  /** Where the person is now (eye position and heading, from state). */
  setTarget(x: number, y: number, z: number, rotY = this.yaw): void {
    this.target.set(x, y - EYE_HEIGHT_M + CENTRE_M, z);
    this.yaw = rotY;
    if (!this.placed) {
      this.body.position.copyFrom(this.target);
      this.body.rotation.y = rotY;
      this.placed = true;
    }
  }

  /**
   * Moves smoothly toward the last known pose (state arrives at 10 Hz) and keeps the tag and
   * halo legible from `eye`.
   */
  update(dtS: number, eye: Vector3): void {
    const k = Math.min(1, dtS * 12);
    Vector3.LerpToRef(this.body.position, this.target, k, this.body.position);
    // The shortest way round to the new heading.
    const turn = Math.atan2(Math.sin(this.yaw - this.body.rotation.y), Math.cos(this.yaw - this.body.rotation.y));
    this.body.rotation.y += turn * k;
    const far = Math.max(1, Vector3.Distance(eye, this.body.position) / LEGIBLE_M);
    this.tag.scaling.setAll(far);
    this.tag.position.y = 1.1 + 0.25 * far;
    this.halo.scaling.setAll(far * (1 + Math.min(0.6, this.level * 3)));
  }

  /** The measured voice level (0–1) while they speak, 0 when they don't: the halo follows it. */
  setLevel(level: number): void {
    this.level = level;
    this.halo.isVisible = level > 0;
  }

  /** True while the halo shows (for tests and scripted checks). */
  get speaking(): boolean {
    return this.halo.isVisible;
  }

  dispose(): void {
    this.halo.material = null; // shared by every avatar: not theirs to dispose
    this.body.dispose(false, true);
  }
}
