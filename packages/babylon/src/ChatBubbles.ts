import { AdvancedDynamicTexture } from "@babylonjs/gui/2D/advancedDynamicTexture.js";
import { Rectangle } from "@babylonjs/gui/2D/controls/rectangle.js";
import { TextBlock } from "@babylonjs/gui/2D/controls/textBlock.js";

// TextWrapping is a const enum that verbatimModuleSyntax cannot import: its values.
const WORD_WRAP_ELLIPSIS = 3; // never 4 (HTML): messages are text
import { CreatePlane } from "@babylonjs/core/Meshes/Builders/planeBuilder.js";
import { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import type { AbstractMesh } from "@babylonjs/core/Meshes/abstractMesh.js";
import type { Observer } from "@babylonjs/core/Misc/observable.js";
import type { Scene } from "@babylonjs/core/scene.js";

/** Options of {@link ChatBubbles}; every field optional. */
export interface ChatBubbleOptions {
  /** How long a bubble stays, ms. Default 6000. */
  durationMs?: number;
  /** Height of the bubble's centre above the avatar mesh's origin, metres. Default 1.95 (above a name tag). */
  heightM?: number;
  /** Bubble width, metres (height is a third). Default 1.6. */
  widthM?: number;
}

const DEFAULTS = { durationMs: 6_000, heightM: 1.95, widthM: 1.6 };

interface Bubble {
  plane: Mesh;
  texture: AdvancedDynamicTexture;
  text: TextBlock;
  until: number;
}

/**
 * Speech bubbles over avatars: {@link show} puts a message over a mesh for a few seconds, as
 * a billboard facing whoever looks (desktop or headset). Text is drawn as text, never parsed.
 */
export class ChatBubbles {
  private readonly bubbles = new Map<AbstractMesh, Bubble>();
  private readonly options: Required<ChatBubbleOptions>;
  private readonly observer: Observer<Scene>;

  constructor(
    private readonly scene: Scene,
    options: ChatBubbleOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    // One check per frame over the bubbles shown, not over the room.
    this.observer = scene.onBeforeRenderObservable.add(() => {
      const now = performance.now();
      for (const [mesh, b] of this.bubbles) if (b.until <= now || mesh.isDisposed()) this.remove(mesh);
    });
  }

  /** Shows `text` over `mesh`, replacing its current bubble. */
  show(mesh: AbstractMesh, text: string): void {
    let b = this.bubbles.get(mesh);
    if (!b) {
      const w = this.options.widthM;
      const plane = CreatePlane(`earshot-bubble-${mesh.name}`, { width: w, height: w / 3 }, this.scene);
      plane.parent = mesh;
      plane.position.y = this.options.heightM;
      plane.billboardMode = Mesh.BILLBOARDMODE_ALL;
      plane.isPickable = false;
      const texture = AdvancedDynamicTexture.CreateForMesh(plane, 768, 256, false);
      const box = new Rectangle("bubble");
      box.cornerRadius = 40;
      box.thickness = 0;
      box.background = "rgba(255, 255, 255, 0.92)";
      texture.addControl(box);
      const label = new TextBlock("bubble-text");
      label.color = "#111";
      label.fontSize = 88;
      label.textWrapping = WORD_WRAP_ELLIPSIS;
      label.paddingLeft = label.paddingRight = "24px";
      box.addControl(label);
      b = { plane, texture, text: label, until: 0 };
      this.bubbles.set(mesh, b);
    }
    b.text.text = text;
    b.until = performance.now() + this.options.durationMs;
  }

  /** The text of the bubble over `mesh`, if one shows. */
  textOver(mesh: AbstractMesh): string | undefined {
    return this.bubbles.get(mesh)?.text.text;
  }

  /** Bubbles showing now. */
  get count(): number {
    return this.bubbles.size;
  }

  /** Removes every bubble and the frame observer; safe twice. */
  dispose(): void {
    for (const mesh of [...this.bubbles.keys()]) this.remove(mesh);
    this.observer.remove();
  }

  private remove(mesh: AbstractMesh): void {
    const b = this.bubbles.get(mesh);
    if (!b) return;
    this.bubbles.delete(mesh);
    b.texture.dispose();
    b.plane.dispose(false, true);
  }
}
