import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { ServerMessages } from "@earshot/protocol";
import { Bot, eventually } from "../helpers/bot.js";
import { bootServer, join } from "../helpers/server.js";
import { freePort } from "../helpers/process.js";
import { describeWithJanus, spawnListeners, startJanus } from "../helpers/janus.js";
import type { JanusProcess, ListenerProcess } from "../helpers/janus.js";

// The stage: a 4 m box at the origin. Everyone spawns far from it, then walks where the test says.
const STAGE = { id: "main", area: { kind: "box" as const, minX: -2, minZ: -2, maxX: 2, maxZ: 2 } };
const ZONES = {
  spawnPoints: { "*": [{ x: -500, y: 0, z: 0 }] },
  stages: { hall: [STAGE], lecture: [{ ...STAGE, speakers: "role" as const }] },
};
// Tokens: "speaker:<id>" has the speaker role, "mod:<id>" is a moderator, "user:<id>" neither.
const authenticate = (token: string | undefined) => {
  if (!token) return undefined;
  const [kind, id] = token.split(":");
  const roles = kind === "speaker" ? ["speaker"] : kind === "mod" ? ["moderator"] : [];
  return { id: id!, roles };
};
const admin = { authorization: `Basic ${Buffer.from("admin:test-password").toString("base64")}` };

const EVENTS = { stage_state: "stageState", stage_publish: "stagePublish", error: "serverError" } as const;

/** A bot's messages of a type from now on (through the client's events: a room handler would take them from it). */
function record<K extends keyof typeof EVENTS>(bot: Bot, type: K): Omit<ServerMessages[K], "type">[] {
  const seen: Omit<ServerMessages[K], "type">[] = [];
  bot.client.on(EVENTS[type], (m: object) => {
    const rest: Record<string, unknown> = { ...m };
    delete rest.type;
    seen.push(rest as Omit<ServerMessages[K], "type">);
  });
  return seen;
}

describeWithJanus("stages through a real Janus", () => {
  let janus: JanusProcess;
  let server: Awaited<ReturnType<typeof bootServer>>;
  const bots: Bot[] = [];
  const procs: ListenerProcess[] = [];
  const bot = async (name: string, freq: number, x: number, zone = "hall", token?: string) => {
    const b = new Bot(server.url, name, freq, 0.3, token);
    bots.push(b);
    await b.enter(zone, x);
    return b;
  };
  /** True when every listener in every process answers true. */
  const all = async (ask: { cmd: string; [k: string]: unknown }, want: (v: unknown) => boolean) =>
    (await Promise.all(procs.map((p) => p.ask<unknown[]>(ask)))).flat().every(want);

  beforeAll(async () => {
    janus = await startJanus();
    server = await bootServer({ tickMs: 50, ...ZONES }, { env: { JANUS_URL: janus.url }, authenticate });
  });
  afterEach(async () => {
    await Promise.all([...bots.splice(0).map((b) => b.close()), ...procs.splice(0).map((p) => p.close())]);
  });
  afterAll(async () => {
    await server?.close();
    await janus?.stop();
  });

  test("40 listeners all over the zone hear the speaker on stage; one beside them hears one voice; nobody within 1 s of stepping off", async () => {
    // 36 far away (30 m apart: out of earshot of the stage and of each other), 4 within earshot of the stage.
    const far: [number, number][] = Array.from({ length: 36 }, (_, i) => [
      60 + 30 * (i % 6),
      -75 + 30 * Math.floor(i / 6),
    ]);
    const near: [number, number][] = [
      [0, 6],
      [0, -9],
      [-12, 0],
      [8, 8],
    ];
    procs.push(
      ...(await Promise.all([
        spawnListeners(server.url, "hall", [...far.slice(0, 18), ...near.slice(0, 2)]),
        spawnListeners(server.url, "hall", [...far.slice(18), ...near.slice(2)]),
      ])),
    );
    const beside = await bot("beside", 660, 5);
    const speaker = await bot("speaker", 440, 4);
    const sid = speaker.client.sessionId!;
    const published = record(speaker, "stage_publish");
    await eventually(
      () => beside.listeners.has(sid) && beside.streamsWith(440) === 1,
      20_000,
      "Beside hears the speaker by link",
    );

    speaker.client.sendPosition(0, 0, 0);
    await eventually(
      () => all({ cmd: "hearing", speakerId: sid, freq: 440 }, (v) => v === true),
      30_000,
      "all 40 hear the stage",
    );
    expect(published).toEqual([{ stageId: "main", publish: true }]);
    // Not some other tone: the speaker's, at the right frequency (880 Hz is not it).
    expect(await all({ cmd: "hearing", speakerId: sid, freq: 880 }, (v) => v === false)).toBe(true);
    // One voice each: the stage replaced the links within earshot.
    await eventually(
      () => beside.hearsOnStage(sid, 440) && !beside.listeners.has(sid),
      10_000,
      "Beside on the stage stream",
    );
    expect(beside.streamsWith(440)).toBe(1);
    expect(await all({ cmd: "streams", freq: 440 }, (v) => v === 1)).toBe(true);

    speaker.client.sendPosition(4, 0, 0);
    const off = Date.now();
    await eventually(
      async () =>
        !beside.hearsOnStage(sid, 440) &&
        (await all({ cmd: "hearing", speakerId: sid, freq: 440 }, (v) => v === false)),
      5_000,
      "nobody receives the stage",
    );
    const silentMs = Date.now() - off;
    console.log(`stepped off: the stage voice was gone at all 41 listeners ${silentMs} ms later`);
    expect(silentMs).toBeLessThan(1_000);
    expect(published.at(-1)).toEqual({ stageId: "main", publish: false, reason: "stepped_off" });
    // Back off stage, Beside hears the speaker by link again: one voice still.
    await eventually(() => beside.listeners.has(sid) && beside.streamsWith(440) === 1, 20_000, "the link is back");
  }, 180_000);

  test("on a stage for speakers, a user without the role publishes nothing and is told why; granted the role, they go live", async () => {
    const listener = await bot("listener", 0, 60, "lecture");
    const ann = await bot("ann", 523, 4, "lecture", "user:ann");
    const errors = record(ann, "error");
    const published = record(ann, "stage_publish");
    const states = record(listener, "stage_state");
    ann.client.sendPosition(0, 0, 0);
    await eventually(() => errors.length > 0, 5_000, "an error");
    expect(errors[0]).toMatchObject({ code: "unauthorized", ref: "stage" });
    expect(errors[0]!.message).toMatch(/speaker role/);
    // A second of ticks: nothing is asked of her, nothing goes live.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(published).toEqual([]);
    expect(states).toEqual([]);
    expect(listener.stageListeners.size).toBe(0);
    // A stage_offer of her own is refused too.
    ann.client.room!.send("stage_offer", { stageId: "main", sdp: "v=0" });
    await eventually(() => errors.length > 1, 5_000, "a second error");
    expect(errors[1]).toMatchObject({ code: "unauthorized", ref: "stage" });

    const granted = await fetch(`${server.url}/admin/api/roles/ann`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ roles: ["speaker"] }),
    });
    expect(granted.ok).toBe(true);
    await eventually(() => listener.hearsOnStage(ann.client.sessionId!, 523), 20_000, "Ann heard once granted");
    expect(published).toEqual([{ stageId: "main", publish: true }]);
  });

  test("a moderator's mute unpublishes the speaker; unmuted, they are live again", async () => {
    const listener = await bot("listener", 0, 60);
    const mod = await bot("mia", 0, 90, "hall", "mod:mia");
    const speaker = await bot("sam", 440, 0, "hall", "speaker:sam");
    const sid = speaker.client.sessionId!;
    const published = record(speaker, "stage_publish");
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "Sam heard");
    // 60 m away, beyond the view radius: the avatar the voice plays from is shown all the same.
    await eventually(() => listener.client.people.get(sid)?.position !== undefined, 5_000, "Sam in view");
    expect(listener.client.people.get(sid)?.position).toMatchObject({ x: 0, z: 0 });
    await mod.client.moderate("mute", "sam");
    await eventually(() => !listener.hearsOnStage(sid, 440), 5_000, "Sam unpublished");
    expect(published).toContainEqual({ stageId: "main", publish: false, reason: "moderated" });
    await eventually(() => listener.client.people.get(sid)?.position === undefined, 5_000, "Sam out of view again");
    await mod.client.moderate("unmute", "sam");
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "Sam heard again");
  });

  test("a banned speaker is unpublished with their session", async () => {
    const listener = await bot("listener", 0, 60);
    const speaker = await bot("bo", 440, 0, "hall", "speaker:bo");
    const sid = speaker.client.sessionId!;
    const states = record(listener, "stage_state");
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "Bo heard");
    const banned = await fetch(`${server.url}/admin/api/bans/bo`, { method: "PUT", headers: admin });
    expect(banned.ok).toBe(true);
    await eventually(() => !listener.hearsOnStage(sid, 440), 5_000, "Bo unpublished");
    expect(states.at(-1)).toMatchObject({ stageId: "main", state: "idle", speakers: [] });
    await eventually(() => speaker.client.connectionState === "closed", 5_000, "Bo's client closed");
    await fetch(`${server.url}/admin/api/bans/bo`, { method: "DELETE", headers: admin });
  });

  test("a speaker who leaves voice is unpublished, and publishes again on coming back", async () => {
    const listener = await bot("listener", 0, 60);
    const speaker = await bot("speaker", 440, 0);
    const sid = speaker.client.sessionId!;
    const states = record(listener, "stage_state");
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "the speaker heard");
    speaker.client.leaveVoice();
    await eventually(() => states.at(-1)?.state === "idle", 5_000, "the stage idle");
    expect(listener.hearsOnStage(sid, 440)).toBe(false);
    speaker.startVoice();
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "the speaker heard again");
  });

  test("a speaker whose stage link is cut offers again by itself and is heard again", async () => {
    const listener = await bot("listener", 0, 60);
    const speaker = await bot("speaker", 440, 0);
    const sid = speaker.client.sessionId!;
    const states = record(listener, "stage_state");
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "the speaker heard");
    // As a network change would: the speaker's own connection to Janus closes.
    speaker.client.stage.connectionOf(sid)!.close();
    await eventually(() => states.some((st) => st.state === "idle"), 10_000, "Janus' hangup: off air");
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "heard again");
    expect(states.at(-1)).toMatchObject({ state: "live", speakers: [sid] });
  });

  test("asked to speak before the microphone is there, the client publishes once it is", async () => {
    const listener = await bot("listener", 0, 60);
    const speaker = new Bot(server.url, "late", 440);
    bots.push(speaker);
    const published = record(speaker, "stage_publish");
    await speaker.client.join("hall");
    speaker.client.sendPosition(0, 0, 0);
    await eventually(() => published.length > 0, 5_000, "stage_publish");
    expect(published).toEqual([{ stageId: "main", publish: true }]);
    speaker.startVoice();
    await eventually(() => listener.hearsOnStage(speaker.client.sessionId!, 440), 20_000, "the late microphone heard");
  });

  test("Janus killed mid-talk: clients get stage_state unavailable, and the talk resumes when it is back, nobody rejoining", async () => {
    const listener = await bot("listener", 0, 60);
    const speaker = await bot("speaker", 440, 0);
    const sid = speaker.client.sessionId!;
    const lid = listener.client.sessionId!;
    const states = record(listener, "stage_state");
    await eventually(() => listener.hearsOnStage(sid, 440), 20_000, "the talk");

    await janus.kill("SIGKILL");
    await eventually(() => states.some((s) => s.state === "unavailable"), 10_000, "stage_state unavailable");
    expect(states.find((s) => s.state === "unavailable")).toMatchObject({
      stageId: "main",
      speakers: [],
      reason: "janus_lost",
    });
    await eventually(() => !listener.hearsOnStage(sid, 440), 5_000, "the stage voice ended");

    await janus.restart();
    await eventually(() => listener.hearsOnStage(sid, 440), 30_000, "the talk resumed");
    expect(states.at(-1)).toMatchObject({ state: "live", speakers: [sid] });
    // The same sessions: nobody rejoined.
    expect(speaker.client.sessionId).toBe(sid);
    expect(listener.client.sessionId).toBe(lid);
    expect(speaker.client.connectionState).toBe("connected");
  });
});

describe("stages without Janus", () => {
  test("without JANUS_URL stages are off: room_joined lists them, stage_state says off, the speaker is heard by link", async () => {
    const server = await bootServer({ tickMs: 50, ...ZONES });
    const bots: Bot[] = [];
    try {
      const near = new Bot(server.url, "near", 0);
      const speaker = new Bot(server.url, "speaker", 440);
      bots.push(near, speaker);
      const states: ServerMessages["stage_state"][] = [];
      near.client.on("stageState", (s) => states.push(s));
      const joined = new Promise<ServerMessages["room_joined"]>((r) => near.client.once("joined", r));
      await near.enter("hall", 3);
      expect((await joined).stages).toEqual([
        { ...STAGE, speakers: "anyone", audio: { refDistance: 5, rolloffFactor: 0.5, maxDistance: 500 } },
      ]);
      await eventually(() => states.length > 0, 5_000, "stage_state");
      expect(states[0]).toMatchObject({ stageId: "main", state: "off", speakers: [], reason: "no_media_server" });
      const published = record(speaker, "stage_publish");
      await speaker.enter("hall", 0);
      await eventually(
        () => near.listeners.has(speaker.client.sessionId!) && near.streamsWith(440) === 1,
        20_000,
        "heard by link",
      );
      expect(published).toEqual([]);
    } finally {
      await Promise.all(bots.map((b) => b.close()));
      await server.close();
    }
  });
});

describe("a zone with a stage holds a larger audience", () => {
  test("with stages on, an instance of a zone with a stage takes STAGE_MAX_CLIENTS, other zones MAX_CLIENTS", async () => {
    // Janus need not answer for the cap: stages are on as soon as JANUS_URL is set.
    const port = await freePort();
    const server = await bootServer(
      { ...ZONES, maxClients: 2, stageMaxClients: 3 },
      { env: { JANUS_URL: `ws://127.0.0.1:${port}` } },
    );
    const rooms: Awaited<ReturnType<typeof join>>["room"][] = [];
    try {
      const into = async (zone: string) => {
        const j = await join(server.url, zone, `p${rooms.length}`);
        rooms.push(j.room);
        return j.room.roomId;
      };
      const hall = [await into("hall"), await into("hall"), await into("hall")];
      expect(new Set(hall).size).toBe(1);
      expect(await into("hall")).not.toBe(hall[0]);
      const plain = [await into("plain"), await into("plain"), await into("plain")];
      expect(plain[1]).toBe(plain[0]);
      expect(plain[2]).not.toBe(plain[0]);
    } finally {
      await Promise.all(rooms.map((r) => r.leave()));
      await server.close();
    }
  });
});

describeWithJanus("stages with Janus unreachable", () => {
  test("a configured Janus that is not there: stage_state unavailable; once it starts, the stage works", async () => {
    const port = await freePort();
    const server = await bootServer({ tickMs: 50, ...ZONES }, { env: { JANUS_URL: `ws://127.0.0.1:${port}` } });
    const bots: Bot[] = [];
    let janus: JanusProcess | undefined;
    try {
      const listener = new Bot(server.url, "listener", 0);
      bots.push(listener);
      const states: ServerMessages["stage_state"][] = [];
      listener.client.on("stageState", (s) => states.push(s));
      await listener.enter("hall", 60);
      await eventually(() => states.length > 0, 5_000, "stage_state");
      expect(states[0]).toMatchObject({
        stageId: "main",
        state: "unavailable",
        speakers: [],
        reason: "janus_unreachable",
      });
      // Chat and voice go on meanwhile.
      const speaker = new Bot(server.url, "speaker", 440);
      bots.push(speaker);
      await speaker.enter("hall", 0);
      janus = await startJanus(port);
      await eventually(() => states.at(-1)?.state === "live", 30_000, "live once Janus is up");
      await eventually(() => listener.hearsOnStage(speaker.client.sessionId!, 440), 20_000, "the speaker heard");
    } finally {
      await Promise.all(bots.map((b) => b.close()));
      await server.close();
      await janus?.stop();
    }
  });
});
