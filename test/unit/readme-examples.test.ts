import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
/** The first fenced ```ts block after `after` in a markdown file. */
function tsBlock(markdown: string, after = ""): string {
  const from = markdown.indexOf("```ts\n", markdown.indexOf(after)) + "```ts\n".length;
  return markdown.slice(from, markdown.indexOf("```", from));
}

// The examples are built from packed packages with strict TypeScript (test/integration/packed.test.ts);
// the READMEs quote them, so what a reader copies compiles.
test("the Babylon README's snippet is examples/babylon-scene/main.ts, verbatim", () => {
  expect(tsBlock(read("packages/babylon/README.md"))).toBe(read("examples/babylon-scene/main.ts"));
});

test("every line of the server README's attach snippet is in examples/colyseus-server", () => {
  const example = read("examples/colyseus-server/src/server.ts");
  const lines = tsBlock(read("server/README.md"), "## Inside your own Colyseus server")
    .split("\n")
    .map((l) => l.replace(/\s*\/\/.*$/, "").trim())
    .filter(Boolean);
  expect(lines.length).toBeGreaterThan(4);
  for (const line of lines) expect(example).toContain(line);
});
