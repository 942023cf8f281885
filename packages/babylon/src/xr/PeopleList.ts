import { Button } from "@babylonjs/gui/2D/controls/button.js";
import { Control } from "@babylonjs/gui/2D/controls/control.js";
import { StackPanel } from "@babylonjs/gui/2D/controls/stackPanel.js";
import { TextBlock } from "@babylonjs/gui/2D/controls/textBlock.js";
import { Observable } from "@babylonjs/core/Misc/observable.js";

/** Someone on the wrist panel's people page. */
export interface PeopleRow {
  userId: string;
  name: string;
  moderator: boolean;
  /** You block them. */
  blocked: boolean;
}

/** What a button on a person asks for. */
export type PersonAction = "block" | "unblock" | "report" | "mute" | "kick";

/**
 * The wrist panel's people page: one row per person with Block (or Unblock) and Report, and
 * Mute and Kick when you are a moderator. Babylon GUI; the XR pointer presses the buttons.
 */
export class PeopleList {
  readonly panel = new StackPanel("people");
  /** A button was pressed. */
  readonly onActionObservable = new Observable<{ action: PersonAction; userId: string }>();
  private shown = "";

  constructor(width: number) {
    this.panel.width = `${width}px`;
  }

  /** Shows these people (rebuilt only when something shown changed). */
  set(rows: readonly PeopleRow[], moderator: boolean): void {
    const key = JSON.stringify([rows, moderator]);
    if (key === this.shown) return;
    this.shown = key;
    for (const c of [...this.panel.children]) c.dispose();
    this.panel.clearControls();
    if (!rows.length) this.panel.addControl(label("nobody", "Nobody else here yet", "#aab"));
    for (const p of rows) {
      const row = new StackPanel(`person-${p.userId}`);
      row.isVertical = false;
      row.height = "96px";
      row.horizontalAlignment = Control.HORIZONTAL_ALIGNMENT_LEFT;
      // GUI TextBlocks draw characters: a name shows as typed.
      const name = label(`name-${p.userId}`, p.moderator ? `${p.name} (MOD)` : p.name, "#fff");
      name.width = moderator ? "330px" : "560px";
      row.addControl(name);
      const actions: [PersonAction, string][] = [
        [p.blocked ? "unblock" : "block", p.blocked ? "Unblock" : "Block"],
        ["report", "Report"],
        ...(moderator
          ? ([
              ["mute", "Mute"],
              ["kick", "Kick"],
            ] as [PersonAction, string][])
          : []),
      ];
      for (const [action, text] of actions) {
        const b = Button.CreateSimpleButton(`${action}-${p.userId}`, text);
        b.width = "150px";
        b.height = "84px";
        b.fontSize = 36;
        b.color = "white";
        b.cornerRadius = 14;
        b.background = action === "mute" || action === "kick" ? "#6e3bd6" : "#2b3445";
        b.paddingLeft = "8px";
        b.onPointerClickObservable.add(() => this.onActionObservable.notifyObservers({ action, userId: p.userId }));
        row.addControl(b);
      }
      this.panel.addControl(row);
    }
  }

  /** The buttons' names, for tests: `block-<userId>`, ... */
  buttons(): string[] {
    return this.panel.getDescendants(false, (c) => c instanceof Button).map((c) => c.name ?? "");
  }
}

function label(name: string, text: string, color: string): TextBlock {
  const t = new TextBlock(name, text);
  t.fontSize = 40;
  t.color = color;
  t.height = "96px";
  t.textHorizontalAlignment = Control.HORIZONTAL_ALIGNMENT_LEFT;
  t.paddingLeft = "16px";
  return t;
}
