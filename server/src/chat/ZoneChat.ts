import { MAX_CHAT_CHARS, MAX_MISSED_MESSAGES, chatLength } from "@earshot/protocol";
import type { ChatMessage } from "@earshot/protocol";
import type { ChatStore } from "../storage/ChatStore.js";
import { cleanText } from "./text.js";

/** Cleans chat content ({@link cleanText}) and checks its length: 1..MAX_CHAT_CHARS characters. */
export function checkChatContent(
  raw: string,
): { ok: true; content: string } | { ok: false; code: "invalid_message" | "too_large"; reason: string } {
  const content = cleanText(raw);
  if (content.length === 0) return { ok: false, code: "invalid_message", reason: "chat: content is empty" };
  const chars = chatLength(content);
  if (chars > MAX_CHAT_CHARS) {
    return { ok: false, code: "too_large", reason: `chat: ${chars} characters, the limit is ${MAX_CHAT_CHARS}` };
  }
  return { ok: true, content };
}

/**
 * The chat stream of one zone as one room instance sees it. Store calls run one after the
 * other, so ids are handed out, acknowledged and broadcast in the same order, and a catch-up
 * query never overtakes a message being stored.
 */
export class ZoneChat {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ChatStore,
    readonly zoneId: string,
  ) {}

  /** Stores a message whose content passed {@link checkChatContent}. */
  append(from: string, name: string, content: string, timestamp: number): Promise<ChatMessage> {
    return this.serial(() => this.store.append(this.zoneId, { from, name, content, timestamp }));
  }

  /** History for a newcomer, oldest first. */
  recent(limit: number): Promise<ChatMessage[]> {
    return this.serial(() => this.store.recent(this.zoneId, limit));
  }

  /**
   * One page of what came after `lastMessageId`, oldest first: at most `MAX_MISSED_MESSAGES`,
   * with `more` when the page is full and there may be more.
   */
  async missedSince(lastMessageId: string | null | undefined): Promise<{ messages: ChatMessage[]; more: boolean }> {
    const page = await this.serial(() => this.store.after(this.zoneId, lastMessageId, MAX_MISSED_MESSAGES + 1));
    const more = page.length > MAX_MISSED_MESSAGES;
    return { messages: more ? page.slice(0, MAX_MISSED_MESSAGES) : page, more };
  }

  /** Resolves when every queued store call has finished. */
  idle(): Promise<void> {
    return this.queue.then(
      () => undefined,
      () => undefined,
    );
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
