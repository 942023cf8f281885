import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import SimplePeer from "simple-peer";
import { ErrorCode, EarshotError } from "@earshot/protocol";
import { EarshotClient, MicrophoneError } from "@earshot/client";
import type { ChatStatus, ConnectionState, PeerLike, ReconnectContext } from "@earshot/client";
import { SqliteChatStore, ZoneRoom } from "@earshot/server";
import type { ChatMessage } from "@earshot/protocol";
import type { NewChatMessage } from "@earshot/server";
import { bootServer, until } from "../helpers/server.js";
import { freePort } from "../helpers/process.js";

type Booted = Awaited<ReturnType<typeof bootServer>>;
const servers: Booted[] = [];
const clients: EarshotClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function boot(opts: Parameters<typeof bootServer>[1] = {}): Promise<Booted> {
  const s = await bootServer({}, opts);
  servers.push(s);
  return s;
}

/** A client that records its states and every retry its policy was asked about. */
function client(url: string, extra: Partial<ConstructorParameters<typeof EarshotClient>[0]> = {}) {
  const asked: ReconnectContext[] = [];
  const c = new EarshotClient({
    serverUrl: url,
    user: { name: "Tess" },
    createPeer: (o) => new SimplePeer(o as SimplePeer.Options) as unknown as PeerLike,
    iceServers: [],
    reconnect: {
      nextDelayMs: (ctx) => {
        asked.push(ctx);
        return ctx.attempt > 3 ? undefined : 100;
      },
    },
    ...extra,
  });
  clients.push(c);
  const states: { state: ConnectionState; reason?: Error }[] = [];
  c.on("connectionState", (state, reason) => states.push({ state, reason }));
  return { c, states, asked };
}

/** A zone room that asks the real version check about a client from another protocol version. */
class OldProtocolRoom extends ZoneRoom {
  override onAuth(...[client, options, context]: Parameters<ZoneRoom["onAuth"]>) {
    return super.onAuth(client, { ...(options as object), protocolVersion: 0 }, context);
  }
}

/** A zone room with a bug in its position handling. */
class BuggyRoom extends ZoneRoom {
  protected override place(): void {
    throw new TypeError("a bug in place()");
  }
}

/** A chat store whose writes hang until `release()`: chats stay pending. */
class StalledStore extends SqliteChatStore {
  private readonly stalled: ((err: Error) => void)[] = [];
  constructor() {
    super(":memory:");
  }
  override append(_zone: string, _m: NewChatMessage): Promise<ChatMessage> {
    return new Promise((_, reject) => this.stalled.push(reject));
  }
  release(): void {
    for (const reject of this.stalled.splice(0)) reject(new Error("released"));
  }
}

describe("refusals that waiting does not fix end closed, once, with the code, and are never retried", () => {
  test.each([
    ["protocol_mismatch", () => boot({ roomClass: OldProtocolRoom })],
    [
      "unauthorized",
      () =>
        boot({
          authenticate: () => {
            throw new Error("bad token");
          },
        }),
    ],
    [
      "banned",
      async () => {
        const s = await boot({ authenticate: () => ({ id: "user-tess" }) });
        await s.moderation.ban("user-tess");
        return s;
      },
    ],
  ])("%s", async (code, start) => {
    const server = await start();
    const { c, states, asked } = client(server.url);
    const err = await c.join("refused").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EarshotError);
    expect((err as EarshotError).code).toBe(code);
    expect(states.map((s) => s.state)).toEqual(["connecting", "closed"]);
    expect((states.at(-1)!.reason as EarshotError).code).toBe(code);
    expect((c.closeReason as EarshotError).code).toBe(code);
    expect(asked).toEqual([]);
  });
});

test("a failed first join ends closed with the error, not connecting", async () => {
  const port = await freePort();
  const { c, states } = client(`http://127.0.0.1:${port}`);
  await expect(c.join("nobody-home")).rejects.toBeInstanceOf(Error);
  expect(c.connectionState).toBe("closed");
  expect(states.map((s) => s.state)).toEqual(["connecting", "closed"]);
  expect(c.closeReason).toBeInstanceOf(Error);
});

/** A TCP proxy to `port` that can be cut for good, as a network that goes away. */
async function proxyTo(port: number): Promise<{ url: string; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((inbound) => {
    const outbound = connect(port, "127.0.0.1");
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => s.destroy());
      s.on("close", () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
    cut: async () => {
      const closed = new Promise<void>((r) => proxy.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

test("a join that never answers times out after joinTimeoutMs", async () => {
  const held = new Set<Socket>();
  const silent: Server = createServer((s) => held.add(s)); // accepts, never answers
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const port = (silent.address() as { port: number }).port;
  try {
    const { c } = client(`http://127.0.0.1:${port}`, { joinTimeoutMs: 300 });
    await expect(c.join("silent")).rejects.toThrow(/did not answer the join within 300 ms/);
    expect(c.connectionState).toBe("closed");
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test("an unexpected failure inside a handler gives internal, and the connection stays", async () => {
  const server = await boot({ roomClass: BuggyRoom });
  const { c } = client(server.url);
  await c.join("buggy");
  const error = new Promise<{ code: string; message: string }>((r) => c.on("serverError", r));
  c.sendPosition(1, 0, 1);
  expect(await error).toMatchObject({
    code: ErrorCode.Internal,
    message: "position: the server failed to handle this message",
  });
  expect((await c.sendChat("still connected").done).status).toBe("delivered");
  expect(c.connectionState).toBe("connected");
  expect(server.metrics.counters.get("earshot_uncaught_errors_total")).toBe(1);
});

test("a pending chat fails with a reason when the connection is cut for good", async () => {
  const store = new StalledStore();
  const server = await boot({ store });
  const proxy = await proxyTo(server.port);
  const { c } = client(proxy.url, { reconnect: { nextDelayMs: () => undefined } });
  await c.join("cut");
  const sent = c.sendChat("never stored");
  const statuses: ChatStatus[] = [];
  c.on("chatStatus", (s) => statuses.push(s));
  await until(() => server.metrics.counters.get("earshot_messages_total") === 1, 5_000, "the chat to reach the server");
  // The network goes away for good: the SDK's own reconnection fails, then the policy gives up.
  await proxy.cut();
  const done = await sent.done;
  store.release();
  expect(done.status).toBe("failed");
  expect(done.status === "failed" && done.error.code).toBe(ErrorCode.ConnectionClosed);
  expect(c.connectionState).toBe("closed");
  expect(statuses.map((s) => s.status)).toEqual(["failed"]);
}, 60_000);

test("close() twice, concurrently, resolves both after the room was left", async () => {
  const server = await boot();
  const { c } = client(server.url);
  await c.join("closing");
  const zoneUsers = async () =>
    (
      (await (await fetch(`${server.url}/api/zones`)).json()) as { zones: { zoneId: string; users: number }[] }
    ).zones.find((z) => z.zoneId === "closing")?.users ?? 0;
  expect(await zoneUsers()).toBe(1);
  const first = c.close();
  const second = c.close();
  await second;
  expect(await zoneUsers()).toBe(0);
  await first;
  expect(c.connectionState).toBe("closed");
  await c.close(); // and a third, later
});

test.each([
  ["NotAllowedError", "denied"],
  ["SecurityError", "denied"],
  ["NotFoundError", "not_found"],
  ["OverconstrainedError", "not_found"],
  ["NotReadableError", "in_use"],
  ["AbortError", "in_use"],
  ["TypeError", "other"],
])("a microphone failure %s reads as %s", async (name, reason) => {
  const server = await boot();
  const failure = Object.assign(new Error("no mic"), { name });
  const { c } = client(server.url, { getUserMedia: () => Promise.reject(failure) });
  const errors: MicrophoneError[] = [];
  c.on("micError", (e) => errors.push(e));
  expect(await c.openMicrophone()).toBeUndefined();
  expect(errors).toHaveLength(1);
  expect(errors[0]).toBeInstanceOf(MicrophoneError);
  expect(errors[0]!.reason).toBe(reason);
  expect(errors[0]!.cause).toBe(failure);
});
