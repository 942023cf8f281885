import { beforeAll, expect, test } from "vitest";
import type { Page } from "playwright-core";
import type { bootServer } from "../helpers/server.js";
import { describeWithChromium, open } from "../helpers/browser.js";
import { eventually } from "../helpers/bot.js";
import { SHOTS, demoWorld } from "../helpers/demo.js";

const admin = {
  authorization: `Basic ${Buffer.from("admin:test-password").toString("base64")}`,
  "content-type": "application/json",
};
const client = (p: Page, what: string) => p.evaluate(`window.demo.earshot.client.${what}`);

describeWithChromium("the demo's moderation menu", () => {
  const world = demoWorld(440);
  let server: Awaited<ReturnType<typeof bootServer>>;
  let mod: Page;
  let vic: Page;

  beforeAll(async () => {
    server = world.server;
    mod = await open(world.browser, `${server.url}/?name=Moe&at=-12,0&avatar=violet`, { width: 900, height: 700 });
    vic = await open(world.browser, `${server.url}/?name=Vic&at=-12,3&avatar=coral`, { width: 900, height: 700 });
  }, 180_000);

  test("everyone gets block and report; a moderator also mutes, and the muted person sees why", async () => {
    const vicRow = (p: Page) => p.locator("#people li", { hasText: "Vic" });
    await eventually(async () => (await vicRow(mod).count()) === 1, 15_000, "Vic listed at Moe's");
    await vicRow(mod).locator("summary").click();
    expect(await vicRow(mod).getByRole("button", { name: "Block", exact: true }).isVisible()).toBe(true);
    expect(await vicRow(mod).getByRole("button", { name: "Mute for everyone", exact: true }).isVisible()).toBe(false);

    // An admin makes Moe a moderator: the entries and his badge appear without a reload.
    const moeId = (await client(mod, "userId")) as string;
    const granted = await fetch(`${server.url}/admin/api/roles/${moeId}`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ roles: ["moderator"] }),
    });
    expect(granted.status).toBe(204);
    await eventually(
      () => vicRow(mod).getByRole("button", { name: "Mute for everyone", exact: true }).isVisible(),
      10_000,
      "the moderator's entries",
    );
    const moeRow = vic.locator("#people li", { hasText: "Moe" });
    await eventually(() => moeRow.locator(".badge.mod").isVisible(), 10_000, "Moe's badge at Vic's");
    await mod.screenshot({ path: `${SHOTS}/moderation-menu.png` });

    await vicRow(mod).getByRole("button", { name: "Mute for everyone", exact: true }).click();
    await eventually(() => vic.locator("#moderated").isVisible(), 10_000, "Vic's notice");
    expect(await vic.locator("#moderated").innerText()).toMatch(/You were muted by a moderator until \d/);
    expect(await client(vic, "mutedByModerator")).toBe(true);
    expect(await vic.locator("#mic").innerText()).toBe("Mic off");
    expect(await vic.locator("#mic").isDisabled()).toBe(true);
    // Moe no longer hears Vic: the server closed their link.
    const vicSid = (await client(vic, "sessionId")) as string;
    await eventually(
      async () => !((await client(mod, "hearers")) as string[]).includes(vicSid),
      5_000,
      "the link closed",
    );
    await vic.screenshot({ path: `${SHOTS}/moderation-muted.png` });

    await vicRow(mod).locator("summary").click();
    await vicRow(mod).getByRole("button", { name: "Unmute for everyone", exact: true }).click();
    await eventually(async () => !(await vic.locator("#moderated").isVisible()), 10_000, "the notice gone");
    expect(await client(vic, "mutedByModerator")).toBe(false);
    expect(await vic.locator("#mic").innerText()).toBe("Mic on");
  }, 90_000);
});
