import { describe, expect, test } from "vitest";
import { ErrorCode, joinRefusal, parseJoinRefusal } from "@earshot/protocol";
import { MoveLimiter } from "../../server/src/authority/movement.js";
import { pickSpawn, SPAWN_GAP_M } from "../../server/src/authority/spawn.js";
import { cleanText, distinctName, isReservedName, nameKey } from "../../server/src/chat/text.js";
import { IpLimits } from "../../server/src/guard/ipLimits.js";
import { LoginBackoff } from "../../server/src/guard/loginBackoff.js";
import { OriginPolicy } from "../../server/src/guard/origins.js";

const at = (x: number, z = 0) => ({ x, y: 0, z });

describe("movement limit", () => {
  test("a walker at 4 m/s, one update every 100 ms, is never corrected", () => {
    const m = new MoveLimiter(10, 1, 1, at(0), 0);
    for (let t = 100; t <= 60_000; t += 100) expect(m.claim(at((4 * t) / 1000), t).corrected).toBe(false);
    expect(m.position.x).toBeCloseTo(240);
  });

  test("a teleport is clamped along the way: no further than the budget (10 m/s × 1 s + 1 m)", () => {
    const m = new MoveLimiter(10, 1, 1, at(7000), 0);
    const move = m.claim(at(1, 1), 100_000); // a long wait saves no more than one second's worth
    expect(move.corrected).toBe(true);
    expect(Math.hypot(move.x - 7000, move.z)).toBeCloseTo(11);
    expect(move.x).toBeLessThan(7000); // towards the claim
  });

  test("a sweep at 20 updates/s gets no faster than the speed limit", () => {
    const m = new MoveLimiter(10, 1, 1, at(7000), 0);
    for (let t = 50; t <= 5_000; t += 50) m.claim(at(0), t);
    expect(7000 - m.position.x).toBeLessThanOrEqual(10 * 5 + 11);
  });

  test("jitter: updates bunched after a stall pass within the saved budget", () => {
    const m = new MoveLimiter(10, 1, 1, at(0), 0);
    // 500 ms of silence, then five updates at once covering 4 m/s × 0.5 s.
    const results = [0.4, 0.8, 1.2, 1.6, 2].map((x) => m.claim(at(x), 500).corrected);
    expect(results).toEqual([false, false, false, false, false]);
  });

  test("a server move (spawn) costs nothing", () => {
    const m = new MoveLimiter(10, 1, 1, at(0), 0);
    m.teleport(at(500), 0);
    expect(m.claim(at(505), 0)).toEqual({ x: 505, y: 0, z: 0, corrected: false });
  });
});

describe("spawn points", () => {
  test.each([
    ["an empty zone: the first point", [at(5)], [], at(5)],
    ["the first point taken: the next point", [at(0), at(100)], [at(0)], at(100)],
    ["no points configured: the origin", [], [], at(0)],
  ])("%s", (_what, points, occupied, expected) => {
    expect(pickSpawn(points, occupied)).toMatchObject(expected);
  });

  test("a crowd around one point: everybody lands at least the gap from everybody else", () => {
    const occupied: { x: number; y: number; z: number }[] = [];
    for (let i = 0; i < 60; i++) occupied.push(pickSpawn([at(-12)], occupied));
    for (const a of occupied)
      for (const b of occupied)
        if (a !== b) expect(Math.hypot(a.x - b.x, a.z - b.z)).toBeGreaterThanOrEqual(SPAWN_GAP_M - 1e-9);
  });

  test("the point's heading is kept", () => {
    expect(pickSpawn([{ x: 1, y: 2, z: 3, rotY: 1.5 }], []).rotY).toBe(1.5);
  });
});

describe("clean text", () => {
  test.each([
    ["NUL and bell", "a\u0000b\u0007c", "abc"],
    ["an escape sequence loses its ESC", "\u001b[31mred", "[31mred"],
    ["C1 controls", "a\u0085b\u009bc", "a bc"],
    ["newlines and tabs become spaces", "one\ntwo\tthree", "one two three"],
    ["a bidi override", "\u202Egnp.exe", "gnp.exe"],
    ["bidi embeddings and isolates", "\u202Aa\u202Bb\u202Cc\u2066d\u2067e\u2068f\u2069", "abcdef"],
    ["500 zero-width spaces", "x" + "\u200B".repeat(500) + "y", "xy"],
    ["a joiner inside a word", "Al\u200Dice", "Alice"],
    ["word joiner, BOM, soft hyphen", "a\u2060b\uFEFFc\u00ADd", "abcd"],
    ["a Hangul filler name", "\u3164", ""],
    ["NFC: e + combining acute", "e\u0301", "\u00E9"],
    ["only invisible: empty", "\u200B\u200C\u200D", ""],
    ["a family emoji keeps its joiners", "👨‍👩‍👧", "👨‍👩‍👧"],
    ["a skin tone in a joined sequence", "👩🏽‍💻", "👩🏽‍💻"],
    ["an emoji with VS16 and a joiner", "❤️‍🔥", "❤️‍🔥"],
    ["a flag tag sequence", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"],
    ["a regional-indicator flag", "🇫🇷", "🇫🇷"],
    ["plain text is untouched", "Hello, wörld! <b>hi</b>", "Hello, wörld! <b>hi</b>"],
  ])("%s", (_what, raw, expected) => {
    expect(cleanText(raw)).toBe(expected);
  });
});

describe("names", () => {
  test.each([
    ["Alice", "alice"],
    ["ALICE", "alice"],
    ["\u0410lice", "alice"], // Cyrillic А
    ["Al\u0456ce", "alice"], // Cyrillic і
  ])("%s looks like alice", (name, key) => {
    expect(nameKey(name)).toBe(nameKey(key));
  });

  test("different names stay different", () => {
    expect(nameKey("Alice")).not.toBe(nameKey("Alina"));
  });

  test.each(["admin", "Admin", "ADMIN", "\u0430dmin", "Moderator", "system", "Earshot"])("%s is reserved", (name) => {
    expect(isReservedName(name, ["admin", "moderator", "system", "earshot"])).toBe(true);
  });

  test("an ordinary name is not reserved", () => {
    expect(isReservedName("Adminton", ["admin"])).toBe(false);
  });

  test("a taken or look-alike name gets a visible suffix, the next free one", () => {
    const taken = new Set([nameKey("Alice"), nameKey("Alice 2")]);
    expect(distinctName("Alice", taken, 32)).toBe("Alice 3");
    expect(distinctName("\u0410lice", taken, 32)).toBe("\u0410lice 3");
    expect(distinctName("Bob", taken, 32)).toBe("Bob");
    expect([...distinctName("x".repeat(32), new Set([nameKey("x".repeat(32))]), 32)].length).toBe(32);
  });
});

describe("per-address limits", () => {
  test("connections: the cap counts the asking connection; closing frees a slot, once", () => {
    const limits = new IpLimits({ maxConnections: 2, joinsPerS: 5, joinBurst: 20 });
    const closes = [limits.opened("a"), limits.opened("a")];
    expect(limits.mayConnect("a")).toBe(true);
    const third = limits.opened("a");
    expect(limits.mayConnect("a")).toBe(false);
    expect(limits.mayConnect("b")).toBe(true);
    third();
    third();
    expect(limits.connections("a")).toBe(2);
    closes.forEach((c) => c());
    expect(limits.connections("a")).toBe(0);
  });

  test("joins: a burst of 20, then 5 a second, with the wait", () => {
    const limits = new IpLimits({ maxConnections: 20, joinsPerS: 5, joinBurst: 20 });
    const ok = Array.from({ length: 21 }, () => limits.join("a", 0).ok);
    expect(ok.filter(Boolean).length).toBe(20);
    expect(limits.join("a", 0)).toEqual({ ok: false, retryAfterMs: 200 });
    expect(limits.join("a", 200).ok).toBe(true);
    expect(limits.join("b", 0).ok).toBe(true);
  });
});

describe("admin login back-off", () => {
  test("10 failures in a minute: the 11th try waits, and the wait doubles", () => {
    const b = new LoginBackoff({ maxFailures: 10 });
    for (let i = 0; i < 9; i++) b.failed("ip", i);
    expect(b.retryAfterMs("ip", 9)).toBeUndefined();
    b.failed("ip", 9);
    expect(b.retryAfterMs("ip", 10)).toBe(9_999);
    b.failed("ip", 10_010); // after the wait, one more failure in the same minute
    expect(b.retryAfterMs("ip", 10_010)).toBe(20_000);
    expect(b.retryAfterMs("other", 10_010)).toBeUndefined();
  });

  test("failures spread beyond a minute never block; a success forgets", () => {
    const b = new LoginBackoff({ maxFailures: 10 });
    for (let i = 0; i < 30; i++) b.failed("ip", i * 7_000);
    expect(b.retryAfterMs("ip", 30 * 7_000)).toBeUndefined();
    for (let i = 0; i < 10; i++) b.failed("x", 0);
    b.succeeded("x");
    expect(b.retryAfterMs("x", 1)).toBeUndefined();
  });
});

describe("origins", () => {
  const policy = new OriginPolicy(["http://localhost:*", "https://game.example.com"]);
  test.each([
    [undefined, "h:1", true],
    ["http://h:1", "h:1", true],
    ["http://localhost:5173", "h:1", true],
    ["https://game.example.com", "h:1", true],
    ["https://evil.example", "h:1", false],
    ["https://game.example.com.evil.example", "h:1", false],
    ["http://localhost.evil.example:80", "h:1", false],
    ["null", "h:1", false],
  ])("Origin %s on host %s: %s", (origin, host, allowed) => {
    expect(policy.allows(origin, host)).toBe(allowed);
  });
});

describe("join refusals", () => {
  test("code and wait survive the trip through a message string", () => {
    expect(parseJoinRefusal(joinRefusal(ErrorCode.RateLimited, "slow down", 812.3))).toEqual({
      code: "rate_limited",
      retryAfterMs: 813,
    });
    expect(parseJoinRefusal(joinRefusal(ErrorCode.UnknownZone, "no zone: x"))).toEqual({ code: "unknown_zone" });
    expect(parseJoinRefusal("seat reservation expired")).toBeUndefined();
  });
});
