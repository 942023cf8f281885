import type { AdvancedDynamicTexture } from "@babylonjs/gui/2D/advancedDynamicTexture.js";
import { Button } from "@babylonjs/gui/2D/controls/button.js";
import { Control } from "@babylonjs/gui/2D/controls/control.js";
import { StackPanel } from "@babylonjs/gui/2D/controls/stackPanel.js";
import { TextBlock } from "@babylonjs/gui/2D/controls/textBlock.js";
import { VirtualKeyboard } from "@babylonjs/gui/2D/controls/virtualKeyboard.js";
import { guiPlane } from "./guiPlane.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import type { Scene } from "@babylonjs/core/scene.js";

/** Keys of Babylon's default VirtualKeyboard layout that are not characters. */
const BACKSPACE = "\u2190";
const ENTER = "\u21B5";
const SHIFT = "\u21E7";

/**
 * A chat keyboard floating in front of you: a draft line, quick replies and Babylon GUI's
 * VirtualKeyboard, all on one plane that the XR pointer (ray + trigger) types on. `send` gets
 * the draft on ↵ or a quick reply at once.
 */
export class ChatKeyboard {
  readonly mesh: Mesh;
  readonly texture: AdvancedDynamicTexture;
  readonly keyboard: VirtualKeyboard;
  private readonly draftLabel: TextBlock;
  private draftText = "";

  constructor(
    scene: Scene,
    quickReplies: readonly string[],
    private readonly send: (text: string) => void,
    maxChars: number,
  ) {
    const { mesh, texture, frame } = guiPlane(scene, "earshot-keyboard", 0.8, { width: 1280, height: 800 });
    this.mesh = mesh;
    this.texture = texture;
    this.mesh.isVisible = false;
    const column = new StackPanel("keyboard-column");
    column.verticalAlignment = Control.VERTICAL_ALIGNMENT_TOP;
    frame.addControl(column);

    this.draftLabel = new TextBlock("draft", "Type a message…");
    this.draftLabel.height = "110px";
    this.draftLabel.fontSize = 52;
    this.draftLabel.color = "#ccd";
    column.addControl(this.draftLabel);

    const replies = new StackPanel("quick-replies");
    replies.isVertical = false;
    replies.height = "110px";
    for (const reply of quickReplies) {
      const b = Button.CreateSimpleButton(`quick-${reply}`, reply);
      b.width = `${Math.max(140, 40 + 30 * [...reply].length)}px`;
      b.height = "90px";
      b.color = "white";
      b.fontSize = 44;
      b.background = "#2b3445";
      b.cornerRadius = 16;
      b.paddingLeft = b.paddingRight = "8px";
      b.onPointerClickObservable.add(() => this.send(reply));
      replies.addControl(b);
    }
    column.addControl(replies);

    this.keyboard = VirtualKeyboard.CreateDefaultLayout("earshot-virtual-keyboard");
    this.keyboard.defaultButtonWidth = "100px";
    this.keyboard.defaultButtonHeight = "100px";
    this.keyboard.fontSize = 44;
    column.addControl(this.keyboard);
    this.keyboard.onKeyPressObservable.add((key) => {
      if (key === SHIFT) return;
      if (key === BACKSPACE) this.draft = [...this.draftText].slice(0, -1).join("");
      else if (key === ENTER) {
        const text = this.draftText.trim();
        if (text) this.send(text);
        this.draft = "";
      } else if ([...this.draftText].length < maxChars) this.draft = this.draftText + key;
    });
  }

  /** The text typed so far. */
  get draft(): string {
    return this.draftText;
  }

  set draft(value: string) {
    this.draftText = value;
    this.draftLabel.text = value || "Type a message…";
    this.draftLabel.color = value ? "#fff" : "#889";
  }

  get visible(): boolean {
    return this.mesh.isVisible;
  }

  set visible(on: boolean) {
    this.mesh.isVisible = on;
  }

  dispose(): void {
    this.texture.dispose();
    this.mesh.dispose(false, true);
  }
}
