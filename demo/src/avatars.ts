import { DynamicTexture } from "@babylonjs/core/Materials/Textures/dynamicTexture.js";
import { StandardMaterial } from "@babylonjs/core/Materials/standardMaterial.js";
import { Color3 } from "@babylonjs/core/Maths/math.color.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { CreateCapsule } from "@babylonjs/core/Meshes/Builders/capsuleBuilder.js";
import { CreatePlane } from "@babylonjs/core/Meshes/Builders/planeBuilder.js";
import { CreateTorus } from "@babylonjs/core/Meshes/Builders/torusBuilder.js";
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

/** A remote person: a capsule with a name tag and a ring that lights up while they speak. */
export class Avatar {
  readonly body: Mesh;
  private readonly ring: Mesh;
  private readonly target = new Vector3();
  private placed = false;

  constructor(
    scene: Scene,
    readonly sessionId: string,
    name: string,
    colour: string,
  ) {
    this.body = CreateCapsule(`avatar-${sessionId}`, { height: 1.8, radius: 0.35 }, scene);
    const mat = new StandardMaterial(`avatar-mat-${sessionId}`, scene);
    mat.diffuseColor = COLOURS[colour] ?? COLOURS.sky!;
    this.body.material = mat;

    const tag = CreatePlane(`tag-${sessionId}`, { width: 2, height: 0.5 }, scene);
    tag.parent = this.body;
    tag.position.y = 1.3;
    tag.billboardMode = Mesh.BILLBOARDMODE_ALL;
    const texture = new DynamicTexture(`tag-tex-${sessionId}`, { width: 512, height: 128 }, scene, true);
    texture.hasAlpha = true;
    const ctx = texture.getContext() as unknown as CanvasRenderingContext2D;
    ctx.clearRect(0, 0, 512, 128);
    ctx.fillStyle = "rgba(20, 24, 32, 0.75)";
    ctx.beginPath();
    ctx.roundRect(8, 16, 496, 96, 40);
    ctx.fill();
    // Names are drawn as text on a canvas: nothing a user types is ever parsed as markup.
    texture.drawText(name, null, 88, "bold 56px system-ui, sans-serif", "white", null, true, true);
    const tagMat = new StandardMaterial(`tag-mat-${sessionId}`, scene);
    tagMat.diffuseTexture = texture;
    tagMat.emissiveColor = Color3.White();
    tagMat.disableLighting = true;
    tagMat.useAlphaFromDiffuseTexture = true;
    tag.material = tagMat;

    this.ring = CreateTorus(`ring-${sessionId}`, { diameter: 1.2, thickness: 0.08, tessellation: 32 }, scene);
    this.ring.parent = this.body;
    this.ring.position.y = -0.85;
    const ringMat = new StandardMaterial(`ring-mat-${sessionId}`, scene);
    ringMat.emissiveColor = Color3.FromHexString("#2fbf71");
    this.ring.material = ringMat;
    this.ring.isVisible = false;
  }

  /** Where the person is now (eye position, from state). */
  setTarget(x: number, y: number, z: number): void {
    this.target.set(x, y - EYE_HEIGHT_M + 0.9, z);
    if (!this.placed) {
      this.body.position.copyFrom(this.target);
      this.placed = true;
    }
  }

  /** Moves smoothly toward the last known position (state arrives at 10 Hz). */
  update(dtS: number): void {
    Vector3.LerpToRef(this.body.position, this.target, Math.min(1, dtS * 12), this.body.position);
  }

  set speaking(on: boolean) {
    this.ring.isVisible = on;
  }

  dispose(): void {
    this.body.dispose(false, true);
  }
}
