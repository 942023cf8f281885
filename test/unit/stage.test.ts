import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STAGE_AUDIO, onStageArea, stageGainAt, stageOf } from "@earshot/protocol";
import { loadConfig } from "@earshot/server";

describe("stage geometry and loudness", () => {
  test("a box and a circle hold their inside and edges, not what is past them", () => {
    const box = { kind: "box" as const, minX: -32, minZ: 16, maxX: -16, maxZ: 24 };
    expect(onStageArea(box, -24, 20)).toBe(true);
    expect(onStageArea(box, -16, 24)).toBe(true);
    expect(onStageArea(box, -15.9, 20)).toBe(false);
    expect(onStageArea(box, -24, 15.9)).toBe(false);
    const circle = { kind: "circle" as const, x: 10, z: -5, radius: 3 };
    expect(onStageArea(circle, 10, -2)).toBe(true);
    expect(onStageArea(circle, 12.2, -2.8)).toBe(false);
  });

  test("the stage voice keeps full volume to refDistance, then falls as 1/d, flatter than conversation", () => {
    expect(stageGainAt(0)).toBe(1);
    expect(stageGainAt(STAGE_AUDIO.refDistance)).toBe(1);
    expect(stageGainAt(45)).toBeCloseTo(0.2, 10);
    expect(stageGainAt(95)).toBeCloseTo(0.1, 10);
    // Still heard at the back of a 100 m hall, where conversation (20 m) is silent.
    expect(stageGainAt(100)).toBeGreaterThan(0.09);
    expect(stageGainAt(20, { refDistance: 2, rolloffFactor: 1, maxDistance: 50 })).toBeCloseTo(0.1, 10);
  });

  test("a configured stage gets its defaults", () => {
    const area = { kind: "circle" as const, x: 0, z: 0, radius: 2 };
    expect(stageOf({ id: "main", area })).toEqual({ id: "main", area, speakers: "anyone", audio: STAGE_AUDIO });
    expect(stageOf({ id: "main", area, speakers: "role", audio: { rolloffFactor: 1 } }).audio).toEqual({
      ...STAGE_AUDIO,
      rolloffFactor: 1,
    });
  });
});

describe("stage configuration", () => {
  const stage = { id: "main", area: { kind: "box", minX: -32, minZ: 16, maxX: -16, maxZ: 24 } };

  test("from STAGES or from the file STAGES_FILE names; JANUS_URL turns them on", () => {
    expect(loadConfig({ STAGES: JSON.stringify({ events: [stage] }) }).zone.stages).toEqual({ events: [stage] });
    const file = join(mkdtempSync(join(tmpdir(), "earshot-stages-")), "stages.json");
    writeFileSync(file, JSON.stringify({ "*": [stage] }));
    const config = loadConfig({ STAGES_FILE: file, JANUS_URL: "ws://127.0.0.1:8188" });
    expect(config.zone.stages).toEqual({ "*": [stage] });
    expect(config.janusUrl).toBe("ws://127.0.0.1:8188");
    expect(loadConfig({}).zone.stages).toEqual({});
    expect(loadConfig({}).janusUrl).toBeUndefined();
  });

  test("a bad stage is a clear startup error", () => {
    expect(() => loadConfig({ STAGES: "{" })).toThrow(/STAGES must be JSON/);
    expect(() => loadConfig({ STAGES: JSON.stringify({ events: [{ ...stage, area: { kind: "square" } }] }) })).toThrow(
      /STAGES must be JSON/,
    );
    expect(() => loadConfig({ STAGES: JSON.stringify({ events: [stage, stage] }) })).toThrow(/stage id twice/);
  });
});
