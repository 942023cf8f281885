import { AdvancedDynamicTexture } from "@babylonjs/gui/2D/advancedDynamicTexture.js";
import { Rectangle } from "@babylonjs/gui/2D/controls/rectangle.js";
import { CreatePlane } from "@babylonjs/core/Meshes/Builders/planeBuilder.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import type { Scene } from "@babylonjs/core/scene.js";

/**
 * A plane `widthM` wide carrying a Babylon GUI texture of `pixels` (its height follows the
 * texture's aspect), with a dark rounded frame to put controls in. The VR panels' one shape.
 */
export function guiPlane(
  scene: Scene,
  name: string,
  widthM: number,
  pixels: { width: number; height: number },
): { mesh: Mesh; texture: AdvancedDynamicTexture; frame: Rectangle } {
  const mesh = CreatePlane(name, { width: widthM, height: (widthM * pixels.height) / pixels.width }, scene);
  const texture = AdvancedDynamicTexture.CreateForMesh(mesh, pixels.width, pixels.height, true);
  const frame = new Rectangle(`${name}-frame`);
  frame.background = "rgba(16, 20, 28, 0.93)";
  frame.cornerRadius = 24;
  frame.thickness = 0;
  texture.addControl(frame);
  return { mesh, texture, frame };
}
