import { LIFTS, moderationNotice } from "@earshot/client";
import type { EarshotClient, Person } from "@earshot/client";
import type { ModerationAction } from "@earshot/protocol";

/** How long the demo's moderator actions last, seconds. */
const MODERATION_S = 300;

function button(text: string, onClick: () => void, className = ""): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (className) b.className = className;
  b.onclick = onClick;
  return b;
}

/**
 * The menu on a person in the people list: block or report for everyone; mute, chat mute and
 * kick for moderators (those entries show while `body.moderator` is set). Outcomes go to `say`.
 */
export function personMenu(client: EarshotClient, person: Readonly<Person>, say: (text: string) => void): HTMLElement {
  const menu = document.createElement("details");
  menu.className = "menu";
  const summary = document.createElement("summary");
  summary.textContent = "⋯";
  summary.title = `Actions on ${person.name}`;
  const items = document.createElement("div");
  items.className = "items";
  const done = (p: Promise<unknown>, text: string) =>
    void p.then(
      () => say(text),
      (e: Error) => say(e.message),
    );
  const block = button("Block", () => {
    const on = !client.blocked.has(person.id);
    done(
      (on ? client.block(person.id) : client.unblock(person.id)).then(() => {
        block.textContent = on ? "Unblock" : "Block";
      }),
      `${on ? "Blocked" : "Unblocked"} ${person.name}.`,
    );
    menu.open = false;
  });
  const report = button("Report…", () => {
    const reason = prompt(`Why are you reporting ${person.name}?`, "harassment");
    if (reason?.trim()) done(client.report(person.id, reason.trim()), `Reported ${person.name}. Thank you.`);
    menu.open = false;
  });
  const moderate = (action: ModerationAction, label: string) =>
    button(
      label,
      () => {
        done(
          client.moderate(action, person.id, action === "unmute" ? {} : { durationS: MODERATION_S }),
          `${label}: ${person.name}.`,
        );
        menu.open = false;
      },
      "mod-only",
    );
  items.append(
    block,
    report,
    moderate("mute", "Mute for everyone"),
    moderate("unmute", "Unmute for everyone"),
    moderate("chat_mute", "Mute their chat"),
    moderate("kick", "Kick"),
  );
  menu.append(summary, items);
  return menu;
}

/** The notice a person sees while a moderator has muted or removed them. */
export function showModerationNotices(client: EarshotClient, notice: HTMLElement): void {
  client.on("moderated", (m) => {
    notice.textContent = LIFTS.has(m.action) ? "" : moderationNotice(m);
    notice.hidden = notice.textContent === "";
  });
}
