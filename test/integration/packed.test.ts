import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, test } from "vitest";
import { Client } from "@colyseus/sdk";
import { Bot, eventually } from "../helpers/bot.js";
import { freePort, stop } from "../helpers/process.js";
import { hasChromium, launch, toneWav } from "../helpers/browser.js";
import type { Browser } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const PACKAGES = ["@earshot/protocol", "@earshot/client", "@earshot/babylon", "@earshot/server"];
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, {
    cwd,
    stdio: "pipe",
    env: { ...process.env, CI: "true" },
    maxBuffer: 64 * 2 ** 20,
  }).toString();

/** A fresh copy of an example outside the monorepo, with the packed tarballs in place of @earshot/*. */
function freshCopy(example: string, tarballs: Map<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "earshot-example-")), example);
  cpSync(join(root, "examples", example), dir, { recursive: true });
  const pkgFile = join(dir, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
    dependencies: Record<string, string>;
    overrides?: Record<string, string>;
  };
  pkg.overrides = {};
  for (const [name, file] of tarballs) {
    if (name in pkg.dependencies) pkg.dependencies[name] = `file:${file}`;
    // Dependencies between our packages resolve to the tarballs too, never to the registry.
    pkg.overrides[name] = `file:${file}`;
  }
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], dir);
  return dir;
}

let server: ChildProcess | undefined;
let browser: Browser | undefined;
const bots: Bot[] = [];
afterAll(async () => {
  await browser?.close();
  await Promise.all(bots.map((b) => b.close()));
  if (server) await stop(server);
});

test("packed packages install into fresh copies of examples/: strict tsc, vite build, the game server runs with plain node, its room and Earshot's work", async () => {
  run("npm", ["run", "build"], root);
  const packs = mkdtempSync(join(tmpdir(), "earshot-packs-"));
  run("npm", ["pack", "--pack-destination", packs, ...PACKAGES.flatMap((p) => ["-w", p])], root);
  const files = readdirSync(packs);
  const tarballs = new Map(
    PACKAGES.map((name) => [
      name,
      join(
        packs,
        files.find((f) => f.startsWith(name.slice(1).replace("/", "-")))!,
      ),
    ]),
  );
  expect([...tarballs.values()].every(Boolean)).toBe(true);
  // The server ships JavaScript and declarations, not TypeScript sources.
  const serverFiles = run("tar", ["-tzf", tarballs.get("@earshot/server")!], packs);
  expect(serverFiles).toMatch(/package\/dist\/index\.js/);
  expect(serverFiles).toMatch(/package\/dist\/index\.d\.ts/);
  expect(serverFiles).toMatch(/package\/README\.md/);
  expect(serverFiles).not.toMatch(/package\/src\//);

  // The Babylon page: strict TypeScript as Vite's template sets it, then a production build.
  const scene = freshCopy("babylon-scene", tarballs);
  run("npx", ["tsc", "--noEmit", "-p", "."], scene);
  run("npx", ["vite", "build", "--logLevel", "error"], scene);
  expect(readdirSync(join(scene, "dist"))).toContain("index.html");

  // The game server: compiled with tsc, started with plain node.
  const game = freshCopy("colyseus-server", tarballs);
  run("npx", ["tsc", "-p", "."], game);
  const port = await freePort();
  server = spawn(process.execPath, ["dist/server.js"], {
    cwd: game,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      ADMIN_PASSWORD: "pw",
      ICE_SERVERS: "[]",
      EARSHOT_DB: join(game, "data", "chat.db"),
      // The game server serves the built Babylon page too.
      EARSHOT_STATIC_DIR: join(scene, "dist"),
      ALLOW_CLIENT_SPAWN: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((ok, fail) => {
    server!.stdout!.on("data", (d: Buffer) => (out += d.toString()) && out.includes("listening") && ok());
    server!.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    server!.once("exit", (code) => fail(new Error(`the example server exited (${code}):\n${out}`)));
  });
  const url = `http://127.0.0.1:${port}`;

  const lobby = await new Client(url).joinOrCreate("lobby");
  const pong = new Promise<number>((r) => lobby.onMessage("pong", r));
  lobby.send("ping", 1);
  expect(await pong).toBe(2);

  const ann = new Bot(url, "Ann", 440);
  const ben = new Bot(url, "Ben", 880);
  bots.push(ann, ben);
  await ann.enter("events", 0);
  await ben.enter("events", 3);
  expect((await ann.client.sendChat("hi from the packed server").done).status).toBe("delivered");
  await eventually(() => ben.client.messages.some((m) => m.content === "hi from the packed server"), 5_000, "chat");
  await eventually(() => ann.hearsLinkedPeer(880) && ben.hearsLinkedPeer(440), 20_000, "a voice link");
  await lobby.leave();

  // The built Babylon page, opened in Chromium: Pat joins and is heard by Ann and Ben.
  if (!hasChromium) {
    if (process.env.CI === "true") throw new Error("Chromium is not installed, and CI=true requires it");
    console.warn("\n  SKIPPED the Babylon page in Chromium: Chromium is not installed\n");
    return;
  }
  browser = await launch(toneWav(660));
  const page = await (
    await browser.newContext({ viewport: { width: 320, height: 200 }, permissions: ["microphone"] })
  ).newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${url}/?name=Pat`);
  await eventually(
    () => [...ann.client.people.values()].some((p) => p.name === "Pat"),
    30_000,
    `Pat to join (${errors.join("; ")})`,
  );
  const hears = (bot: Bot, freq: number) => [...bot.listeners.values()].some((l) => l.magnitude(freq) > 0.05);
  await eventually(() => hears(ann, 660) && hears(ben, 660), 30_000, "Ann and Ben to hear Pat's page");
  expect(errors).toEqual([]);
}, 600_000);
