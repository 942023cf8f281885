import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { ENVELOPE_FIELDS, ErrorCode, clientMessages, serverMessages } from "@earshot/protocol";

const doc = readFileSync(new URL("../../docs/PROTOCOL.md", import.meta.url), "utf8");

/** The `### \`type\`` entries of a `## ` section, each with its text. */
function entries(section: string): Map<string, string> {
  const start = doc.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`docs/PROTOCOL.md has no "## ${section}" section`);
  const end = doc.indexOf("\n## ", start + 1);
  const body = doc.slice(start, end < 0 ? undefined : end);
  const out = new Map<string, string>();
  for (const part of body.split("\n### `").slice(1)) {
    const name = part.slice(0, part.indexOf("`"));
    out.set(name, part.slice(name.length + 1));
  }
  return out;
}

/** Words inside the `code spans` of a text: `{x, y, z, rotY?}` names x, y, z and rotY. */
const codeWords = (text: string) =>
  new Set([...text.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.split(/[^A-Za-z0-9_]+/)));

const fieldsOf = (schema: unknown) => Object.keys((schema as { shape: Record<string, unknown> }).shape);

describe("docs/PROTOCOL.md and @earshot/protocol agree", () => {
  test.each([
    ["Client → server", clientMessages],
    ["Server → client", serverMessages],
  ] as const)("%s: every message type has an entry, and every entry a message type", (section, schemas) => {
    expect([...entries(section).keys()].sort()).toEqual(Object.keys(schemas).sort());
  });

  test.each([
    ["Client → server", clientMessages],
    ["Server → client", serverMessages],
  ] as const)("%s: every field of every message is named in its entry", (section, schemas) => {
    const docs = entries(section);
    const missing: string[] = [];
    for (const [type, schema] of Object.entries(schemas))
      for (const field of fieldsOf(schema))
        if (!codeWords(docs.get(type) ?? "").has(field)) missing.push(`${type}.${field}`);
    expect(missing).toEqual([]);
  });

  test("every error code is in the table, and nothing else", () => {
    const table = doc.slice(doc.indexOf("\n## Error codes\n"));
    const codes = [...table.matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]);
    expect(codes.sort()).toEqual(Object.values(ErrorCode).sort());
  });

  test("the envelope table lists the envelope fields", () => {
    for (const field of ENVELOPE_FIELDS) expect(doc).toMatch(new RegExp(`^\\| \`${field}\` `, "m"));
  });
});
