import { randomBytes } from "node:crypto";
import { MAX_NAME_CHARS } from "@earshot/protocol";
import { cleanText } from "./text.js";

/** {@link cleanText}, one line, cut to {@link MAX_NAME_CHARS}; empty becomes "Guest". */
export function sanitizeName(raw: unknown): string {
  const clean = cleanText(typeof raw === "string" ? raw : "").replace(/\s+/g, " ");
  const cut = [...clean].slice(0, MAX_NAME_CHARS).join("").trim();
  return cut || "Guest";
}

/** Avatar choice: a short token such as a colour name or `#rrggbb`; anything else is dropped. */
export function sanitizeAvatar(raw: unknown): string {
  return typeof raw === "string" && /^[#a-zA-Z0-9_-]{1,32}$/.test(raw) ? raw : "";
}

/** A fresh server-side guest id. */
export function guestId(): string {
  return `guest_${randomBytes(6).toString("hex")}`;
}
