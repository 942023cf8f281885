// The smallest Babylon page with Earshot: an existing scene gets spatial voice and chat.
import { Engine } from "@babylonjs/core/Engines/engine.js";
import { Scene } from "@babylonjs/core/scene.js";
import { FreeCamera } from "@babylonjs/core/Cameras/freeCamera.js";
import { HemisphericLight } from "@babylonjs/core/Lights/hemisphericLight.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { CreateBox } from "@babylonjs/core/Meshes/Builders/boxBuilder.js";
import { CreateGround } from "@babylonjs/core/Meshes/Builders/groundBuilder.js";
import { createEarshot } from "@earshot/babylon";
import type { Person } from "@earshot/client";

const canvas = document.querySelector("canvas")!;
const engine = new Engine(canvas);
const scene = new Scene(engine);
const camera = new FreeCamera("me", new Vector3(0, 1.7, 0), scene);
camera.attachControl(canvas);
new HemisphericLight("sky", new Vector3(0, 1, 0), scene);
CreateGround("ground", { width: 40, height: 40 }, scene);

const earshot = await createEarshot(scene, {
  serverUrl: new URLSearchParams(location.search).get("server") ?? location.origin,
  zoneId: "events",
  user: { name: new URLSearchParams(location.search).get("name") ?? "Ann" },
  // Each voice plays from its avatar's mesh; it waits until this returns one.
  avatarFor: ({ peerId }) => scene.getMeshByName(`avatar-${peerId}`),
  localAvatar: camera,
});

// Avatars from the typed roster: positions come only for people in view. Someone may
// arrive already in view (personJoined) or come into and out of view (personMoved).
const place = (person: Readonly<Person>) => {
  if (person.sessionId === earshot.client.sessionId) return;
  const name = `avatar-${person.sessionId}`;
  const mesh = scene.getMeshByName(name) ?? CreateBox(name, { height: 1.8 }, scene);
  mesh.setEnabled(person.position !== undefined);
  if (person.position) mesh.position.set(person.position.x, person.position.y + 0.9, person.position.z);
};
earshot.client.people.forEach(place); // already here when we joined
earshot.client.on("personJoined", place);
earshot.client.on("personMoved", place);
earshot.client.on("personLeft", (person) => scene.getMeshByName(`avatar-${person.sessionId}`)?.dispose());

// Chat is text, never HTML.
const log = document.querySelector("#chat")!;
earshot.client.on("chat", (m) => log.append(`${m.name}: ${m.content}\n`));
document.querySelector("form")!.addEventListener("submit", (e) => {
  e.preventDefault();
  const input = document.querySelector("input")!;
  earshot.client.sendChat(input.value);
  input.value = "";
});
document.querySelector("#unlock")!.addEventListener("click", () => void earshot.unlockAudio());

engine.runRenderLoop(() => scene.render());
addEventListener("resize", () => engine.resize());
