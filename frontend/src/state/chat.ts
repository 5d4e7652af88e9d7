/**
 * Chat state and behaviour: conversation list, message pages, the outbox, live frames,
 * sync after reconnection, read marks, typing and presence. UI components read the store
 * and call the controller's methods; nothing here touches the DOM except through `deps`.
 */
import type { Api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Attachment, Conversation, Id, Message } from "../api/types";
import { otherUsers, sameId } from "../lib/people";
import { SyncCursors } from "../ws/cursors";
import type { CachedChat, OfflineCache } from "../offline/cache";
import { newClientId, Outbox, type OutboxItem } from "../ws/outbox";
import { RealtimeSocket, type ServerFrame, type SocketOptions, type SocketStatus } from "../ws/socket";
import {
  type ChatEffect,
  type ConvMessages,
  type FrameState,
  key,
  patchConversation,
  reduceChatFrame,
  sortConversations,
  removeConversation,
  upsertConversation,
} from "./chatFrames";
import { lastSeq, mergeMessages } from "./messages";
import { Store } from "./store";

export const TYPING_SEND_INTERVAL_MS = 3000;
export const TYPING_SHOW_MS = 5000;
export const PAGE_SIZE = 50;

export type { ConvMessages };
export { sortConversations };

export interface ChatState extends FrameState {
  listStatus: "idle" | "loading" | "ready" | "error";
  listError?: string;
  outbox: OutboxItem[];
  connection: SocketStatus;
  retryInMs?: number;
  notice: string | null;
}

export interface RealtimeLike {
  start(): void;
  stop(): void;
  send(frame: Record<string, unknown>): boolean;
  reconnectNow(): void;
  readonly isOpen: boolean;
}

export interface ChatDeps {
  api: Pick<Api, "conversations" | "messages" | "postMessage" | "markRead" | "createConversation">;
  meId: Id;
  /** The device's offline cache (IndexedDB) and what it held at start for this user. */
  cache?: OfflineCache | null;
  cached?: CachedChat | null;
  /** Whether this tab is in the background (reported as « away »: Web Push then tells the phone). */
  isHidden?: () => boolean;
  createSocket?: (opts: SocketOptions) => RealtimeLike;
  /** Whether the user is looking at this conversation right now (visible tab, focused window). */
  isVisible?: (conversation: Id) => boolean;
  /** A message from someone else arrived live (the app decides whether to notify). */
  onIncoming?: (message: Message, conversation: Conversation | undefined) => void;
  /** The socket was refused for authentication reasons: check the session. */
  onAuthLost?: () => void;
  /** The server ended this session (logout elsewhere, password change, deactivation, removal
   * from an organisation, end of the Pro Santé Connect session): back to the sign-in page. */
  onSessionEnded?: (reason: string, message: string) => void;
  /** A `teleexpertise.updated` frame arrived (its `request` is passed on as is). */
  onTeleexpertiseUpdated?: (request: unknown) => void;
  /** An `export.updated` frame arrived (conversation synthesis progress; its `export` is passed on as is). */
  onExportUpdated?: (exp: unknown) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (h: unknown) => void;
}

const AUTH_CLOSE_CODES = new Set([4001, 4003, 4401, 4403]);
/** Close code of a session that ended (backend/accounts/sessions.py); the reason says why. */
export const SESSION_ENDED_CLOSE_CODE = 4410;

/** French explanation of each session-end reason (the server's frame says it too). */
export const SESSION_END_MESSAGES: Record<string, string> = {
  logout: "Vous avez été déconnecté.",
  password_changed: "Votre mot de passe a changé : reconnectez-vous.",
  deactivated: "Votre compte a été désactivé.",
  membership_removed: "Votre accès à une structure a changé : reconnectez-vous.",
  psc_session_ended: "Votre session Pro Santé Connect a pris fin : reconnectez-vous.",
  session_ended: "Votre session a pris fin : reconnectez-vous.",
};



/** The chat state an offline start begins with: the cached list and threads, as loaded pages. */
function restoreCached(cached: CachedChat | null): { conversations: Conversation[]; messages: Record<string, ConvMessages> } {
  const messages: Record<string, ConvMessages> = {};
  for (const [k, items] of Object.entries(cached?.messages ?? {})) {
    if (!Array.isArray(items) || !items.length) continue;
    messages[k] = { items, hasMore: items[0].seq > 1, loadingOlder: false, status: "ready" };
  }
  return { conversations: sortConversations(cached?.conversations ?? []), messages };
}

export class ChatController {
  readonly store: Store<ChatState>;
  readonly outbox: Outbox;
  readonly cursors = new SyncCursors();
  readonly socket: RealtimeLike;
  private active: string | null = null;
  private lastTypingSent = new Map<string, number>();
  private typingTimers = new Map<string, unknown>();
  private myRead = new Map<string, number>();
  private pendingSync = new Set<string>();
  private syncScheduled = false;
  private refreshTimer: unknown = null;
  private syncCounter = 0;
  private stopped = false;
  /** The conversation list came from the server at least once (not only from the cache). */
  private listLoaded = false;
  private unsubscribeCache: (() => void) | null = null;
  /** Extra frame listeners (e.g. the call manager); they see every frame before the switch below. */
  private frameListeners = new Set<(frame: ServerFrame) => void>();

  /** Subscribes to every server frame; returns the unsubscribe function. */
  addFrameListener(listener: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => {
      this.frameListeners.delete(listener);
    };
  }

  constructor(private readonly deps: ChatDeps) {
    const cached = deps.cached ?? null;
    const cache = deps.cache ?? null;
    this.outbox = new Outbox(cached?.outbox ?? [], (items) => {
      if (cache && !this.stopped) void cache.saveOutbox(deps.meId, items);
    });
    const restored = restoreCached(cached);
    this.store = new Store<ChatState>({
      conversations: restored.conversations,
      listStatus: restored.conversations.length ? "ready" : "idle",
      messages: restored.messages,
      outbox: this.outbox.items(),
      presence: {},
      typing: {},
      connection: "idle",
      notice: null,
    });
    const socketOptions: SocketOptions = {
      onOpen: (isReconnect) => this.onOpen(isReconnect),
      onFrame: (f) => this.handleFrame(f),
      onStatus: (status, info) => this.store.update({ connection: status, retryInMs: info.retryInMs }),
      onClose: (code, reason) => {
        if (code === SESSION_ENDED_CLOSE_CODE) this.sessionEnded(reason || "session_ended");
        else if (AUTH_CLOSE_CODES.has(code)) this.deps.onAuthLost?.();
      },
    };
    this.socket = deps.createSocket ? deps.createSocket(socketOptions) : new RealtimeSocket(socketOptions);
    for (const c of restored.conversations) {
      const m = restored.messages[key(c.id)];
      this.cursors.baseline(c.id, m?.items.length ? lastSeq(m.items) : c.last_seq);
    }
    if (cache) this.unsubscribeCache = this.mirrorTo(cache);
  }

  /** Keeps the device's copy of the list and the opened threads up to date (offline start). */
  private mirrorTo(cache: OfflineCache): () => void {
    let conversations = this.store.get().conversations;
    let messages = this.store.get().messages;
    return this.store.subscribe((s) => {
      if (this.stopped) return;
      if (s.conversations !== conversations) {
        conversations = s.conversations;
        void cache.saveConversations(this.deps.meId, conversations);
      }
      if (s.messages !== messages) {
        for (const [k, m] of Object.entries(s.messages)) {
          if (m.items !== messages[k]?.items && m.items.length) void cache.saveMessages(this.deps.meId, k, m.items);
        }
        messages = s.messages;
      }
    });
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private setTimer(fn: () => void, ms: number): unknown {
    return (this.deps.setTimer ?? ((f, m) => setTimeout(f, m)))(fn, ms);
  }

  private clearTimer(h: unknown): void {
    (this.deps.clearTimer ?? ((x) => clearTimeout(x as ReturnType<typeof setTimeout>)))(h);
  }

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    this.stopped = false;
    void this.loadConversations();
    this.socket.start();
  }

  /** Sign-out: closes the socket and forgets everything (the caller wipes the offline cache). */
  stop(clearOutbox = true): void {
    this.stopped = true;
    this.unsubscribeCache?.();
    this.unsubscribeCache = null;
    this.socket.stop();
    if (clearOutbox) this.outbox.clear();
    for (const h of this.typingTimers.values()) this.clearTimer(h);
    this.typingTimers.clear();
    if (this.refreshTimer !== null) this.clearTimer(this.refreshTimer);
  }

  dismissNotice(): void {
    this.store.update({ notice: null });
  }

  /** The tab went to the background or came back: others (and Web Push) know where to reach us. */
  visibilityChanged(): void {
    this.socket.send({ type: "presence.set", status: this.deps.isHidden?.() ? "away" : "online" });
  }

  private onOpen(isReconnect: boolean): void {
    if (this.deps.isHidden?.()) this.visibilityChanged();
    // 1. re-send what was never acknowledged, with the same client_id (stored once server-side)
    for (const frame of this.outbox.pendingFrames()) this.socket.send(frame as unknown as Record<string, unknown>);
    // 2. catch up on everything after our cursors
    this.sendSync();
    // 3. presence of the people we talk to
    this.queryPresence();
    // 4. the list itself may have changed (new conversations, unread counts); after an offline
    //    start it only came from this device's cache so far
    if (isReconnect || !this.listLoaded) void this.loadConversations(true);
  }

  private sendSync(only?: string[]): void {
    const cursors = this.cursors.snapshot(only);
    if (!Object.keys(cursors).length && only) return;
    this.syncCounter += 1;
    this.socket.send({ type: "sync", ref: `sync-${this.syncCounter}`, cursors });
  }

  private requestSync(conversation: Id): void {
    this.pendingSync.add(key(conversation));
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    queueMicrotask(() => {
      this.syncScheduled = false;
      const only = [...this.pendingSync];
      this.pendingSync.clear();
      if (this.socket.isOpen) this.sendSync(only);
    });
  }

  private queryPresence(): void {
    const ids = new Set<string>();
    const users: Id[] = [];
    for (const c of this.store.get().conversations) {
      for (const p of otherUsers(c, this.deps.meId)) {
        if (!ids.has(key(p.id))) {
          ids.add(key(p.id));
          users.push(p.id);
        }
      }
    }
    if (users.length) this.socket.send({ type: "presence.query", users: users.slice(0, 500) });
  }

  // ---------------------------------------------------------------- conversations

  async loadConversations(silent = false): Promise<void> {
    // What the device kept stays on screen while the server is out of reach.
    if (this.store.get().listStatus === "ready" && !this.listLoaded) silent = true;
    if (!silent) this.store.update({ listStatus: "loading", listError: undefined });
    try {
      const { results } = await this.deps.api.conversations();
      if (this.stopped) return;
      for (const c of results) {
        // Only conversations whose messages are not loaded take the list's last_seq as cursor:
        // a loaded conversation's cursor follows the messages actually held.
        const m = this.store.get().messages[key(c.id)];
        if (!m) this.cursors.baseline(c.id, c.last_seq);
        const mine = c.read_state.find((r) => sameId(r.user.id, this.deps.meId));
        if (mine) this.noteMyRead(c.id, mine.seq);
      }
      this.listLoaded = true;
      this.store.update({ conversations: sortConversations(results), listStatus: "ready" });
      this.queryPresence();
    } catch (err) {
      if (!silent) this.store.update({ listStatus: "error", listError: err instanceof Error ? err.message : String(err) });
    }
  }

  private scheduleListRefresh(): void {
    if (this.refreshTimer !== null) return;
    this.refreshTimer = this.setTimer(() => {
      this.refreshTimer = null;
      void this.loadConversations(true);
    }, 300);
  }

  conversation(id: Id): Conversation | undefined {
    return this.store.get().conversations.find((c) => sameId(c.id, id));
  }

  private patchConversation(id: Id, fn: (c: Conversation) => Conversation): void {
    this.store.set((s) => patchConversation(s, id, fn));
  }

  upsertConversation(conv: Conversation): void {
    this.store.set((s) => upsertConversation(s, conv));
    this.afterUpsert(conv);
  }

  private afterUpsert(conv: Conversation): void {
    if (!this.store.get().messages[key(conv.id)]) this.cursors.baseline(conv.id, conv.last_seq);
    this.queryPresence();
  }

  async createConversation(data: { participants: (Id | string)[]; title?: string }): Promise<Conversation> {
    const conv = await this.deps.api.createConversation(data);
    this.upsertConversation(conv);
    return conv;
  }

  // ---------------------------------------------------------------- messages

  /** The conversation on screen (null: none). Loads its latest page on first open. */
  /** Group changes and settings: the server answers with the conversation as the user sees it
   * (the other participants get it over the socket). */
  async updateConversation(call: Promise<Conversation>): Promise<Conversation> {
    const conv = await call;
    this.upsertConversation(conv);
    return conv;
  }

  /** Leaving: the conversation goes from the list at once (the server confirms with a frame). */
  forgetConversation(id: Id): void {
    this.cursors.forget(id);
    this.store.set((s) => removeConversation(s, id));
  }

  setActive(id: Id | null): void {
    this.active = id === null ? null : key(id);
    if (id === null) return;
    const m = this.store.get().messages[key(id)];
    if (!m || m.status === "error") void this.loadLatest(id);
    else this.markRead(id);
  }

  private setMessages(id: Id, fn: (m: ConvMessages | undefined) => ConvMessages): void {
    this.store.set((s) => ({ ...s, messages: { ...s.messages, [key(id)]: fn(s.messages[key(id)]) } }));
  }

  async loadLatest(id: Id): Promise<void> {
    this.setMessages(id, (m) => ({ items: m?.items ?? [], hasMore: m?.hasMore ?? false, loadingOlder: false, status: "loading" }));
    try {
      const page = await this.deps.api.messages(id, { limit: PAGE_SIZE });
      this.setMessages(id, (m) => ({
        items: mergeMessages(m?.items ?? [], page.messages),
        hasMore: page.has_more,
        loadingOlder: false,
        status: "ready",
      }));
      for (const msg of page.messages) this.dropFromOutbox(msg);
      if (page.messages.length) this.cursors.baseline(id, lastSeq(page.messages));
      else this.cursors.baseline(id, 0);
      this.markRead(id);
    } catch (err) {
      this.setMessages(id, (m) => ({
        items: m?.items ?? [],
        hasMore: m?.hasMore ?? false,
        loadingOlder: false,
        status: "error",
        error: err instanceof Error ? err.message : String(err),
      }));
    }
  }

  /** Infinite scroll upward: the page before the oldest loaded message. */
  async loadOlder(id: Id): Promise<void> {
    const m = this.store.get().messages[key(id)];
    if (!m || !m.hasMore || m.loadingOlder || !m.items.length) return;
    this.setMessages(id, (x) => ({ ...(x as ConvMessages), loadingOlder: true }));
    try {
      const page = await this.deps.api.messages(id, { before_seq: m.items[0].seq, limit: PAGE_SIZE });
      this.setMessages(id, (x) => ({
        ...(x as ConvMessages),
        items: mergeMessages(x?.items ?? [], page.messages),
        hasMore: page.has_more,
        loadingOlder: false,
      }));
    } catch (err) {
      this.setMessages(id, (x) => ({ ...(x as ConvMessages), loadingOlder: false }));
      this.store.update({ notice: err instanceof Error ? err.message : String(err) });
    }
  }

  private syncOutboxState(): void {
    this.store.update({ outbox: this.outbox.items() });
  }

  /** A stored message carrying one of our client_ids: the outbox copy is no longer needed. */
  private dropFromOutbox(message: Message): void {
    if (message.client_id && this.outbox.ack(message.client_id)) this.syncOutboxState();
  }

  /**
   * Takes one stored message into the state (live frame, ack, sync answer).
   * Returns false for a duplicate already known.
   */
  ingest(message: Message, opts: { live: boolean }): void {
    const conv = message.conversation;
    const k = key(conv);
    this.dropFromOutbox(message);

    const obs = this.cursors.observe(conv, message.seq);
    if (obs === "gap") this.requestSync(conv);

    if (this.store.get().messages[k]) {
      this.setMessages(conv, (m) => ({ ...(m as ConvMessages), items: mergeMessages(m?.items ?? [], [message]) }));
    }

    const existing = this.conversation(conv);
    if (!existing) {
      this.scheduleListRefresh();
    } else if (message.seq > existing.last_seq) {
      const fromOther = message.kind === "user" && !!message.sender && !sameId(message.sender.id, this.deps.meId);
      const visible = this.isVisible(conv);
      this.patchConversation(conv, (c) => ({
        ...c,
        last_seq: message.seq,
        last_message: message,
        unread_count: fromOther && !visible ? c.unread_count + 1 : c.unread_count,
        // new activity brings an archived conversation back, unless it is muted (server rule)
        archived: !!c.archived && !!c.muted,
      }));
      // a muted conversation does not notify (its unread count still grows)
      if (fromOther && opts.live && !existing.muted) this.deps.onIncoming?.(message, this.conversation(conv));
    } else if (existing.last_message && sameId(existing.last_message.id, message.id)) {
      this.patchConversation(conv, (c) => ({ ...c, last_message: message }));
    }

    if (message.sender) this.clearTyping(conv, message.sender.id);
    if (this.isVisible(conv)) this.markRead(conv);
  }

  private isVisible(conv: Id): boolean {
    if (this.active !== key(conv)) return false;
    return this.deps.isVisible ? this.deps.isVisible(conv) : true;
  }

  /** The user pressed send. */
  send(
    conversation: Id,
    body: string,
    attachments: Attachment[] = [],
    options: { reply_to?: Id | null; urgent?: boolean } = {},
  ): OutboxItem | null {
    const text = body.replace(/\s+$/u, "");
    if (!text.trim() && !attachments.length) return null;
    const item = this.outbox.add({
      client_id: newClientId(),
      conversation,
      body: text,
      attachments,
      created_at: new Date(this.now()).toISOString(),
      ...(options.reply_to ? { reply_to: options.reply_to } : {}),
      ...(options.urgent ? { urgent: true } : {}),
    });
    this.syncOutboxState();
    this.transmit(item);
    return item;
  }

  private transmit(item: OutboxItem): void {
    if (this.socket.send(Outbox.frameFor(item) as unknown as Record<string, unknown>)) return;
    // Socket down: try plain HTTP (same client_id, so a later WebSocket resend is harmless).
    this.deps.api
      .postMessage(item.conversation, {
        client_id: item.client_id,
        body: item.body,
        attachments: item.attachments.map((a) => a.id),
        reply_to: item.reply_to ?? null,
        urgent: !!item.urgent,
      })
      .then((message) => this.ingest(message, { live: false }))
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status)) {
          this.outbox.markFailed(item.client_id, err.message);
          this.syncOutboxState();
        }
        // otherwise it stays pending and goes out again when the socket reconnects
      });
  }

  retry(clientId: string): void {
    const item = this.outbox.retry(clientId);
    this.syncOutboxState();
    if (item) this.transmit(item);
  }

  discard(clientId: string): void {
    this.outbox.remove(clientId);
    this.syncOutboxState();
  }

  edit(message: Message, body: string): boolean {
    const ok = this.socket.send({ type: "message.edit", ref: `edit:${message.id}`, message: message.id, body });
    if (!ok) this.store.update({ notice: "Connexion indisponible : la modification n'a pas été envoyée." });
    return ok;
  }

  /** « Pris en compte » of an urgent message (the server answers with message.acknowledged). */
  acknowledge(message: Message): boolean {
    const ok = this.socket.send({ type: "message.acknowledge", ref: `ack:${message.id}`, message: message.id });
    if (!ok) this.store.update({ notice: "Connexion indisponible : la prise en compte n'a pas été envoyée." });
    return ok;
  }

  remove(message: Message): boolean {
    const ok = this.socket.send({ type: "message.delete", ref: `delete:${message.id}`, message: message.id });
    if (!ok) this.store.update({ notice: "Connexion indisponible : la suppression n'a pas été envoyée." });
    return ok;
  }

  // ---------------------------------------------------------------- read marks, typing

  private noteMyRead(conv: Id, seq: number): void {
    const cur = this.myRead.get(key(conv)) ?? 0;
    if (seq > cur) this.myRead.set(key(conv), seq);
  }

  /** Marks the conversation read up to its newest loaded message, if it is on screen. */
  markRead(conv: Id): void {
    if (!this.isVisible(conv)) return;
    const m = this.store.get().messages[key(conv)];
    const c = this.conversation(conv);
    const seq = Math.max(m ? lastSeq(m.items) : 0, 0);
    if (!seq) return;
    const already = this.myRead.get(key(conv)) ?? 0;
    if (seq <= already && !(c && c.unread_count > 0)) return;
    this.noteMyRead(conv, seq);
    if (!this.socket.send({ type: "read", conversation: conv, seq })) {
      this.deps.api.markRead(conv, seq).catch(() => {
        /* best effort; the next visit marks again */
      });
    }
    if (c && c.unread_count !== 0) this.patchConversation(conv, (x) => ({ ...x, unread_count: 0 }));
  }

  /** Called on each keystroke in the composer; sends at most one `typing` frame per 3 s. */
  typing(conv: Id): void {
    const now = this.now();
    const last = this.lastTypingSent.get(key(conv)) ?? -Infinity;
    if (now - last < TYPING_SEND_INTERVAL_MS) return;
    if (this.socket.send({ type: "typing", conversation: conv })) this.lastTypingSent.set(key(conv), now);
  }

  private clearTyping(conv: Id, userId: Id): void {
    const k = key(conv);
    const tk = `${k}:${key(userId)}`;
    const h = this.typingTimers.get(tk);
    if (h !== undefined) {
      this.clearTimer(h);
      this.typingTimers.delete(tk);
    }
    const cur = this.store.get().typing[k];
    if (!cur || !(key(userId) in cur)) return;
    const next = { ...cur };
    delete next[key(userId)];
    this.store.set((s) => ({ ...s, typing: { ...s.typing, [k]: next } }));
  }

  // ---------------------------------------------------------------- frames

  private sessionEnded(reason: string, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.stop(); // no reconnection: this session is over
    this.deps.onSessionEnded?.(reason, message || SESSION_END_MESSAGES[reason] || SESSION_END_MESSAGES.session_ended);
  }

  private ended = false;

  handleFrame(frame: ServerFrame): void {
    for (const l of [...this.frameListeners]) {
      try {
        l(frame);
      } catch {
        /* a listener's bug must not break the chat */
      }
    }
    const step = reduceChatFrame(this.store.get(), frame, this.deps.meId);
    this.store.set(step.state);
    for (const effect of step.effects) this.run(effect);
  }

  /** Carries out what the pure frame reducer (chatFrames.ts) asked for. */
  private run(effect: ChatEffect): void {
    switch (effect.type) {
      case "ack":
        if (this.outbox.ack(effect.clientId)) this.syncOutboxState();
        break;
      case "ingest":
        this.ingest(effect.message, { live: effect.live });
        break;
      case "baseline":
        this.cursors.baseline(effect.conversation, effect.seq);
        break;
      case "sync-more":
        this.sendSync();
        break;
      case "resync":
        // The server's channel layer lost Redis for a moment: messages, new conversations and
        // presence changes published then never came; the socket itself is fine.
        this.sendSync();
        this.queryPresence();
        void this.loadConversations(true);
        break;
      case "my-read":
        this.noteMyRead(effect.conversation, effect.seq);
        break;
      case "typing-timer": {
        const tk = `${key(effect.conversation)}:${key(effect.user)}`;
        const prev = this.typingTimers.get(tk);
        if (prev !== undefined) this.clearTimer(prev);
        this.typingTimers.set(
          tk,
          this.setTimer(() => {
            this.typingTimers.delete(tk);
            this.clearTyping(effect.conversation, effect.user);
          }, TYPING_SHOW_MS),
        );
        break;
      }
      case "conversation-added":
        this.afterUpsert(effect.conversation);
        break;
      case "conversation-removed":
        this.cursors.forget(effect.conversation);
        if (this.active === key(effect.conversation)) {
          this.store.update({
            notice: effect.reason === "left" ? "Vous avez quitté cette conversation." : "Vous avez été retiré de cette conversation.",
          });
        }
        break;
      case "session-ended":
        this.sessionEnded(effect.reason, effect.message);
        break;
      case "teleexpertise":
        this.deps.onTeleexpertiseUpdated?.(effect.request);
        break;
      case "export":
        this.deps.onExportUpdated?.(effect.export);
        break;
      case "error":
        if (effect.ref && this.outbox.has(effect.ref)) {
          this.outbox.markFailed(effect.ref, effect.message);
          this.syncOutboxState();
        } else {
          this.store.update({ notice: effect.message });
        }
        break;
    }
  }
}
