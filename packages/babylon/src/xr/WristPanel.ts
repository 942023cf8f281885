import type { AdvancedDynamicTexture } from "@babylonjs/gui/2D/advancedDynamicTexture.js";
import { Button } from "@babylonjs/gui/2D/controls/button.js";
import { Control } from "@babylonjs/gui/2D/controls/control.js";
import { Ellipse } from "@babylonjs/gui/2D/controls/ellipse.js";
import { Rectangle } from "@babylonjs/gui/2D/controls/rectangle.js";
import { ScrollViewer } from "@babylonjs/gui/2D/controls/scrollViewers/scrollViewer.js";
import { StackPanel } from "@babylonjs/gui/2D/controls/stackPanel.js";
import { TextBlock } from "@babylonjs/gui/2D/controls/textBlock.js";

// TextWrapping is a const enum that verbatimModuleSyntax cannot import: its values.
const WORD_WRAP = 1; // never 4 (HTML): messages are text
import { guiPlane } from "./guiPlane.js";
import { PeopleList } from "./PeopleList.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import type { Scene } from "@babylonjs/core/scene.js";

/** What the mic indicator shows. */
export type MicState = "muted" | "live" | "speaking";

/** One line of the panel: a message, with the delivery state of your own. */
export interface PanelLine {
  /** Stable key: the message id, or the client message id while pending. */
  key: string;
  name: string;
  content: string;
  /** Only for your own messages. */
  status?: "pending" | "delivered" | "failed";
  /** Why a message of yours failed. */
  error?: string;
}

const MIC_COLOURS: Record<MicState, string> = { muted: "#e5484d", live: "#8a8f98", speaking: "#2fbf71" };
const MIC_LABELS: Record<MicState, string> = { muted: "Muted (X)", live: "Mic live", speaking: "Speaking" };
const STATUS_MARK = { pending: " …", delivered: " ✓", failed: " ✗" } as const;

/**
 * The chat panel on the wrist: a header with the zone, a People/Chat switch and the mic
 * indicator, then the zone's recent messages, newest at the bottom, scrollable, no fade-out,
 * or the people page ({@link people}: block, report, and moderators' actions). Babylon GUI on
 * a plane; the caller parents {@link mesh} to a controller.
 */
export class WristPanel {
  readonly mesh: Mesh;
  readonly texture: AdvancedDynamicTexture;
  private readonly list: StackPanel;
  private readonly scroller: ScrollViewer;
  private readonly lines = new Map<string, TextBlock>();
  private readonly micDot: Ellipse;
  private readonly micLabel: TextBlock;
  private readonly zoneLabel: TextBlock;
  /** The people page, shown instead of the messages while the switch says "Chat". */
  readonly people = new PeopleList(960);
  private readonly pageSwitch: Button;

  constructor(
    scene: Scene,
    /** Messages kept; older ones leave the top. */
    readonly maxLines: number,
    widthM = 0.26,
  ) {
    const { mesh, texture, frame } = guiPlane(scene, "earshot-wrist-panel", widthM, { width: 1024, height: 768 });
    this.mesh = mesh;
    this.texture = texture;

    const header = new Rectangle("header");
    header.height = "96px";
    header.thickness = 0;
    header.verticalAlignment = Control.VERTICAL_ALIGNMENT_TOP;
    frame.addControl(header);
    this.zoneLabel = text("zone", "", 44, "#fff");
    this.zoneLabel.textHorizontalAlignment = Control.HORIZONTAL_ALIGNMENT_LEFT;
    this.zoneLabel.paddingLeft = "32px";
    this.zoneLabel.width = "360px";
    this.zoneLabel.horizontalAlignment = Control.HORIZONTAL_ALIGNMENT_LEFT;
    header.addControl(this.zoneLabel);
    this.pageSwitch = Button.CreateSimpleButton("page-switch", "People");
    this.pageSwitch.width = "200px";
    this.pageSwitch.height = "76px";
    this.pageSwitch.fontSize = 38;
    this.pageSwitch.color = "white";
    this.pageSwitch.background = "#2b3445";
    this.pageSwitch.cornerRadius = 14;
    this.pageSwitch.left = "-20px";
    this.pageSwitch.onPointerClickObservable.add(() => this.showPeople(!this.peopleShown));
    header.addControl(this.pageSwitch);
    this.micDot = new Ellipse("mic-dot");
    this.micDot.width = this.micDot.height = "44px";
    this.micDot.thickness = 0;
    this.micDot.horizontalAlignment = Control.HORIZONTAL_ALIGNMENT_RIGHT;
    this.micDot.left = "-300px";
    header.addControl(this.micDot);
    this.micLabel = text("mic", "", 40, "#fff");
    this.micLabel.width = "280px";
    this.micLabel.textHorizontalAlignment = Control.HORIZONTAL_ALIGNMENT_LEFT;
    this.micLabel.horizontalAlignment = Control.HORIZONTAL_ALIGNMENT_RIGHT;
    header.addControl(this.micLabel);

    this.scroller = new ScrollViewer("messages");
    this.scroller.top = "96px";
    this.scroller.height = "672px";
    this.scroller.verticalAlignment = Control.VERTICAL_ALIGNMENT_TOP;
    this.scroller.thickness = 0;
    this.scroller.barSize = 28;
    frame.addControl(this.scroller);
    this.list = new StackPanel("lines");
    this.list.width = "960px";
    this.scroller.addControl(this.list);
    this.setMic("live");
  }

  /** True while the people page shows. */
  get peopleShown(): boolean {
    return this.scroller.children[0] === this.people.panel;
  }

  /** Shows the people page (true) or the messages. */
  showPeople(on: boolean): void {
    if (on === this.peopleShown) return;
    this.scroller.removeControl(on ? this.list : this.people.panel);
    this.scroller.addControl(on ? this.people.panel : this.list);
    this.pageSwitch.textBlock!.text = on ? "Chat" : "People";
  }

  setZone(label: string): void {
    this.zoneLabel.text = label;
  }

  setMic(state: MicState): void {
    this.micDot.background = MIC_COLOURS[state];
    this.micLabel.text = MIC_LABELS[state];
  }

  /** The mic indicator's text, for tests and screen readers. */
  get micText(): string {
    return this.micLabel.text;
  }

  /** Adds or updates a line (a pending message becoming delivered keeps its place). */
  upsert(line: PanelLine, replaces?: string): void {
    const key = replaces ?? line.key;
    let block = this.lines.get(key);
    if (!block) {
      block = text(`line-${line.key}`, "", 40, "#e8eaed");
      block.textWrapping = WORD_WRAP;
      block.resizeToFit = true;
      block.width = "940px";
      block.paddingTop = "10px";
      block.textHorizontalAlignment = Control.HORIZONTAL_ALIGNMENT_LEFT;
      this.list.addControl(block);
      this.trim();
    }
    if (replaces && replaces !== line.key) {
      this.lines.delete(replaces);
      block.name = `line-${line.key}`;
    }
    this.lines.set(line.key, block);
    const mark = line.status ? STATUS_MARK[line.status] : "";
    // GUI TextBlocks draw characters: markup in a message shows as typed.
    block.text = `${line.name}: ${line.content}${mark}${line.error ? ` (${line.error})` : ""}`;
    block.color = line.status === "failed" ? "#ff8a8a" : line.status === "pending" ? "#aab" : "#e8eaed";
    // Newest at the bottom, shown: the panel follows the conversation.
    this.scroller.verticalBar.value = 1;
  }

  /** Removes every line (a zone change). */
  clear(): void {
    for (const c of [...this.list.children]) c.dispose();
    this.list.clearControls();
    this.lines.clear();
  }

  /** Texts of the lines shown, oldest first. */
  texts(): string[] {
    return this.list.children.map((c) => (c as TextBlock).text);
  }

  dispose(): void {
    this.people.onActionObservable.clear();
    this.texture.dispose();
    this.mesh.dispose(false, true);
  }

  private trim(): void {
    while (this.list.children.length > this.maxLines) {
      const first = this.list.children[0]!;
      for (const [k, v] of this.lines) if (v === first) this.lines.delete(k);
      first.dispose();
    }
  }
}

function text(name: string, value: string, size: number, color: string): TextBlock {
  const t = new TextBlock(name, value);
  t.fontSize = size;
  t.color = color;
  return t;
}
