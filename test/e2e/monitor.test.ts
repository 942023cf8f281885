import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bootServer, join } from "../helpers/server.js";
import { describeWithChromium, launch, toneWav } from "../helpers/browser.js";
import type { Browser } from "playwright-core";

describeWithChromium("the admin monitor", () => {
  let server: Awaited<ReturnType<typeof bootServer>>;
  let browser: Browser;
  beforeAll(async () => {
    server = await bootServer();
    browser = await launch(toneWav(440, 1));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("lists rooms by zone id with their user counts and names, fetching nothing from another host", async () => {
    await join(server.url, "events", "Ann");
    await join(server.url, "events", "Ben");
    await join(server.url, "movies", "Cid");
    const context = await browser.newContext({
      viewport: { width: 1280, height: 600 },
      httpCredentials: { username: "admin", password: "test-password" },
    });
    const page = await context.newPage();
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url)) foreign.push(r.url());
    });
    await page.goto(`${server.url}/admin/`);
    await page.getByText("Ann, Ben").waitFor({ timeout: 15_000 });
    await page.getByText("Cid").waitFor();
    const text = await page.locator("body").innerText();
    expect(text).toMatch(/events/);
    expect(text).toMatch(/movies/);
    mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/monitor.png" });
    expect(foreign).toEqual([]);
    await context.close();
  });
});
