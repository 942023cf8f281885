import { describe, expect, test } from "vitest";
import type { ChatMessage } from "@earshot/protocol";
import { GuardedStore, SqliteChatStore, StoreUnavailableError, ThrottledLog } from "@earshot/server";
import type { NewChatMessage } from "@earshot/server";
import { until } from "../helpers/server.js";

/** A store whose database can be switched off, for the guard's logic (the real ones: test/outage). */
class SwitchableStore extends SqliteChatStore {
  up = true;
  calls = 0;
  onUnavailable?: (cause: StoreUnavailableError) => void;
  private seq = 0;
  constructor() {
    super(":memory:");
  }
  private check(): void {
    this.calls++;
    if (!this.up) throw new StoreUnavailableError("switched off");
  }
  override append(_zone: string, m: NewChatMessage): Promise<ChatMessage> {
    return Promise.resolve().then(() => {
      this.check();
      return { messageId: `msg_${++this.seq}`, ...m };
    });
  }
  override recent(): Promise<ChatMessage[]> {
    return Promise.resolve().then(() => (this.check(), []));
  }
  override after(): Promise<ChatMessage[]> {
    return this.recent();
  }
  override ping(): Promise<void> {
    return Promise.resolve().then(() => this.check());
  }
  override close(): Promise<void> {
    return Promise.resolve();
  }
}

const msg = { from: "u", name: "U", content: "hi", timestamp: 1 };

describe("GuardedStore", () => {
  test("the first outage error marks it down; calls then fail without touching the database; a probe brings it back", async () => {
    const inner = new SwitchableStore();
    const lines: string[] = [];
    const store = new GuardedStore(inner, { retryMs: 20, log: (l) => lines.push(l) });
    await store.append("z", msg);
    inner.up = false;
    await expect(store.append("z", msg)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.up).toBe(false);
    const callsWhenDown = inner.calls;
    for (let i = 0; i < 5; i++) await expect(store.append("z", msg)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(inner.calls - callsWhenDown).toBeLessThanOrEqual(2); // only probes reach it
    expect(await store.check()).toBe(false);
    inner.up = true;
    await until(() => store.up, 2_000, "the probe to find the store back");
    expect((await store.append("z", msg)).messageId).toBe("msg_2");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/unavailable/);
    expect(lines[1]).toMatch(/back after/);
    await store.close();
  });

  test("a store that reports a lost connection by itself is down before any call fails", async () => {
    const inner = new SwitchableStore();
    const store = new GuardedStore(inner, { retryMs: 10_000, log: () => {} });
    inner.onUnavailable?.(new StoreUnavailableError("idle connection closed"));
    expect(store.up).toBe(false);
    expect(await store.check()).toBe(false);
    await store.close();
  });

  test("other errors are bugs: rethrown, and the store stays up", async () => {
    const inner = new SwitchableStore();
    inner.recent = () => Promise.reject(new TypeError("bug"));
    const store = new GuardedStore(inner, { log: () => {} });
    await expect(store.recent("z", 5)).rejects.toBeInstanceOf(TypeError);
    expect(store.up).toBe(true);
    await store.close();
  });

  test("/healthz's check pings at most once per retryMs while up", async () => {
    const inner = new SwitchableStore();
    let now = 0;
    const store = new GuardedStore(inner, { retryMs: 1_000, log: () => {}, now: () => now });
    expect(await store.check()).toBe(true);
    expect(await store.check()).toBe(true);
    expect(inner.calls).toBe(1);
    now = 1_500;
    inner.up = false;
    expect(await store.check()).toBe(false);
    expect(store.up).toBe(false);
    await store.close();
  });
});

describe("ThrottledLog", () => {
  test.each([
    ["one key repeated within the interval", ["a", "a", "a"], [0, 10, 20], 1],
    ["two keys", ["a", "b", "a", "b"], [0, 1, 2, 3], 2],
    ["the same key after the interval", ["a", "a"], [0, 60_000], 2],
  ])("%s", (_what, keys, times, written) => {
    const lines: string[] = [];
    const log = new ThrottledLog((l) => lines.push(l), 60_000);
    keys.forEach((k, i) => log.log(k, `line ${k}`, times[i]));
    expect(lines).toHaveLength(written);
  });

  test("a line after a quiet interval says how many were held back", () => {
    const lines: string[] = [];
    const log = new ThrottledLog((l) => lines.push(l), 1_000);
    for (let t = 0; t < 5; t++) log.log("k", "refused", t);
    log.log("k", "refused", 2_000);
    expect(lines).toEqual(["refused", "refused (4 more like it since the last line)"]);
  });

  test("remembers at most maxKeys keys", () => {
    const lines: string[] = [];
    const log = new ThrottledLog((l) => lines.push(l), 60_000, 2);
    for (const k of ["a", "b", "c", "a"]) log.log(k, k, 0);
    expect(lines).toEqual(["a", "b", "c", "a"]);
  });
});
