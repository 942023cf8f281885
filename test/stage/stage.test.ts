import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import type { ServerMessages } from "@earshot/protocol";
import { Bot, eventually } from "../helpers/bot.js";
import { bootServer } from "../helpers/server.js";
import { describeWithJanus, startJanus } from "../helpers/janus.js";
import type { JanusProcess } from "../helpers/janus.js";

const STAGE = { id: "main", area: { kind: "box" as const, minX: -2, minZ: -2, maxX: 2, maxZ: 2 } };
const authenticate = (token: string | undefined) => {
  if (!token) return undefined;
  const [kind, id] = token.split(":");
  return { id: id!, ...(kind === "speaker" && { roles: ["speaker"] }) };
};

describeWithJanus("stages through a real Janus", () => {
  let janus: JanusProcess;
  let server: Awaited<ReturnType<typeof bootServer>>;
  const bots: Bot[] = [];
  const bot = async (name: string, freq: number, x: number, zone = "hall", token?: string) => {
    const b = new Bot(server.url, name, freq, 0.3, token);
    bots.push(b);
    await b.enter(zone, x);
    return b;
  };

  beforeAll(async () => {
    janus = await startJanus();
    server = await bootServer(
      { tickMs: 50, spawnPoints: { "*": [{ x: -500, y: 0, z: 0 }] }, stages: { hall: [STAGE], lecture: [{ ...STAGE, speakers: "role" }] } },
      { env: { JANUS_URL: janus.url }, authenticate, log: (l) => console.log(l) },
    );
  });
  afterEach(async () => {
    await Promise.all(bots.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server?.close();
    await janus?.stop();
  });

  test("a speaker on stage is heard far out of earshot, once by a listener beside them, and by nobody after stepping off", async () => {
    const far = await bot("far", 880, 100);
    const near = await bot("near", 660, 5);
    const speaker = await bot("speaker", 440, 4);
    const sid = speaker.client.sessionId!;
    const states: ServerMessages["stage_state"][] = [];
    for (const b of [far, speaker]) b.client.room!.onMessage("*", (t, p) => String(t).startsWith("stage") || t === "error" ? console.log(b.client.name, t, JSON.stringify(p).slice(0, 150)) : undefined);
    far.client.on("stageState", (s) => states.push(s));
    // Within earshot: the link carries the speaker's voice first.
    await eventually(() => near.listeners.get(sid)?.magnitude(440) !== undefined && near.streamsWith(440) === 1, 20_000, "near hears the speaker by link");
    speaker.client.sendPosition(0, 0, 0);
    const t0 = Date.now();
    await eventually(() => far.hearsOnStage(sid, 440), 20_000, "far hears the stage");
    console.log("far hears after", Date.now() - t0, far.stageListeners.get(sid)?.magnitude(440), far.stageListeners.get(sid)?.magnitude(880));
    expect(states.at(-1)).toMatchObject({ stageId: "main", state: "live", speakers: [sid] });
    await eventually(() => near.hearsOnStage(sid, 440), 20_000, "near hears the stage");
    // One voice: the stage replaced the link.
    await eventually(() => !near.listeners.has(sid), 5_000, "the link closed");
    expect(near.streamsWith(440)).toBe(1);

    speaker.client.sendPosition(4, 0, 0);
    const off = Date.now();
    await eventually(() => !far.hearsOnStage(sid, 440) && !near.hearsOnStage(sid, 440), 5_000, "silence from the stage");
    console.log(`stepped off: stage voice gone at both listeners after ${Date.now() - off} ms`);
    expect(Date.now() - off).toBeLessThan(1_000);
  });
});
