// Procedural looks of the plaza: textures drawn on canvases, stage lights, a moving film.
// Nothing is downloaded.
import { DynamicTexture } from "@babylonjs/core/Materials/Textures/dynamicTexture.js";
import { Texture } from "@babylonjs/core/Materials/Textures/texture.js";
import { StandardMaterial } from "@babylonjs/core/Materials/standardMaterial.js";
import { Color3 } from "@babylonjs/core/Maths/math.color.js";
import { Vector3 } from "@babylonjs/core/Maths/math.vector.js";
import { CreateBox } from "@babylonjs/core/Meshes/Builders/boxBuilder.js";
import { CreateCylinder } from "@babylonjs/core/Meshes/Builders/cylinderBuilder.js";
import { CreatePlane } from "@babylonjs/core/Meshes/Builders/planeBuilder.js";
import type { Mesh } from "@babylonjs/core/Meshes/mesh.js";
import type { Scene } from "@babylonjs/core/scene.js";

type Ctx = CanvasRenderingContext2D;

/** A deterministic pseudo-random sequence: the same plaza on every machine and screenshot. */
function random(seed: number): () => number {
  return () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
}

/** A tiled material whose 512 px texture `draw` paints once, repeated `repeat` times. */
function tiled(scene: Scene, name: string, repeat: [number, number], draw: (ctx: Ctx, size: number) => void) {
  const size = 512;
  const texture = new DynamicTexture(
    `${name}-tex`,
    { width: size, height: size },
    scene,
    false,
    Texture.BILINEAR_SAMPLINGMODE,
  );
  draw(texture.getContext() as unknown as Ctx, size);
  texture.update();
  texture.wrapU = texture.wrapV = Texture.WRAP_ADDRESSMODE;
  texture.uScale = repeat[0];
  texture.vScale = repeat[1];
  const m = new StandardMaterial(name, scene);
  m.diffuseTexture = texture;
  m.specularColor = new Color3(0.06, 0.06, 0.06);
  return m;
}

/** Stone paving: slightly uneven slabs with grout between them. */
export function paving(scene: Scene, repeat: [number, number]): StandardMaterial {
  return tiled(scene, "paving", repeat, (ctx, size) => {
    const rnd = random(7);
    ctx.fillStyle = "#6d6a64";
    ctx.fillRect(0, 0, size, size);
    const n = 4;
    const slab = size / n;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const v = 150 + Math.floor(rnd() * 30);
        ctx.fillStyle = `rgb(${v}, ${v - 4}, ${v - 12})`;
        ctx.fillRect(i * slab + 3, j * slab + 3, slab - 6, slab - 6);
        for (let k = 0; k < 40; k++) {
          const s = 100 + Math.floor(rnd() * 80);
          ctx.fillStyle = `rgba(${s}, ${s}, ${s - 8}, 0.25)`;
          ctx.fillRect(i * slab + 3 + rnd() * (slab - 10), j * slab + 3 + rnd() * (slab - 10), 4, 4);
        }
      }
  });
}

/** Plastered brick: courses of warm bricks under a pale wash. */
export function brick(scene: Scene, repeat: [number, number]): StandardMaterial {
  return tiled(scene, "brick", repeat, (ctx, size) => {
    const rnd = random(11);
    ctx.fillStyle = "#d9d0c2";
    ctx.fillRect(0, 0, size, size);
    const rows = 8;
    const h = size / rows;
    const w = size / 4;
    for (let r = 0; r < rows; r++)
      for (let c = -1; c < 4; c++) {
        const x = c * w + (r % 2 ? w / 2 : 0);
        const tone = 200 + Math.floor(rnd() * 35);
        ctx.fillStyle = `rgb(${tone}, ${tone - 28}, ${tone - 52})`;
        ctx.fillRect(x + 3, r * h + 3, w - 6, h - 6);
      }
  });
}

/** Carpet for the cinema floor and the stage: a dark weave with a small pattern. */
export function carpet(scene: Scene, name: string, base: string, dot: string, repeat: [number, number]) {
  return tiled(scene, name, repeat, (ctx, size) => {
    ctx.fillStyle = base;
    ctx.fillRect(0, 0, size, size);
    ctx.fillStyle = dot;
    for (let x = 16; x < size; x += 32)
      for (let y = 16; y < size; y += 32) {
        ctx.beginPath();
        ctx.arc(x + ((y / 32) % 2) * 16, y, 4, 0, Math.PI * 2);
        ctx.fill();
      }
  });
}

/** A glowing, unlit surface (backdrop, screen, light beams). */
function glowing(scene: Scene, name: string, texture: DynamicTexture): StandardMaterial {
  const m = new StandardMaterial(name, scene);
  m.diffuseColor = Color3.Black();
  m.specularColor = Color3.Black();
  m.emissiveTexture = texture;
  m.disableLighting = true;
  return m;
}

/**
 * Dresses the Events stage (`stage`, a box): a lit backdrop with the event's title, a truss
 * and three coloured beams onto the stage. The beams are glowing cones, not lights: every
 * extra light is shader work on every lit pixel, and phones render on little.
 */
export function dressStage(scene: Scene, stage: Mesh): void {
  const { x, z } = stage.position;
  const top = stage.getBoundingInfo().boundingBox.maximumWorld.y;
  const width = stage.getBoundingInfo().boundingBox.extendSizeWorld.x * 2;
  const back = z + stage.getBoundingInfo().boundingBox.extendSizeWorld.z;

  const texture = new DynamicTexture("backdrop-tex", { width: 1024, height: 384 }, scene, false);
  const ctx = texture.getContext() as unknown as Ctx;
  const sky = ctx.createLinearGradient(0, 0, 0, 384);
  sky.addColorStop(0, "#1a1446");
  sky.addColorStop(1, "#6b2a6e");
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, 1024, 384);
  const rnd = random(3);
  ctx.fillStyle = "rgba(255, 255, 255, 0.8)";
  for (let i = 0; i < 120; i++) ctx.fillRect(rnd() * 1024, rnd() * 384, 2, 2);
  ctx.strokeStyle = "rgba(255, 210, 31, 0.85)";
  ctx.lineWidth = 6;
  for (let r = 40; r <= 160; r += 40) {
    ctx.beginPath();
    ctx.arc(512, 230, r, -Math.PI * 0.8, -Math.PI * 0.2);
    ctx.stroke();
  }
  ctx.fillStyle = "white";
  ctx.textAlign = "center";
  ctx.font = "bold 96px system-ui, sans-serif";
  ctx.fillText("EARSHOT LIVE", 512, 300);
  ctx.font = "36px system-ui, sans-serif";
  ctx.fillText("talks · music · you", 512, 350);
  texture.update();
  const backdrop = CreatePlane("backdrop", { width, height: 6 }, scene);
  backdrop.position.set(x, top + 3, back + 0.3);
  backdrop.material = glowing(scene, "backdrop", texture);

  // The truss: two posts and a bar over the front edge of the stage.
  const steel = new StandardMaterial("truss", scene);
  steel.diffuseColor = new Color3(0.2, 0.2, 0.24);
  const front = z - stage.getBoundingInfo().boundingBox.extendSizeWorld.z;
  for (const side of [-1, 1]) {
    const post = CreateBox("truss-post", { width: 0.3, height: 7, depth: 0.3 }, scene);
    post.position.set(x + (side * width) / 2, 3.5, front);
    post.material = steel;
  }
  const bar = CreateBox("truss-bar", { width: width + 0.3, height: 0.3, depth: 0.3 }, scene);
  bar.position.set(x, 7, front);
  bar.material = steel;

  // Three beams from the bar onto the stage.
  const colours = ["#ff4fa3", "#35d0ff", "#ffd21f"].map((c) => Color3.FromHexString(c));
  colours.forEach((colour, i) => {
    const from = new Vector3(x + (i - 1) * (width / 3), 6.8, front);
    const onto = new Vector3(x + (i - 1) * (width / 4), top, z + 1);
    const direction = onto.subtract(from).normalize();
    const length = Vector3.Distance(from, onto);
    const beam = CreateCylinder(`beam-${i}`, { height: length, diameterTop: 0.3, diameterBottom: 2.6 }, scene);
    beam.position = from.add(onto).scale(0.5);
    // The cylinder stands along y: turn y onto the beam's direction.
    const axis = Vector3.Cross(Vector3.Up(), direction.negate());
    beam.rotationQuaternion = null;
    beam.rotate(axis.normalize(), Math.acos(Vector3.Dot(Vector3.Up(), direction.negate())));
    const m = new StandardMaterial(`beam-mat-${i}`, scene);
    m.emissiveColor = colour;
    m.disableLighting = true;
    m.alpha = 0.14;
    beam.material = m;
    beam.isPickable = false;
  });
}

/** Frames a second the film draws: enough to see it move, cheap on a phone. */
const FILM_FPS = 12;

/** Puts a film on `screen` (a box facing -z): a sunset with a sailing boat, looping. */
export function playFilm(scene: Scene, screen: Mesh): void {
  const W = 512;
  const H = 256;
  const texture = new DynamicTexture("film", { width: W, height: H }, scene, false);
  const front = CreatePlane("film-plane", { width: 19, height: 8.4 }, scene);
  front.parent = screen;
  front.position.z = -0.21; // just in front of the screen's face, toward the seats
  front.material = glowing(scene, "film-mat", texture);
  const ctx = texture.getContext() as unknown as Ctx;
  let t = 0;
  let due = 0;
  scene.onBeforeRenderObservable.add(() => {
    t += scene.getEngine().getDeltaTime() / 1000;
    // Drawn only while someone looks at it.
    if (t < due || !scene.activeCamera?.isInFrustum(front)) return;
    due = t + 1 / FILM_FPS;
    const sky = ctx.createLinearGradient(0, 0, 0, H);
    sky.addColorStop(0, "#2b3a8c");
    sky.addColorStop(0.6, "#f08a4b");
    sky.addColorStop(1, "#ffd27a");
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, W, H);
    const sunY = 120 + 40 * Math.sin(t * 0.4);
    ctx.fillStyle = "#fff1b8";
    ctx.beginPath();
    ctx.arc(W * 0.7, sunY, 34, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#1d3f73";
    ctx.fillRect(0, 170, W, H - 170);
    ctx.strokeStyle = "rgba(255, 255, 255, 0.5)";
    ctx.lineWidth = 2;
    for (let y = 180; y < H; y += 14) {
      ctx.beginPath();
      for (let x = 0; x <= W; x += 16) ctx.lineTo(x, y + 3 * Math.sin(x / 30 + t * 3 + y));
      ctx.stroke();
    }
    // The boat sails across, bobbing.
    const bx = ((t * 40) % (W + 120)) - 60;
    const by = 168 + 3 * Math.sin(t * 2.5);
    ctx.fillStyle = "#2a1c14";
    ctx.beginPath();
    ctx.moveTo(bx - 40, by);
    ctx.lineTo(bx + 40, by);
    ctx.lineTo(bx + 28, by + 14);
    ctx.lineTo(bx - 28, by + 14);
    ctx.fill();
    ctx.fillStyle = "#fafafa";
    ctx.beginPath();
    ctx.moveTo(bx, by - 70);
    ctx.lineTo(bx, by - 4);
    ctx.lineTo(bx + 34, by - 4);
    ctx.fill();
    texture.update();
  });
}
