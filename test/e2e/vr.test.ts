import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { bootServer } from "../helpers/server.js";
import { buildApp, describeWithChromium, launch, open, toneWav } from "../helpers/browser.js";
import { eventually } from "../helpers/bot.js";

const SHOTS = "test-results";
const IWER = readFileSync(createRequire(import.meta.url).resolve("iwer/build/iwer.min.js"), "utf8");
/** Meta's emulated Quest 3 in the page before its scripts, as `window.__xr`. */
const INSTALL = `${IWER}
;(() => {
  const d = new IWER.XRDevice(IWER.metaQuest3);
  d.installRuntime({ forceInstall: true });
  d.stereoEnabled = true;
  window.__xr = d;
})();`;

type Demo = any;
/** Runs `fn(window.demo, arg)` in the page. */
const on = async <T>(p: Page, fn: (demo: Demo, arg: any) => T, arg?: unknown): Promise<T> => {
  const handle = await p.evaluateHandle(() => (window as any).demo);
  return handle.evaluate<T, unknown>(fn, arg);
};
/** Runs `fn(window.__xr, arg)` in the page: the emulated headset. */
const device = async <T>(p: Page, fn: (d: any, arg: any) => T, arg?: unknown): Promise<T> => {
  const handle = await p.evaluateHandle(() => (window as any).__xr);
  return handle.evaluate<T, unknown>(fn, arg);
};

describeWithChromium("VR: an emulated Quest 3 beside a desktop page", () => {
  let server: Awaited<ReturnType<typeof bootServer>>;
  let vrBrowser: Browser;
  let deskBrowser: Browser;
  let vr: Page;
  let desk: Page;
  let vrSid: string;
  let deskSid: string;
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = await buildApp("demo");
    server = await bootServer({ tickMs: 50 }, { env: { EARSHOT_STATIC_DIR: dir } });
    [vrBrowser, deskBrowser] = await Promise.all([launch(toneWav(520)), launch(toneWav(880))]);
    const context = await vrBrowser.newContext({ viewport: { width: 640, height: 400 }, permissions: ["microphone"] });
    await context.addInitScript({ content: INSTALL });
    vr = await context.newPage();
    vr.on("request", (r) => requests.push(r.url()));
    await vr.goto(`${server.url}/?name=Vera&zone=events&at=-3,8&avatar=violet`);
    await vr.waitForFunction(() => document.body.dataset.ready === "true", undefined, { timeout: 60_000 });
    desk = await open(deskBrowser, `${server.url}/?name=Desk&zone=events&at=-3,11&avatar=gold`, {
      width: 320,
      height: 200,
    });
    vrSid = await on(vr, (d) => d.earshot.client.sessionId);
    deskSid = await on(desk, (d) => d.earshot.client.sessionId);
  }, 180_000);
  afterAll(async () => {
    await vrBrowser?.close();
    await deskBrowser?.close();
    await server?.close();
  });

  const hears = (p: Page, peer: string) => on(p, (d, id) => d.earshot.levelOf(id) > 0.01, peer);

  test("Enter VR from 3 m: the view starts at the avatar, and both still hear each other", async () => {
    await eventually(async () => (await hears(vr, deskSid)) && (await hears(desk, vrSid)), 20_000, "voice both ways");
    const before = await on(vr, (d) => d.earshot.localAvatarPosition().asArray());
    await vr.click("#vr"); // a real click: the session needs user activation
    await eventually(() => on(vr, (d) => !!d.xr()?.active), 15_000, "immersive session");
    expect(await device(vr, (d) => !!d.activeSession)).toBe(true);
    const xrCam = await on(vr, (d) => d.xr().xr.baseExperience.camera.globalPosition.asArray());
    expect(Math.hypot(xrCam[0] - before[0], xrCam[2] - before[2])).toBeLessThan(0.3);
    // And facing where the avatar faced (the desktop camera looked along +z).
    const [fx, , fz] = await on(
      vr,
      (d) => d.xr().xr.baseExperience.camera.getForwardRay(1).direction.asArray() as number[],
    );
    expect(fz!).toBeGreaterThan(0.9);
    expect(Math.abs(fx!)).toBeLessThan(0.3);
    await eventually(async () => (await hears(vr, deskSid)) && (await hears(desk, vrSid)), 10_000, "voice in VR");
  });

  const head = () => on(vr, (d) => d.xr().xr.baseExperience.camera.globalPosition.asArray() as number[]);
  const deskAt = () => on(desk, (d) => d.earshot.localAvatarPosition().asArray() as number[]);
  const flat = (a: number[], b: number[]) => Math.hypot(a[0]! - b[0]!, a[2]! - b[2]!);
  /** Moves the emulated head along its own z axis to `z`, at `speedMS`, as a person walking the room. */
  const walkHead = (z: number, speedMS = 8) =>
    device(
      vr,
      (d, a) =>
        new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const now = d.position.z as number;
            const step = Math.sign(a.z - now) * Math.min(Math.abs(a.z - now), a.speedMS * 0.05);
            d.position.set(d.position.x, d.position.y, now + step);
            if (Math.abs(a.z - now - step) < 1e-6) {
              clearInterval(timer);
              resolve();
            }
          }, 50);
        }),
      { z, speedMS },
    );
  const press = async (hand: "left" | "right", button: string) => {
    await device(vr, (d, a) => d.controllers[a.hand].updateButtonValue(a.button, 1), { hand, button });
    await vr.waitForTimeout(120); // a press lasts a few frames
    await device(vr, (d, a) => d.controllers[a.hand].updateButtonValue(a.button, 0), { hand, button });
    await vr.waitForTimeout(120);
  };
  const silentAtDesk = () => on(desk, (d, id) => d.earshot.levelOf(id) < 0.003, vrSid);

  test("room-scale: walking the head 30 m away silences the VR user at the desktop page; walking back restores it", async () => {
    const start = await head();
    const z0 = await device(vr, (d) => d.position.z as number);
    const t0 = Date.now();
    await walkHead(z0 + 30);
    const walked = Date.now();
    const far = await head();
    expect(flat(far, await deskAt())).toBeGreaterThan(24);
    await eventually(silentAtDesk, 5_000, "the desktop stops hearing the VR user");
    console.log(
      `30 m walked in ${((walked - t0) / 1000).toFixed(1)} s; silent at the desktop ${((Date.now() - walked) / 1000).toFixed(1)} s after arriving`,
    );
    // The desktop page's avatar of the VR user follows the head.
    await eventually(
      async () => {
        const a = await on(desk, (d, id) => d.avatars.get(id)?.body.position.asArray() as number[] | undefined, vrSid);
        return !!a && flat(a, far) < 1.5;
      },
      5_000,
      "the avatar at the head",
    );
    await walkHead(z0);
    expect(flat(await head(), start)).toBeLessThan(0.5);
    await eventually(() => hears(desk, vrSid), 15_000, "voice back");
  }, 60_000);

  test("mic controls: X mutes (silence at the desktop) and unmutes; with push-to-talk, heard only while squeezing", async () => {
    await press("left", "x-button");
    const t0 = Date.now();
    await eventually(silentAtDesk, 5_000, "silence after X");
    console.log(`X to silence at the desktop: ${Date.now() - t0} ms (after the press was released)`);
    expect(await on(vr, (d) => d.xr().panel?.micText)).toBe("Muted (X)");
    expect(await on(vr, (d) => d.earshot.client.muted)).toBe(true);
    await press("left", "x-button");
    await eventually(() => hears(desk, vrSid), 5_000, "voice after the second X");

    await on(vr, (d) => d.xr().setPushToTalk(true));
    await eventually(silentAtDesk, 5_000, "push-to-talk: silent while not held");
    await device(vr, (d) => d.controllers.left.updateButtonValue("squeeze", 1));
    await eventually(() => hears(desk, vrSid), 5_000, "heard while the squeeze is held");
    await device(vr, (d) => d.controllers.left.updateButtonValue("squeeze", 0));
    await eventually(silentAtDesk, 5_000, "silent after letting go");
    await on(vr, (d) => d.xr().setPushToTalk(false));
    await eventually(() => hears(desk, vrSid), 5_000, "voice with push-to-talk off");
  }, 60_000);

  const evil = "<b>hi</b> & <img src=x onerror=alert(1)>";
  test("reading chat: the desktop's message shows on the wrist panel as literal text, and as a bubble over the avatar", async () => {
    await on(desk, (d, text) => d.earshot.client.sendChat(text), evil);
    await eventually(
      async () => (await on(vr, (d) => d.xr().panel.texts() as string[])).includes(`Desk: ${evil}`),
      10_000,
      "the message on the wrist panel",
    );
    const bubble = await on(
      vr,
      (d, id) => d.earshot.enableChatBubbles().textOver(d.avatars.get(id).body) as string | undefined,
      deskSid,
    );
    expect(bubble).toBe(evil);
  });

  test("typing chat: Y opens the keyboard; the right ray and trigger type h, i, ↵; the desktop page gets hi", async () => {
    await press("left", "y-button");
    expect(await on(vr, (d) => d.xr().keyboard?.visible)).toBe(true);
    const typed: string[] = [];
    for (const key of ["h", "i", "\u21B5"]) {
      // Aim: the key where the right controller's ray points (the keyboard is moved onto the ray,
      // as a person would raise the keyboard in front of the pointer).
      await on(
        vr,
        (d, k) => {
          const kb = d.xr().keyboard;
          const rows = kb.keyboard.children as any[];
          const button = rows.flatMap((r: any) => r.children).find((b: any) => b.textBlock?.text === k);
          const mesh = kb.mesh;
          const local = mesh.position.constructor.prototype.constructor;
          const u = button.centerX / 1280;
          const v = button.centerY / 800;
          const point = new local((u - 0.5) * 0.8, (0.5 - v) * 0.5, 0);
          const world = local.TransformCoordinates(point, mesh.computeWorldMatrix(true));
          const right = d.xr().xr.input.controllers.find((c: any) => c.inputSource.handedness === "right");
          const ray = right.pointer;
          const target = ray.absolutePosition.add(ray.forward.scale(0.6));
          mesh.position.addInPlace(target.subtract(world));
          mesh.computeWorldMatrix(true);
        },
        key,
      );
      await eventually(
        () =>
          on(vr, (d) => {
            const right = d.xr().xr.input.controllers.find((c: any) => c.inputSource.handedness === "right");
            return d.xr().xr.pointerSelection.getMeshUnderPointer(right.uniqueId)?.name === "earshot-keyboard";
          }),
        5_000,
        "the ray on the keyboard",
      );
      await vr.waitForTimeout(100); // and a frame on the key itself
      await press("right", "trigger");
      typed.push(await on(vr, (d) => d.xr().keyboard.draft as string));
    }
    await eventually(
      async () =>
        (
          await on(desk, (d) => d.earshot.client.messages.map((m: any) => `${m.name}: ${m.content}`) as string[])
        ).includes("Vera: hi"),
      10_000,
      "hi at the desktop",
    );
    expect(typed).toEqual(["h", "hi", ""]);
    await eventually(
      async () => (await on(vr, (d) => d.xr().panel.texts() as string[])).includes("Vera: hi ✓"),
      5_000,
      "delivered on the wrist",
    );
    await press("left", "y-button");
    expect(await on(vr, (d) => d.xr().keyboard.visible)).toBe(false);
  }, 60_000);

  test("screenshots: both eyes with the wrist panel, a bubble and a speaking ring", async () => {
    await on(desk, (d) => d.earshot.client.sendChat("Look at my bubble"));
    // The left hand raised in front of the eyes, the panel turned towards them.
    await device(vr, (d) => {
      d.controllers.left.position.set(d.position.x - 0.1, d.position.y - 0.2, d.position.z - 0.42);
      d.controllers.left.quaternion.set(0, 0, 0, 1);
    });
    await eventually(() => on(vr, (d, id) => d.speaking().includes(id), deskSid), 10_000, "the speaking ring");
    await eventually(
      () =>
        on(
          vr,
          (d, id) => d.earshot.enableChatBubbles().textOver(d.avatars.get(id).body) === "Look at my bubble",
          deskSid,
        ),
      5_000,
      "the bubble",
    );
    await vr.waitForTimeout(500); // a few frames rendered with all of it
    await vr.screenshot({ path: `${SHOTS}/vr-eyes.png` });
  });

  /**
   * Points the right controller's ray at the control `name` of the wrist panel and pulls the
   * trigger: the panel is held up on the ray, facing it, as a person raises the wrist in front
   * of the pointer.
   */
  const pressOnPanel = async (name: string) => {
    await on(
      vr,
      (d, n) => {
        const x = d.xr();
        const mesh = x.panel.mesh;
        const button = x.panel.texture.getControlByName(n);
        const right = x.xr.input.controllers.find((c: any) => c.inputSource.handedness === "right");
        const ray = right.pointer;
        const V = mesh.position.constructor;
        const Q = x.xr.baseExperience.camera.rotationQuaternion.constructor;
        mesh.setParent(null);
        mesh.rotationQuaternion = Q.FromLookDirectionLH(ray.forward.negate(), V.Up()); // its face towards the pointer
        const w = 0.26;
        const h = (w * 768) / 1024;
        const point = new V((button.centerX / 1024 - 0.5) * w, (0.5 - button.centerY / 768) * h, 0);
        const world = V.TransformCoordinates(point, mesh.computeWorldMatrix(true));
        mesh.position.addInPlace(ray.absolutePosition.add(ray.forward.scale(0.4)).subtract(world));
        mesh.computeWorldMatrix(true);
      },
      name,
    );
    await eventually(
      () =>
        on(vr, (d) => {
          const x = d.xr();
          const right = x.xr.input.controllers.find((c: any) => c.inputSource.handedness === "right");
          return x.xr.pointerSelection.getMeshUnderPointer(right.uniqueId)?.name === "earshot-wrist-panel";
        }),
      5_000,
      "the ray on the wrist panel",
    );
    await vr.waitForTimeout(100); // and a frame on the control itself
    await press("right", "trigger");
  };

  test("people on the wrist: Block (ray and trigger) closes the link with the desktop page; Unblock restores it", async () => {
    const deskUser = await on(desk, (d) => d.earshot.client.userId as string);
    await eventually(() => hears(desk, vrSid), 10_000, "voice before");
    await pressOnPanel("page-switch");
    expect(await on(vr, (d) => d.xr().panel.peopleShown)).toBe(true);
    await eventually(
      async () => (await on(vr, (d) => d.xr().panel.people.buttons() as string[])).includes(`block-${deskUser}`),
      5_000,
      "Desk on the people page",
    );
    await pressOnPanel(`block-${deskUser}`);
    await eventually(silentAtDesk, 5_000, "the desktop no longer hears the VR user");
    expect(await on(vr, (d) => d.earshot.client.hearers as string[])).not.toContain(deskSid);
    expect(await on(vr, (d) => d.xr().panel.people.buttons() as string[])).toContain(`unblock-${deskUser}`);
    // Raised before the eyes for the picture.
    await on(vr, (d) => {
      const x = d.xr();
      const camera = x.xr.baseExperience.camera;
      const mesh = x.panel.mesh;
      const V = mesh.position.constructor;
      const ahead = camera.getDirection(V.Forward());
      mesh.position.copyFrom(camera.globalPosition.add(ahead.scale(0.32)));
      mesh.rotationQuaternion = camera.rotationQuaternion.constructor.FromLookDirectionLH(ahead.negate(), V.Up());
    });
    await vr.waitForTimeout(300); // rendered there
    await vr.screenshot({ path: `${SHOTS}/vr-people.png` });
    await pressOnPanel(`unblock-${deskUser}`);
    await eventually(() => hears(desk, vrSid), 20_000, "heard again after Unblock");
    await pressOnPanel("page-switch");
    expect(await on(vr, (d) => d.xr().panel.peopleShown)).toBe(false);
    expect(await on(vr, (d) => d.xr().panel.texts() as string[])).toEqual(
      expect.arrayContaining(["Earshot: Blocked Desk.", "Earshot: Unblocked Desk."]),
    );
    // Back on the wrist.
    await on(vr, (d) => {
      const x = d.xr();
      const left = x.xr.input.controllers.find((c: any) => c.inputSource.handedness === "left");
      const mesh = x.panel.mesh;
      mesh.rotationQuaternion = null;
      mesh.parent = left.grip ?? left.pointer;
      mesh.position.set(0, 0.08, -0.06);
      mesh.rotation.set(Math.PI / 3, 0, 0);
    });
  }, 60_000);

  test("locomotion: the left stick walks where you look, a wall stops it, the doorway changes zone", async () => {
    const flick = async (x: number) => {
      await device(vr, (d, v) => d.controllers.right.updateAxes("thumbstick", v, 0), x);
      await vr.waitForTimeout(150);
      await device(vr, (d) => d.controllers.right.updateAxes("thumbstick", 0, 0));
      await vr.waitForTimeout(150);
    };
    const forward = () =>
      on(vr, (d) => d.xr().xr.baseExperience.camera.getForwardRay(1).direction.asArray() as number[]);
    const stick = (y: number) => device(vr, (d, v) => d.controllers.left.updateAxes("thumbstick", 0, v), y);
    await device(vr, (d) => {
      d.controllers.left.position.set(d.position.x - 0.2, d.position.y - 0.5, d.position.z - 0.2);
      d.controllers.left.quaternion.set(0, 0, 0, 1);
    });
    await flick(1);
    await flick(1);
    const f = await forward();
    expect(f[0]!).toBeGreaterThan(0.9); // facing +x: towards the dividing wall
    const from = await head();
    await stick(-1);
    await eventually(async () => (await head())[0]! > from[0]! + 1.5, 5_000, "walking towards the wall");
    await vr.waitForTimeout(2_500); // keep pushing into the wall
    const stopped = await head();
    await stick(0);
    expect(stopped[0]!).toBeLessThan(-0.4); // the wall's face is at x = -0.5
    expect(await on(vr, (d) => d.earshot.client.zoneId)).toBe("events");

    // Turn right again (facing -z), walk to the doorway's line, turn left, walk through.
    await flick(1);
    await flick(1);
    await stick(-1);
    await eventually(async () => (await head())[2]! < 0.3, 15_000, "in front of the doorway");
    await stick(0);
    await flick(-1);
    await flick(-1);
    await stick(-1);
    await eventually(() => on(vr, (d) => d.earshot.client.zoneId === "movies"), 15_000, "through the doorway");
    await stick(0);
    await eventually(() => on(vr, (d) => d.earshot.stats().voices === 0), 10_000, "the Events link closed");
    // The panel shows Movies' chat once the new zone's history is in (the join may finish after the link closed).
    await eventually(
      async () => !(await on(vr, (d) => d.xr().panel.texts() as string[])).includes("Vera: hi ✓"),
      10_000,
      "the panel cleared for Movies",
    );
  }, 90_000);

  test("offline: every request of the VR page went to the server's origin", () => {
    const origin = new URL(server.url).origin;
    const foreign = requests.filter((u) => !u.startsWith(origin) && !/^(data|blob):/.test(u));
    expect(requests.length).toBeGreaterThan(3);
    expect(foreign).toEqual([]);
  });

  test("cleanup: leaving VR hands the place back to the desktop camera; dispose() leaves nothing of Earshot's", async () => {
    const last = await head();
    await on(vr, (d) => d.xr().xr.baseExperience.exitXRAsync());
    await eventually(() => on(vr, (d) => !d.xr().active), 10_000, "session ended");
    expect(flat(await on(vr, (d) => d.earshot.localAvatarPosition().asArray() as number[]), last)).toBeLessThan(0.5);
    const left = await on(vr, async (d) => {
      const scene = d.earshot.scene;
      const before = scene.onBeforeRenderObservable.observers.length;
      const input = d.xr().xr.input;
      const added = input.onControllerAddedObservable.observers.length;
      const session = d.xr();
      await d.earshot.dispose();
      return {
        removed: before - scene.onBeforeRenderObservable.observers.length,
        controllerObserversRemoved: added - input.onControllerAddedObservable.observers.length,
        xrObservers: [session.onEnterObservable, session.onExitObservable, session.onMuteToggledObservable].map(
          (o: any) => o.observers.length,
        ),
        meshes: scene.meshes.filter((m: any) => m.name.startsWith("earshot-")).map((m: any) => m.name),
        gui: scene.textures.filter((t: any) => t.getClassName() === "AdvancedDynamicTexture").length,
      };
    });
    expect(left.meshes).toEqual([]);
    expect(left.gui).toBe(0);
    // The plugin's frame, the XR frame and the bubbles' frame, plus the GUI textures' own.
    expect(left.removed).toBeGreaterThanOrEqual(3);
    expect(left.controllerObserversRemoved).toBe(1);
    expect(left.xrObservers).toEqual([0, 0, 0]);
    expect(await on(vr, (d) => d.earshot.stats())).toMatchObject({ voices: 0, peerConnections: 0, observers: 0 });
  });
});
