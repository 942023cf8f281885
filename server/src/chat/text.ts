import { rectifyConfusion } from "unicode-confusables";

// Whitespace controls become a space so words stay apart; every other C0/C1 control goes.
const CONTROL_SPACE = /[\t\n\r\v\f\u0085]/g;
const CONTROL = /\p{Cc}/gu;
// Bidi embeddings, overrides, isolates and marks: they reorder what others read.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// Invisible characters are removed except where they build emoji: a flag tag sequence (🏴 +
// tags + cancel tag) and a zero-width joiner between two pictographs (👨‍👩‍👧). Everything else
// of the format category goes (zero-width space, joiners, word joiner, BOM, soft hyphen,
// tags), and so do the Hangul fillers that render as blanks.
const INVISIBLE = new RegExp(
  [
    /(\u{1F3F4}(?:[\u{E0020}-\u{E007E}])+\u{E007F})/u.source,
    /(?<=\p{Extended_Pictographic}(?:\u{FE0F}|\p{Emoji_Modifier})?)(\u200D)(?=\p{Extended_Pictographic})/u.source,
    /[\p{Cf}\u115F\u1160\u3164\uFFA0]/u.source,
  ].join("|"),
  "gu",
);

/**
 * Cleans text other people will read: NFC, no control characters, no bidi controls, no
 * invisible characters except the joiners and tags that build emoji. Leading and trailing
 * whitespace is trimmed; the result may be empty.
 */
export function cleanText(raw: string): string {
  return raw
    .normalize("NFC")
    .replace(CONTROL_SPACE, " ")
    .replace(CONTROL, "")
    .replace(BIDI, "")
    .replace(INVISIBLE, (_all, flag?: string, joiner?: string) => flag ?? joiner ?? "")
    .trim();
}

/**
 * The UTS #39 confusable skeleton of a name, case-folded: two names with the same key look
 * alike ("Alice", "ALICE", "Аlice" with a Cyrillic А).
 */
export function nameKey(name: string): string {
  return rectifyConfusion(name.normalize("NFKD").toLowerCase()).normalize("NFKD").toLowerCase().replace(/\s+/g, " ");
}

/** True when `name` looks like one of `reserved` (by {@link nameKey}). */
export function isReservedName(name: string, reserved: readonly string[]): boolean {
  const key = nameKey(name);
  return reserved.some((r) => nameKey(r) === key);
}

/**
 * `name`, or `name 2`, `name 3`... : the first that looks like none of `taken` (keys made with
 * {@link nameKey}). People present keep their names; a newcomer gets the visible suffix.
 */
export function distinctName(name: string, taken: ReadonlySet<string>, maxChars: number): string {
  if (!taken.has(nameKey(name))) return name;
  for (let n = 2; ; n++) {
    const suffix = ` ${n}`;
    const base = [...name]
      .slice(0, maxChars - suffix.length)
      .join("")
      .trimEnd();
    const candidate = base + suffix;
    if (!taken.has(nameKey(candidate))) return candidate;
  }
}
