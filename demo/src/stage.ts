// The stage line in the voice panel: on air, who is live, or why the stage is out.
import { onStageArea } from "@earshot/client";
import type { EarshotClient } from "@earshot/client";

/** Keeps `line` saying what the zone's stage does for you: on air, someone live, unavailable, or refused. */
export function showStage(client: EarshotClient, line: HTMLElement): void {
  let refusal = "";
  const render = () => {
    const me = client.sessionId;
    const states = [...client.stage.states.values()];
    const live = states.flatMap((s) => s.speakers).filter((sid) => sid !== me);
    const down = states.find((s) => s.state === "unavailable");
    let text = "";
    if (client.stage.onAir) text = "🎙 On stage: the whole zone hears you";
    else if (refusal) text = refusal;
    else if (live.length)
      text = `🎙 On stage: ${live.map((sid) => client.people.get(sid)?.name ?? "someone").join(", ")}`;
    else if (down) text = "The stage is unavailable for now; it comes back by itself";
    line.textContent = text;
    line.hidden = text === "";
  };
  client.on("stageState", render);
  client.on("stagePublish", (e) => {
    if (!e.publish) refusal = "";
    render();
  });
  client.on("serverError", (e) => {
    if (e.ref !== "stage") return;
    refusal = e.message.replace(/^stage "[^"]*": /, "");
    render();
  });
  // A refusal holds while you stand there; it clears once you step off.
  client.on("personMoved", (p) => {
    if (p.sessionId !== client.sessionId || !refusal || !p.position) return;
    const { x, z } = p.position;
    if (client.stages.some((s) => onStageArea(s.area, x, z))) return;
    refusal = "";
    render();
  });
  client.on("joined", () => {
    refusal = "";
    render();
  });
}
