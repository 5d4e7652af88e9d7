/**
 * What this device keeps to open offline: the signed-in user (`/api/me`), their conversation
 * list, the last messages of the conversations they opened, and their outbox (messages written
 * but not yet acknowledged by the server, with their client_id). IndexedDB, one database for the
 * origin, every record keyed by the user.
 *
 * It is health data on a device that may be a shared hospital PC, so it lives no longer than
 * the session: the whole database is deleted at sign-out (voluntary or not: session ended,
 * revoked, expired), when another user signs in on this browser, and when the cached session is
 * past its expiry. Nothing here is read before the user's identity is known.
 */
import type { Conversation, Id, Me, Message } from "../api/types";
import type { OutboxItem } from "../ws/outbox";

export const DB_NAME = "liaison-hors-ligne";
const STORE = "data";
const VERSION = 1;
/** Per conversation: enough to read the thread again, not the whole history. */
export const MESSAGES_KEPT = 50;
/** The conversations shown in the list (their last message included). */
export const CONVERSATIONS_KEPT = 100;

export interface CachedSession {
  me: Me;
  savedAt: number;
  /** When the server's session cookie expires (ms since epoch); null if unknown. */
  expiresAt: number | null;
}

export interface CachedChat {
  conversations: Conversation[];
  messages: Record<string, Message[]>;
  outbox: OutboxItem[];
}

export interface OfflineCache {
  session(): Promise<CachedSession | null>;
  saveSession(session: CachedSession): Promise<void>;
  chat(user: Id): Promise<CachedChat>;
  saveConversations(user: Id, list: Conversation[]): Promise<void>;
  saveMessages(user: Id, conversation: Id, items: Message[]): Promise<void>;
  saveOutbox(user: Id, items: OutboxItem[]): Promise<void>;
  /** Forgets everything this device holds (every user). */
  wipe(): Promise<void>;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** An IndexedDB-backed cache; every failure (private mode, quota, no IndexedDB) is "nothing cached". */
export class IdbCache implements OfflineCache {
  private db: Promise<IDBDatabase> | null = null;

  constructor(private readonly factory: IDBFactory | null = typeof indexedDB !== "undefined" ? indexedDB : null) {}

  private open(): Promise<IDBDatabase> {
    if (!this.factory) return Promise.reject(new Error("IndexedDB indisponible"));
    if (!this.db) {
      const req = this.factory.open(DB_NAME, VERSION);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
      };
      this.db = request(req).then((db) => {
        // Another tab deleting the database (sign-out there): let it, and reopen next time.
        db.onversionchange = () => {
          db.close();
          this.db = null;
        };
        return db;
      });
      this.db.catch(() => {
        this.db = null;
      });
    }
    return this.db;
  }

  private async get<T>(k: string): Promise<T | undefined> {
    try {
      const db = await this.open();
      return (await request(db.transaction(STORE, "readonly").objectStore(STORE).get(k))) as T | undefined;
    } catch {
      return undefined;
    }
  }

  private async getPrefix<T>(prefix: string): Promise<[string, T][]> {
    try {
      const db = await this.open();
      const store = db.transaction(STORE, "readonly").objectStore(STORE);
      const range = IDBKeyRange.bound(prefix, prefix + "\uffff");
      const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
      return keys.map((k, i) => [String(k), values[i] as T]);
    } catch {
      return [];
    }
  }

  private async put(k: string, value: unknown): Promise<void> {
    try {
      const db = await this.open();
      const tx = db.transaction(STORE, "readwrite");
      if (value === undefined) tx.objectStore(STORE).delete(k);
      else tx.objectStore(STORE).put(value, k);
      await done(tx);
    } catch {
      /* nothing cached: the app still works online */
    }
  }

  session(): Promise<CachedSession | null> {
    return this.get<CachedSession>("session").then((s) => s ?? null);
  }

  saveSession(session: CachedSession): Promise<void> {
    return this.put("session", session);
  }

  async chat(user: Id): Promise<CachedChat> {
    const u = encodeURIComponent(String(user));
    const [conversations, outbox, threads] = await Promise.all([
      this.get<Conversation[]>(`u/${u}/conversations`),
      this.get<OutboxItem[]>(`u/${u}/outbox`),
      this.getPrefix<Message[]>(`u/${u}/messages/`),
    ]);
    const messages: Record<string, Message[]> = {};
    for (const [k, items] of threads) messages[decodeURIComponent(k.slice(`u/${u}/messages/`.length))] = items;
    return { conversations: conversations ?? [], outbox: outbox ?? [], messages };
  }

  saveConversations(user: Id, list: Conversation[]): Promise<void> {
    return this.put(`u/${encodeURIComponent(String(user))}/conversations`, list.slice(0, CONVERSATIONS_KEPT));
  }

  saveMessages(user: Id, conversation: Id, items: Message[]): Promise<void> {
    const k = `u/${encodeURIComponent(String(user))}/messages/${encodeURIComponent(String(conversation))}`;
    return this.put(k, items.slice(-MESSAGES_KEPT));
  }

  saveOutbox(user: Id, items: OutboxItem[]): Promise<void> {
    return this.put(`u/${encodeURIComponent(String(user))}/outbox`, items.length ? items : undefined);
  }

  async wipe(): Promise<void> {
    const factory = this.factory;
    if (!factory) return;
    const open = this.db;
    this.db = null;
    if (open) {
      try {
        (await open).close();
      } catch {
        /* never opened */
      }
    }
    await new Promise<void>((resolve) => {
      try {
        const req = factory.deleteDatabase(DB_NAME);
        req.onsuccess = req.onerror = () => resolve();
        // Another tab holds it open: it closes on `versionchange`; wait for that, not forever.
        req.onblocked = () => setTimeout(resolve, 2000);
      } catch {
        resolve();
      }
    });
  }
}

/** In memory only (tests, and browsers without IndexedDB). */
export class MemoryCache implements OfflineCache {
  data = new Map<string, unknown>();

  async session(): Promise<CachedSession | null> {
    return (this.data.get("session") as CachedSession | undefined) ?? null;
  }

  async saveSession(session: CachedSession): Promise<void> {
    this.data.set("session", session);
  }

  async chat(user: Id): Promise<CachedChat> {
    const messages: Record<string, Message[]> = {};
    const prefix = `u/${user}/messages/`;
    for (const [k, v] of this.data) if (k.startsWith(prefix)) messages[k.slice(prefix.length)] = v as Message[];
    return {
      conversations: (this.data.get(`u/${user}/conversations`) as Conversation[] | undefined) ?? [],
      outbox: (this.data.get(`u/${user}/outbox`) as OutboxItem[] | undefined) ?? [],
      messages,
    };
  }

  async saveConversations(user: Id, list: Conversation[]): Promise<void> {
    this.data.set(`u/${user}/conversations`, list.slice(0, CONVERSATIONS_KEPT));
  }

  async saveMessages(user: Id, conversation: Id, items: Message[]): Promise<void> {
    this.data.set(`u/${user}/messages/${conversation}`, items.slice(-MESSAGES_KEPT));
  }

  async saveOutbox(user: Id, items: OutboxItem[]): Promise<void> {
    if (items.length) this.data.set(`u/${user}/outbox`, items);
    else this.data.delete(`u/${user}/outbox`);
  }

  async wipe(): Promise<void> {
    this.data.clear();
  }
}
