/**
 * Outbox of messages the user sent that the server has not acknowledged yet.
 *
 * Storage: in memory, mirrored through `onChange` to the device's offline cache
 * (offline/cache.ts: IndexedDB, keyed by user), so that a message written offline survives a
 * reload or a closed tab and goes out when the network is back. It holds message text (health
 * data): the cache is deleted at sign-out, when the session ends or expires, and when another
 * user signs in on this browser; never localStorage, whose content nothing would wipe.
 *
 * A message keeps the client_id generated when the user pressed "send"; every resend uses the
 * same id so the server stores it once. An item leaves the outbox on `message.ack` (or on a
 * `message.new` / sync carrying its client_id).
 */
import type { Attachment, Id } from "../api/types";

export interface OutboxItem {
  client_id: string;
  conversation: Id;
  body: string;
  attachments: Attachment[];
  created_at: string;
  status: "pending" | "failed";
  error?: string;
  /** A message of the same conversation that this one answers (quoted). */
  reply_to?: Id | null;
  /** Recipients must acknowledge it (« Pris en compte »). */
  urgent?: boolean;
}

export interface SendFrame {
  type: "message.send";
  ref: string;
  conversation: Id;
  client_id: string;
  body: string;
  attachments: Id[];
  reply_to?: Id | null;
  urgent?: boolean;
}

function isItem(x: unknown): x is OutboxItem {
  return !!x && typeof x === "object" && typeof (x as OutboxItem).client_id === "string";
}

export class Outbox {
  private list: OutboxItem[];

  constructor(
    initial: readonly unknown[] = [],
    private readonly onChange: ((items: OutboxItem[]) => void) | null = null,
  ) {
    this.list = initial.filter(isItem).map((i) => ({ ...i }));
  }

  private persist(): void {
    try {
      this.onChange?.(this.items());
    } catch {
      /* the in-memory copy still works */
    }
  }

  items(): OutboxItem[] {
    return this.list.slice();
  }

  forConversation(conversation: Id): OutboxItem[] {
    return this.list.filter((i) => String(i.conversation) === String(conversation));
  }

  has(clientId: string): boolean {
    return this.list.some((i) => i.client_id === clientId);
  }

  add(item: Omit<OutboxItem, "status"> & { status?: OutboxItem["status"] }): OutboxItem {
    const full: OutboxItem = { ...item, status: item.status ?? "pending" };
    if (!this.has(full.client_id)) {
      this.list.push(full);
      this.persist();
    }
    return full;
  }

  /** Removes the item acknowledged by the server; false if it was not (or no longer) there. */
  ack(clientId: string): boolean {
    const before = this.list.length;
    this.list = this.list.filter((i) => i.client_id !== clientId);
    const removed = this.list.length !== before;
    if (removed) this.persist();
    return removed;
  }

  remove(clientId: string): boolean {
    return this.ack(clientId);
  }

  markFailed(clientId: string, error: string): void {
    const item = this.list.find((i) => i.client_id === clientId);
    if (item) {
      item.status = "failed";
      item.error = error;
      this.persist();
    }
  }

  /** Puts a failed item back in the queue (same client_id). */
  retry(clientId: string): OutboxItem | undefined {
    const item = this.list.find((i) => i.client_id === clientId);
    if (item) {
      item.status = "pending";
      delete item.error;
      this.persist();
    }
    return item;
  }

  static frameFor(item: OutboxItem): SendFrame {
    return {
      type: "message.send",
      ref: item.client_id,
      conversation: item.conversation,
      client_id: item.client_id,
      body: item.body,
      attachments: item.attachments.map((a) => a.id),
      ...(item.reply_to ? { reply_to: item.reply_to } : {}),
      ...(item.urgent ? { urgent: true } : {}),
    };
  }

  /** Frames to (re)send after a (re)connection, oldest first, with their original client_id. */
  pendingFrames(): SendFrame[] {
    return this.list.filter((i) => i.status === "pending").map(Outbox.frameFor);
  }

  clear(): void {
    this.list = [];
    this.persist();
  }
}

export function newClientId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Fallback for non-secure contexts (plain http on a LAN): RFC 4122 v4 from getRandomValues.
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
