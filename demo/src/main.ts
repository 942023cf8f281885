import "@babylonjs/core/Helpers/sceneHelpers.js";
import { Engine } from "@babylonjs/core/Engines/engine.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { createEarshot } from "@earshot/babylon";
import { chatLength } from "@earshot/client";
import type { Person } from "@earshot/client";
import type { EarshotXR } from "@earshot/babylon";
import type { ChatMessage } from "@earshot/protocol";
import { Avatar } from "./avatars.js";
import { attachStick, isTouchScreen } from "./touch.js";
import { personMenu, showModerationNotices } from "./moderation.js";
import { showStage } from "./stage.js";
import { ZONES, createWorld, isTyping, zoneAt } from "./world.js";
import type { ZoneId } from "./world.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
/** Makes an element whose text is set as text, never parsed as HTML. */
function el(tag: string, text = "", className = ""): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = text;
  if (className) e.className = className;
  return e;
}

const params = new URLSearchParams(location.search);
// `npm run dev` serves the page from Vite; the Earshot server stays on :2567.
const serverUrl = import.meta.env.MODE === "development" ? "http://localhost:2567" : location.origin;

async function start(name: string, avatar: string, zone: ZoneId, at?: [number, number]): Promise<void> {
  $("join").hidden = true;
  for (const id of ["hud", "chat"]) $(id).hidden = false;
  const canvas = $<HTMLCanvasElement>("world");
  const engine = new Engine(canvas, true, { preserveDrawingBuffer: true });
  window.addEventListener("resize", () => engine.resize());
  const world = await createWorld(engine, canvas);
  attachStick($("stick"), world);
  // On a phone the stick sits just above the chat, open or collapsed.
  new ResizeObserver(([entry]) =>
    document.body.style.setProperty("--chat-height", `${entry!.target.getBoundingClientRect().height}px`),
  ).observe($("chat"));
  $("help").textContent = isTouchScreen()
    ? "Stick to walk · drag to look · walk through a doorway to change zone"
    : "WASD to walk · drag to look · walk through a doorway to change zone";
  // Deep links choose the spot: the demo's server allows client spawns for that (scripts/demo-env.mjs);
  // a server that does not moves the player to its spawn (moveLocalAvatar below).
  const spawn = at ?? [ZONES[zone].spawn.x, ZONES[zone].spawn.z];
  world.teleport(spawn[0], spawn[1]);
  zone = zoneAt(spawn[0]);

  const avatars = new Map<string, Avatar>();
  const speaking = new Set<string>();
  const earshot = await createEarshot(world.scene, {
    serverUrl,
    zoneId: zone,
    user: { name, avatar },
    avatarFor: ({ peerId }) => avatars.get(peerId)?.body,
    localAvatar: world.camera,
    // The Havok character controller owns the player's position: move it, not the camera.
    moveLocalAvatar: (p) => world.teleport(p.x, p.z),
  });
  const client = earshot.client;
  $("zone-name").textContent = `in ${ZONES[zone].label}`;

  // ---- avatars ------------------------------------------------------------------------
  // The people in view, kept from the client's typed roster: the per-frame work below scales
  // with who is in view, not with the size of the zone.
  const inView = new Map<string, Readonly<Person>>();
  const dropAvatar = (sid: string) => {
    inView.delete(sid);
    avatars.get(sid)?.dispose();
    avatars.delete(sid);
  };
  // Someone may arrive already in view (joined) or come into and out of view (moved).
  const follow = (p: Readonly<Person>) => {
    if (p.sessionId === client.sessionId) return;
    if (p.position) inView.set(p.sessionId, p);
    else dropAvatar(p.sessionId);
  };
  client.people.forEach(follow); // those here before these listeners
  client.on("personJoined", follow);
  client.on("personMoved", follow);
  client.on("personLeft", (p) => dropAvatar(p.sessionId));
  world.scene.onBeforeRenderObservable.add(() => {
    const dt = engine.getDeltaTime() / 1000;
    const eye = (world.scene.activeCamera ?? world.camera).globalPosition;
    for (const [sid, u] of inView) {
      let a = avatars.get(sid);
      if (!a) avatars.set(sid, (a = new Avatar(world.scene, sid, u.name, u.avatar)));
      const at = u.position!;
      a.setTarget(at.x, at.y, at.z, at.rotY);
      a.setLevel(speaking.has(sid) ? Math.max(0.01, earshot.levelOf(sid)) : 0);
      a.update(dt, eye);
    }
  });
  earshot.onPeerSpeakingObservable.add(({ peerId, speaking: on }) =>
    on ? speaking.add(peerId) : speaking.delete(peerId),
  );
  engine.runRenderLoop(() => world.scene.render());

  // ---- zones --------------------------------------------------------------------------
  let switching = false;
  async function switchZone(next: ZoneId, teleport: boolean): Promise<void> {
    if (switching || next === zone) return;
    switching = true;
    try {
      zone = next;
      if (teleport) world.teleport(ZONES[next].spawn.x, ZONES[next].spawn.z);
      await earshot.changeZone(next);
      $("zone-name").textContent = `in ${ZONES[next].label}`;
      renderChat();
      void refreshZones();
    } finally {
      switching = false;
    }
  }
  world.onZoneCrossed = (next) => void switchZone(next, false);
  /** The zone list, updated in place: a row is never replaced under the pointer. */
  const zoneRows = new Map<ZoneId, { li: HTMLElement; label: HTMLElement; go: HTMLButtonElement }>();
  async function refreshZones(): Promise<void> {
    const counts = new Map<string, number>();
    try {
      const res = (await (await fetch("/api/zones")).json()) as { zones: { zoneId: string; users: number }[] };
      for (const z of res.zones) counts.set(z.zoneId, z.users);
    } catch {
      /* the list just keeps its last counts */
    }
    for (const id of Object.keys(ZONES) as ZoneId[]) {
      let row = zoneRows.get(id);
      if (!row) {
        const li = el("li");
        const label = el("span");
        const go = el("button") as HTMLButtonElement;
        go.onclick = () => void switchZone(id, true);
        li.append(label, go);
        $("zones").append(li);
        zoneRows.set(id, (row = { li, label, go }));
      }
      const here = id === zone;
      row.li.className = here ? "current" : "";
      row.label.textContent = `${ZONES[id].label} · ${counts.get(id) ?? 0} online`;
      row.go.textContent = here ? "Here" : "Go";
      row.go.disabled = here;
    }
  }
  void refreshZones();
  setInterval(() => void refreshZones(), 3_000);

  // ---- keyboard focus -----------------------------------------------------------------
  // Escape leaves any field; sliders, checkboxes and lists hand the keyboard back once used;
  // a hint says how to walk again while a text field has it.
  window.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && document.activeElement instanceof HTMLElement) document.activeElement.blur();
  });
  document.addEventListener("change", (e) => {
    const t = e.target;
    if ((t instanceof HTMLInputElement && !isTyping()) || t instanceof HTMLSelectElement) t.blur();
  });
  const showFocusHint = () => ($("focus-hint").hidden = !isTyping());
  document.addEventListener("focusin", showFocusHint);
  document.addEventListener("focusout", () => setTimeout(showFocusHint));

  // ---- people -------------------------------------------------------------------------
  // Who can hear me now: the server's voice links are symmetric, so these are my listeners.
  const hearsMe = (sid: string) => client.hearers.includes(sid);
  const rows = new Map<string, { li: HTMLElement; meta: HTMLElement; badge: HTMLElement; level: HTMLElement }>();
  function renderPeople(): void {
    const list = $("people");
    const present = new Set<string>();
    const me = world.camera.position;
    client.people.forEach((u, sid) => {
      if (sid === client.sessionId) return;
      present.add(sid);
      let row = rows.get(sid);
      if (!row) {
        const li = el("li");
        // The level meter has a fixed size and the meta line never wraps: speaking and
        // walking never change the row's height, so nothing below it moves.
        const level = el("span", "", "level");
        level.append(el("span"));
        const name = el("span", u.name, "name");
        const badge = el("span", "MOD", "badge mod");
        badge.title = "Moderator";
        name.append(badge);
        li.append(name, level);
        const meta = el("span", "", "meta");
        li.append(meta);
        const controls = el("div", "", "controls");
        const volume = Object.assign(document.createElement("input"), {
          type: "range",
          min: "0",
          max: "1",
          step: "0.05",
          value: "1",
          title: `Volume of ${u.name}`,
        });
        volume.oninput = () => earshot.setPeerVolume(sid, Number(volume.value));
        const mute = Object.assign(document.createElement("input"), {
          type: "checkbox",
          title: `Mute ${u.name} for me`,
        });
        mute.onchange = () => earshot.setPeerMuted(sid, mute.checked);
        const muteLabel = el("label", " mute");
        muteLabel.prepend(mute);
        controls.append(volume, muteLabel, personMenu(client, u, showError));
        li.append(controls);
        list.append(li);
        rows.set(sid, (row = { li, meta, badge, level: level.firstElementChild as HTMLElement }));
      }
      const a = avatars.get(sid);
      const distance = a ? `${Vector3.Distance(me, a.body.position.add(new Vector3(0, 0.8, 0))).toFixed(1)} m` : "far";
      const dot = el("span", "", `dot ${u.status}`);
      row.meta.replaceChildren(
        dot,
        document.createTextNode(
          `${u.status} · ${u.micMuted ? "mic off" : "mic on"} · ${distance}${hearsMe(sid) ? " · hears you" : ""}`,
        ),
      );
      const level = speaking.has(sid) ? Math.min(1, earshot.levelOf(sid) * 4) : 0;
      row.level.style.transform = `scaleX(${level.toFixed(2)})`;
      row.badge.hidden = !u.moderator;
      row.li.classList.toggle("speaking", speaking.has(sid));
      row.li.classList.toggle("hears-you", hearsMe(sid));
    });
    for (const [sid, row] of rows) {
      if (!present.has(sid)) {
        row.li.remove();
        rows.delete(sid);
      }
    }
  }
  setInterval(renderPeople, 300);
  // Moderators see the moderation entries of each person's menu.
  const amModerator = () =>
    document.body.classList.toggle("moderator", client.people.get(client.sessionId ?? "")?.moderator === true);
  client.on("personChanged", amModerator);
  client.on("personJoined", amModerator);
  showModerationNotices(client, $("moderated"));
  showStage(client, $("stage-status"));

  // ---- chat ---------------------------------------------------------------------------
  const messages = $("messages");
  const pending = new Map<string, HTMLElement>();
  let unread = 0;
  const line = (who: string, text: string, cls = "") => {
    const li = el("li", "", cls);
    li.append(el("span", who, "who"), document.createTextNode(text));
    return li;
  };
  const add = (li: HTMLElement) => {
    messages.append(li);
    messages.scrollTop = messages.scrollHeight;
  };
  function renderChat(): void {
    messages.replaceChildren(...client.messages.map((m: ChatMessage) => line(m.name, m.content)));
    messages.scrollTop = messages.scrollHeight;
  }
  renderChat();
  client.on("joined", () => renderChat());
  client.on("chat", (m) => {
    add(line(m.name, m.content));
    if ($("chat").classList.contains("collapsed")) {
      unread++;
      $("unread").textContent = String(unread);
      $("unread").hidden = false;
    }
  });
  client.on("chatStatus", (s) => {
    if (s.status === "pending") {
      const li = line(name, s.content, "pending");
      li.append(el("span", "sending…", "status"));
      pending.set(s.clientMessageId, li);
      add(li);
      return;
    }
    const li = pending.get(s.clientMessageId);
    pending.delete(s.clientMessageId);
    if (!li) return;
    li.className = s.status;
    li.querySelector(".status")!.textContent = s.status === "delivered" ? "✓" : `not sent: ${s.error.message}`;
    if (s.status === "failed")
      showError(
        s.error.code === "rate_limited"
          ? `Slow down: try again in ${Math.ceil((s.error.retryAfterMs ?? 1000) / 1000)} s.`
          : s.error.message,
      );
  });
  client.on("serverError", (e) => showError(e.message));
  let errorTimer: ReturnType<typeof setTimeout> | undefined;
  function showError(text: string): void {
    $("chat-error").textContent = text;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => ($("chat-error").textContent = ""), 5_000);
  }
  const input = $<HTMLInputElement>("say-text");
  $("say").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const max = client.limits?.maxChatChars ?? 500;
    if (chatLength(text) > max) return showError(`Messages are limited to ${max} characters.`);
    client.sendChat(text);
    input.value = "";
    client.setTyping(false);
    input.blur(); // Enter sends and hands the keyboard back to the world
  });
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener("input", () => {
    if (!typingTimer) client.setTyping(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      typingTimer = undefined;
      client.setTyping(false);
    }, 2_000);
  });
  const typists = new Map<string, string>();
  client.on("typing", (t) => {
    const who = client.people.get(t.sessionId)?.name ?? "Someone";
    if (t.isTyping) typists.set(t.sessionId, who);
    else typists.delete(t.sessionId);
    $("typing").textContent = typists.size ? `${[...typists.values()].join(", ")} typing…` : "";
  });
  $("collapse").addEventListener("click", () => {
    const collapsed = $("chat").classList.toggle("collapsed");
    Object.assign($("collapse"), { textContent: collapsed ? "+" : "–", title: collapsed ? "Expand" : "Collapse" });
    if (!collapsed) {
      unread = 0;
      $("unread").hidden = true;
    }
  });

  // ---- voice controls, connection, audio unlock, XR --------------------------------------
  const mic = $<HTMLButtonElement>("mic");
  let micOn = true;
  const renderMic = () => {
    // A moderator's mute wins until it ends; then the mic is as the person left it.
    const on = micOn && !client.mutedByModerator;
    mic.textContent = on ? "Mic on" : "Mic off";
    mic.classList.toggle("off", !on);
    mic.disabled = client.mutedByModerator;
  };
  client.on("moderated", renderMic);
  mic.onclick = () => {
    micOn = !micOn;
    if (micOn) earshot.unmute();
    else earshot.mute();
    client.setPresence("online");
    renderMic();
  };
  window.addEventListener(
    "keydown",
    (e) => e.code === "KeyV" && !e.repeat && !micOn && !isTyping() && earshot.unmute(),
  );
  window.addEventListener("keyup", (e) => e.code === "KeyV" && !micOn && earshot.mute());
  const devices = $<HTMLSelectElement>("device");
  const inputs = (await navigator.mediaDevices.enumerateDevices().catch(() => [])).filter(
    (d) => d.kind === "audioinput",
  );
  devices.replaceChildren(
    ...inputs.map((d, i) =>
      Object.assign(document.createElement("option"), {
        value: d.deviceId,
        textContent: d.label || `Microphone ${i + 1}`,
      }),
    ),
  );
  devices.onchange = () => void earshot.useMicrophone(devices.value);
  client.on("connectionState", (s) => ($("banner").hidden = s !== "reconnecting" && s !== "connecting"));
  const unblock = $<HTMLButtonElement>("unblock");
  earshot.onAudioBlockedObservable.add(() => (unblock.hidden = false));
  unblock.onclick = () => void earshot.unlockAudio().then(() => (unblock.hidden = true));
  canvas.addEventListener("pointerdown", () => void earshot.unlockAudio().then(() => (unblock.hidden = true)), {
    once: true,
  });
  // Bubbles over whoever speaks in chat, on the desktop and in VR.
  earshot.enableChatBubbles();
  // VR: the button shows only where WebXR offers immersive-vr. Nothing is fetched: controller
  // models stay off (Earshot draws simple ones), and so do hand tracking and teleportation.
  let xrSession: EarshotXR | undefined;
  if (await navigator.xr?.isSessionSupported("immersive-vr").catch(() => false)) {
    const xr = await world.scene.createDefaultXRExperienceAsync({
      disableDefaultUI: true,
      disableTeleportation: true,
      disableHandTracking: true,
      disableNearInteraction: true,
      inputOptions: { doNotLoadControllerMeshes: true, disableOnlineControllerRepository: true },
      // The right hand's ray types on the keyboard; the left one holds the chat panel.
      pointerSelectionOptions: { preferredHandedness: "right" },
    });
    xrSession = earshot.enableXR(xr, {
      collide: (head, step, dt) => world.walk(head, step, dt),
      zoneLabel: (id) => ZONES[id as ZoneId]?.label ?? id,
    });
    xrSession.onEnterObservable.add((camera) => (world.xrHead = () => camera.globalPosition));
    xrSession.onExitObservable.add(() => (world.xrHead = undefined));
    const vr = $<HTMLButtonElement>("vr");
    vr.hidden = false;
    vr.onclick = () => void xr.baseExperience.enterXRAsync("immersive-vr", "local-floor");
  }
  document.addEventListener("visibilitychange", () => client.setPresence(document.hidden ? "away" : "online"));

  // For scripted runs and tests: a read-only view of what the page shows.
  Object.assign(window, {
    demo: {
      earshot,
      avatars,
      xr: () => xrSession,
      speaking: () => [...speaking],
      zone: () => zone,
      teleport: (x: number, z: number) => world.teleport(x, z),
      /** Walks to (x, z) in a straight line at `speedMS` (through walls: a scripted walk). */
      walkTo: (x: number, z: number, speedMS = 8) =>
        new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const p = world.camera.position;
            const d = Math.hypot(x - p.x, z - p.z);
            const step = Math.min(d, speedMS * 0.05);
            world.teleport(p.x + ((x - p.x) / (d || 1)) * step, p.z + ((z - p.z) / (d || 1)) * step);
            if (d <= speedMS * 0.05) {
              clearInterval(timer);
              resolve();
            }
          }, 50);
        }),
    },
  });
  document.body.dataset.ready = "true";
}

const name = params.get("name");
if (name) {
  const at = params.get("at")?.split(",").map(Number) as [number, number] | undefined;
  const zone = (params.get("zone") as ZoneId | null) ?? (at ? zoneAt(at[0]) : "events");
  void start(
    name,
    params.get("avatar") ?? "sky",
    zone in ZONES ? zone : "events",
    at && at.every(Number.isFinite) ? at : undefined,
  );
} else {
  const form = $<HTMLFormElement>("join");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(form);
    void start(data.get("name") as string, data.get("avatar") as string, data.get("zone") as ZoneId);
  });
}
