import { describe, expect, test } from "vitest";
import { SnapTurn, stickStep } from "../../packages/babylon/src/xr/locomotion.js";

describe("snap turn", () => {
  test("one turn per flick; the stick must come back to the middle before the next", () => {
    const turn = new SnapTurn();
    const seq = [0, 0.8, 1, 0.9, 0.5, 0.2, 0.9, -0.1, -0.95].map((x) => turn.update(x));
    const q = Math.PI / 4;
    expect(seq).toEqual([0, q, 0, 0, 0, 0, q, 0, -q]);
  });

  test("the angle and thresholds are options", () => {
    const turn = new SnapTurn({ angleRad: Math.PI / 6, threshold: 0.5, release: 0.1 });
    expect([0.6, 0.2, 0.6, 0.05, 0.6].map((x) => turn.update(x))).toEqual([Math.PI / 6, 0, 0, 0, Math.PI / 6]);
  });
});

describe("stick step", () => {
  test.each([
    ["forward while facing +z", 0, -1, 0, { x: 0, z: 2 }],
    ["forward while facing +x", 0, -1, Math.PI / 2, { x: 2, z: 0 }],
    ["right while facing +z", 1, 0, 0, { x: 2, z: 0 }],
    ["back while facing +z", 0, 1, 0, { x: 0, z: -2 }],
    ["a resting stick stays", 0.05, -0.1, 0, { x: 0, z: 0 }],
  ])("%s", (_what, x, y, yaw, expected) => {
    const s = stickStep(x, y, yaw, 2, 1);
    expect(s.x).toBeCloseTo(expected.x);
    expect(s.z).toBeCloseTo(expected.z);
  });

  test("diagonal pushes are no faster than straight ones", () => {
    const s = stickStep(1, -1, 0, 2, 1);
    expect(Math.hypot(s.x, s.z)).toBeCloseTo(2);
  });
});
