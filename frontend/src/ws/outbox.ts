/**
 * Outbox of messages the user sent that the server has not acknowledged yet.
 *
 * Storage choice: the outbox lives in memory, mirrored to sessionStorage only. It holds
 * message text, i.e. health data. localStorage or IndexedDB would keep that text at rest on
 * the disk of shared hospital / practice PCs after the tab is closed or the user signs out;
 * sessionStorage is scoped to the tab and discarded when it is closed, yet survives a reload
 * (so a message typed just before an accidental F5 is still delivered). It is also cleared
 * explicitly at sign-out.
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
}

export interface SendFrame {
  type: "message.send";
  ref: string;
  conversation: Id;
  client_id: string;
  body: string;
  attachments: Id[];
}

type MiniStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export class Outbox {
  private list: OutboxItem[] = [];

  constructor(
    private readonly storage: MiniStorage | null = null,
    private readonly key = "msg.outbox",
  ) {
    this.load();
  }

  private load(): void {
    if (!this.storage) return;
    try {
      const raw = this.storage.getItem(this.key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      if (Array.isArray(parsed)) {
        this.list = parsed.filter(
          (x): x is OutboxItem => !!x && typeof x === "object" && typeof (x as OutboxItem).client_id === "string",
        );
      }
    } catch {
      this.list = [];
    }
  }

  private persist(): void {
    if (!this.storage) return;
    try {
      if (this.list.length) this.storage.setItem(this.key, JSON.stringify(this.list));
      else this.storage.removeItem(this.key);
    } catch {
      /* quota or disabled storage: the in-memory copy still works */
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
    };
  }

  /** Frames to (re)send after a (re)connection, oldest first, with their original client_id. */
  pendingFrames(): SendFrame[] {
    return this.list.filter((i) => i.status === "pending").map(Outbox.frameFor);
  }

  clear(): void {
    this.list = [];
    if (this.storage) {
      try {
        this.storage.removeItem(this.key);
      } catch {
        /* ignore */
      }
    }
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
