import { describe, expect, test } from "vitest";
import { volumeAt } from "@earshot/protocol";
import { ProximityEngine } from "@earshot/server";
import type { Body } from "@earshot/server";

type World = Record<string, Partial<Body> & { x: number }>;
const body = (b: Partial<Body> & { x: number }): Body => ({ y: 0, z: 0, inVoice: true, micMuted: false, ...b });
const run = (engine: ProximityEngine, world: World) =>
  engine.tick(Object.entries(world).map(([id, b]) => [id, body(b)] as [string, Body]));
const linkSet = (engine: ProximityEngine, ids: string[]) =>
  ids.flatMap((a) => [...engine.partnersOf(a)].filter((b) => a < b).map((b) => `${a}-${b}`)).sort();

describe("pairs form and drop at the right distances", () => {
  // Each row: B's x on successive ticks (A stays at 0), and whether a link exists after each.
  test.each([
    ["forms within hearRadius", [19.9], [true]],
    ["does not form beyond hearRadius", [20.1], [false]],
    ["survives out to hearRadius*hysteresis", [10, 23.9], [true, true]],
    ["drops beyond hearRadius*hysteresis", [10, 24.1], [true, false]],
    ["no flapping for someone pacing at the edge", [19, 21, 19.5, 22, 20.5, 23], [true, true, true, true, true, true]],
    [
      "an edge-stander that once left does not re-form until within hearRadius",
      [10, 25, 22, 21, 19.5],
      [true, false, false, false, true],
    ],
  ])("%s", (_name, xs, want) => {
    const engine = new ProximityEngine();
    const got = xs.map((x) => {
      run(engine, { a: { x: 0 }, b: { x } });
      return engine.isLinked("a", "b");
    });
    expect(got).toEqual(want);
  });

  test("new_peer goes to the lower session id only; both sides learn a drop, with the reason", () => {
    const engine = new ProximityEngine({ refreshTicks: 1 });
    expect(run(engine, { zed: { x: 0 }, amy: { x: 5 } }).opened).toEqual([["amy", "zed"]]);
    expect(run(engine, { zed: { x: 0 }, amy: { x: 5 } }).opened).toEqual([]);
    expect(run(engine, { zed: { x: 0 }, amy: { x: 30 } }).closed).toEqual([
      { a: "amy", b: "zed", reason: "out_of_range" },
    ]);
    run(engine, { zed: { x: 0 }, amy: { x: 5 } });
    expect(run(engine, { zed: { x: 0 }, amy: { x: 5, inVoice: false } }).closed).toEqual([
      { a: "amy", b: "zed", reason: "voice_off" },
    ]);
    run(engine, { zed: { x: 0 }, amy: { x: 5 } });
    expect(run(engine, { zed: { x: 0 } }).closed).toEqual([{ a: "amy", b: "zed", reason: "left" }]);
  });

  test("with staggered searches, a pair that comes into range links within refreshTicks ticks", () => {
    const engine = new ProximityEngine({ refreshTicks: 4 });
    run(engine, { a: { x: 0 }, b: { x: 30 } });
    let ticks = 0;
    while (!engine.isLinked("a", "b") && ticks < 10) {
      run(engine, { a: { x: 0 }, b: { x: 10 } });
      ticks++;
    }
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect(ticks).toBeLessThanOrEqual(4);
  });

  test("only people in voice are linked, and a muted mic keeps its link", () => {
    const engine = new ProximityEngine();
    run(engine, { a: { x: 0 }, b: { x: 3, inVoice: false }, c: { x: 4, micMuted: true } });
    expect(linkSet(engine, ["a", "b", "c"])).toEqual(["a-c"]);
  });
});

describe("the cap", () => {
  const circle = (n: number, r: number): World =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `p${String(i).padStart(2, "0")}`,
        { x: r * Math.cos((2 * Math.PI * i) / n), z: r * Math.sin((2 * Math.PI * i) / n) },
      ]),
    );

  test("30 people in a 3 m circle: at most 8 links each, and the nearest win", () => {
    const engine = new ProximityEngine();
    const world = circle(30, 1.5);
    run(engine, world);
    const ids = Object.keys(world);
    const degrees = ids.map((id) => engine.partnersOf(id).size);
    expect(Math.max(...degrees)).toBe(8);
    expect(degrees.every((d) => d >= 6)).toBe(true); // greedy fills nearly everyone
    // On a ring the nearest are the neighbours: everyone is linked to both of theirs.
    for (let i = 0; i < 30; i++) {
      const next = ids[(i + 1) % 30]!;
      expect(engine.isLinked(ids[i]!, next)).toBe(true);
    }
  });

  test("a crowd of 200 never exceeds the cap, tick after tick", () => {
    const engine = new ProximityEngine();
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const world: World = {};
    for (let t = 0; t < 5; t++) {
      for (let i = 0; i < 200; i++) world[`u${i}`] = { x: rand() * 30, z: rand() * 30 };
      run(engine, world);
      for (const id of Object.keys(world)) expect(engine.partnersOf(id).size).toBeLessThanOrEqual(8);
    }
  });

  test("an existing link is kept over a newcomer who is only slightly nearer (no flapping at the cap)", () => {
    const engine = new ProximityEngine({ maxPeers: 1, refreshTicks: 1 });
    run(engine, { a: { x: 0 }, b: { x: 10 } });
    run(engine, { a: { x: 0 }, b: { x: 10 }, c: { x: -9 } });
    expect(engine.isLinked("a", "b")).toBe(true);
    const r = run(engine, { a: { x: 0 }, b: { x: 10 }, c: { x: -5 } });
    expect(engine.isLinked("a", "c")).toBe(true);
    expect(r.closed).toEqual([{ a: "a", b: "b", reason: "over_capacity" }]);
  });
});

describe("links, volumes and determinism", () => {
  const scatter = (seed: number, n: number): World => {
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    return Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`s${i}`, { x: rand() * 80, z: rand() * 80, y: rand() * 2 }]),
    );
  };

  test("links are symmetric", () => {
    const engine = new ProximityEngine();
    const world = scatter(3, 300);
    run(engine, world);
    for (const a of Object.keys(world))
      for (const b of engine.partnersOf(a)) expect(engine.partnersOf(b).has(a)).toBe(true);
  });

  test("cull_update volumes equal volumeAt(distance), and mutedPeers list the visible in-voice users not heard", () => {
    const engine = new ProximityEngine();
    const r = run(engine, {
      a: { x: 0 },
      b: { x: 8.5 },
      c: { x: 30 },
      d: { x: 4, micMuted: true },
      e: { x: 2, inVoice: false },
    });
    expect(r.cull).toContain("a");
    const a = engine.cullUpdate("a");
    expect(a.audiblePeers).toEqual([
      { peerId: "d", distance: 4, volume: Math.round(volumeAt(4) * 1000) / 1000 },
      { peerId: "b", distance: 8.5, volume: Math.round(volumeAt(8.5) * 1000) / 1000 },
    ]);
    expect(a.mutedPeers).toEqual(["c", "d"]);
    expect(r.cull).not.toContain("e");
  });

  test("cull_update is sent only when the set changes or a volume moves by 0.05", () => {
    const engine = new ProximityEngine({ refreshTicks: 1, volumeTicks: 1 });
    const cullFor = (bx: number) =>
      run(engine, { a: { x: 0 }, b: { x: bx } }).cull.includes("a") ? engine.cullUpdate("a") : undefined;
    expect(cullFor(5)).toBeDefined();
    expect(cullFor(5.3)).toBeUndefined(); // volume moved 0.017
    expect(cullFor(5.6)).toBeUndefined(); // 0.033 from what was sent
    expect(cullFor(6)).toBeDefined(); // 0.056
    expect(cullFor(30)?.audiblePeers).toEqual([]);
  });

  test("a volume-only change waits for volumeTicks after the last cull_update; a link change does not", () => {
    const engine = new ProximityEngine({ refreshTicks: 1, volumeTicks: 5 });
    const world = { a: { x: 0 }, b: { x: 5 }, c: { x: 100 } };
    const culledA = () => run(engine, world).cull.includes("a");
    expect(culledA()).toBe(true); // tick 1: first state
    world.b.x = 8; // volume 0.83 -> 0.67
    expect([2, 3, 4, 5].map(culledA)).toEqual([false, false, false, false]);
    expect(culledA()).toBe(true); // tick 6: 5 ticks after the last one
    world.c.x = 3; // a new link: at once
    expect(culledA()).toBe(true);
    expect(engine.cullUpdate("a").audiblePeers.map((p) => p.peerId)).toEqual(["c", "b"]);
  });

  test("views: the nearest within viewRadius, at most maxVisible, diffed", () => {
    const engine = new ProximityEngine({ maxVisible: 2, refreshTicks: 1, rescanTicks: 1 });
    const quiet = { inVoice: false }; // views alone: no links that would keep someone in view
    const r = run(engine, {
      a: { x: 0, ...quiet },
      b: { x: 10, ...quiet },
      c: { x: 20, ...quiet },
      d: { x: 30, ...quiet },
      far: { x: 500, ...quiet },
    });
    const seenBy = (id: string) =>
      r.viewAdd
        .filter(([v]) => v === id)
        .map(([, t]) => t)
        .sort();
    expect(seenBy("a")).toEqual(["b", "c"]);
    expect(seenBy("far")).toEqual([]);
    const r2 = run(engine, {
      a: { x: 0, ...quiet },
      b: { x: 10, ...quiet },
      c: { x: 40, ...quiet },
      d: { x: 15, ...quiet },
      far: { x: 500, ...quiet },
    });
    expect(r2.viewAdd.filter(([v]) => v === "a")).toEqual([["a", "d"]]);
    expect(r2.viewRemove.filter(([v]) => v === "a")).toEqual([["a", "c"]]);
  });

  test("the same input gives the same output", () => {
    const world = scatter(11, 500);
    const a = new ProximityEngine();
    const b = new ProximityEngine();
    const norm = (r: ReturnType<typeof run>) => JSON.stringify({ ...r, viewAdd: [...r.viewAdd].sort() });
    expect(norm(run(a, world))).toEqual(norm(run(b, world)));
    const reversed = Object.fromEntries(Object.entries(world).reverse());
    const c = new ProximityEngine();
    run(c, reversed);
    expect(linkSet(c, Object.keys(world))).toEqual(linkSet(a, Object.keys(world)));
  });

  test("the grid finds the same neighbours as all-pairs", () => {
    const world = scatter(5, 400);
    const engine = new ProximityEngine({ maxVisible: 10, viewRadius: 15 });
    const r = run(engine, world);
    for (const id of ["s0", "s17", "s123", "s399"]) {
      const me = world[id]!;
      const want = Object.entries(world)
        .filter(([o]) => o !== id)
        .map(([o, b]) => [o, Math.hypot(b.x - me.x, (b.y ?? 0) - (me.y ?? 0), (b.z ?? 0) - (me.z ?? 0))] as const)
        .filter(([, d]) => d <= 15)
        .sort((p, q) => p[1] - q[1])
        .slice(0, 10)
        .map(([o]) => o)
        .sort();
      const got = r.viewAdd.filter(([v]) => v === id).map(([, t]) => t);
      const partners = [...engine.partnersOf(id)];
      expect([...new Set([...want, ...partners])].sort()).toEqual(got.sort());
    }
  });
});

describe("failed links", () => {
  test("a failed link closes at once and re-pairs only after its cooldown", () => {
    const engine = new ProximityEngine({ refreshTicks: 1 });
    const world = { a: { x: 0 }, b: { x: 3 } };
    run(engine, world);
    expect(engine.failLink("a", "b", 3)).toEqual([{ a: "a", b: "b", reason: "failed" }]);
    expect(engine.isLinked("a", "b")).toBe(false);
    const opened = [1, 2, 3, 4].map(() => run(engine, world).opened.length);
    expect(opened).toEqual([0, 0, 1, 0]);
    expect(engine.failLink("a", "zzz", 3)).toEqual([]);
  });
});

describe("a user seen by many", () => {
  test("leaving voice reaches every muted list, also past the size of the who-sees-whom list", () => {
    // 12 people on the corners of an icosahedron around a speaker, each with 1 in view: the
    // speaker (5 m away; the corners are 5.26 m apart) is the one each of them sees.
    const engine = new ProximityEngine({ maxVisible: 1, maxPeers: 1 });
    const phi = (1 + Math.sqrt(5)) / 2;
    const corners = [-1, 1].flatMap((s) =>
      [-phi, phi].flatMap((t) => [
        [0, s, t],
        [s, t, 0],
        [t, 0, s],
      ]),
    );
    const world: Record<string, { x: number; y: number; z: number; inVoice?: boolean }> = {
      speaker: { x: 0, y: 0, z: 0 },
    };
    corners.forEach(([x, y, z], i) => {
      const k = 5 / Math.hypot(x!, y!, z!);
      world[`p${i}`] = { x: x! * k, y: y! * k, z: z! * k };
    });
    run(engine, world);
    const viewers = Object.keys(world).filter((id) => engine.visibleOf(id).has("speaker"));
    expect(viewers.length).toBe(12);
    for (const id of viewers)
      if (!engine.isLinked(id, "speaker")) expect(engine.cullUpdate(id).mutedPeers).toContain("speaker");
    world.speaker!.inVoice = false;
    const r = run(engine, world);
    for (const id of viewers) {
      expect(r.cull).toContain(id);
      expect(engine.cullUpdate(id).mutedPeers).not.toContain("speaker");
    }
  });
});

describe("what clients receive stays true", () => {
  test("applying only the diffs, every client's links, muted list and view match the engine, tick after tick", () => {
    const engine = new ProximityEngine({ maxVisible: 12, viewRadius: 30 });
    let seed = 99;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const world: Record<string, { x: number; z: number; micMuted?: boolean; inVoice?: boolean }> = {};
    for (let i = 0; i < 150; i++) world[`u${i}`] = { x: rand() * 120, z: rand() * 120, inVoice: rand() < 0.9 };
    type Seen = { audible: string[]; muted: string[]; view: Set<string> };
    const clients = new Map<string, Seen>();
    const client = (id: string) => {
      let c = clients.get(id);
      if (!c) clients.set(id, (c = { audible: [], muted: [], view: new Set() }));
      return c;
    };
    for (let t = 0; t < 120; t++) {
      for (const [id, b] of Object.entries(world)) {
        b.x = Math.min(120, Math.max(0, b.x + (rand() - 0.5) * 3));
        b.z = Math.min(120, Math.max(0, b.z + (rand() - 0.5) * 3));
        if (rand() < 0.02) b.micMuted = !b.micMuted;
        if (rand() < 0.005) b.inVoice = !(b.inVoice ?? true);
        if (rand() < 0.003) {
          delete world[id];
          clients.delete(id);
          // The room's way (on leave, before the tick) or noticed by the tick.
          if (rand() < 0.5) engine.dropLinks(id, "left", true);
        }
      }
      if (rand() < 0.3) world[`n${t}`] = { x: rand() * 120, z: rand() * 120 };
      const r = run(engine, world);
      for (const [viewer, target] of r.viewRemove) client(viewer).view.delete(target);
      for (const [viewer, target] of r.viewAdd) client(viewer).view.add(target);
      for (const id of r.cull) {
        const u = engine.cullUpdate(id);
        Object.assign(client(id), { audible: u.audiblePeers.map((p) => p.peerId).sort(), muted: u.mutedPeers });
      }
      for (const [id, b] of Object.entries(world)) {
        const c = client(id);
        const view = engine.visibleOf(id);
        expect([...c.view].filter((v) => v in world).sort()).toEqual([...view].sort());
        if (b.inVoice === false) continue;
        const partners = engine.partnersOf(id);
        const wantMuted = [...view]
          .filter((v) => world[v]!.inVoice !== false && (world[v]!.micMuted || !partners.has(v)))
          .sort();
        expect({ t, id, audible: c.audible, muted: c.muted }).toEqual({
          t,
          id,
          audible: [...partners].sort(),
          muted: wantMuted,
        });
      }
    }
  });
});
