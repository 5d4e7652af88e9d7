import { afterEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../src/api/types";
import { MemoryCache } from "../src/offline/cache";
import { base64UrlToBytes, forgetDevice, refreshPush, setPushEnv } from "../src/offline/push";
import { showUnread, titleFor, unreadTotal } from "../src/offline/unread";
import { ChatController } from "../src/state/chat";
import { bootstrap, getChat, logout, revalidate, session, useOfflineCache } from "../src/state/session";
import { conv, FakeSocket, flush, json, ME, msg } from "./fixtures";

const offline = () => Promise.reject(new TypeError("Failed to fetch"));

function me(id = "1", over: Partial<Me> = {}): Me {
  return {
    id,
    username: `u${id}`,
    display_name: "Alice Martin",
    title: "Dr",
    professional: null,
    organizations: [{ id: "o", name: "CH Test", finess: "1", kind: "", roles: ["clinician"] }],
    mailboxes: [],
    otp: { enabled: false, required: false },
    session_expires_at: new Date(Date.now() + 3600_000).toISOString(),
    ...over,
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("ChatController started from the device's cache", () => {
  function started(cache: MemoryCache, conversations: () => Promise<unknown>) {
    let socket!: FakeSocket;
    const api = {
      conversations: vi.fn(conversations),
      messages: vi.fn(async () => ({ messages: [], has_more: false })),
      postMessage: vi.fn(offline),
      markRead: vi.fn(offline),
      createConversation: vi.fn(),
    };
    return cache.chat(ME.id).then((cached) => {
      const chat = new ChatController({
        api: api as never,
        meId: ME.id,
        cache,
        cached,
        createSocket: (opts) => (socket = new FakeSocket(opts)),
        setTimer: () => 0,
        clearTimer: () => {},
      });
      return { chat, api, socket: () => socket };
    });
  }

  it("shows the cached list and thread offline, keeps the outbox, resends it once when the socket opens", async () => {
    const cache = new MemoryCache();
    await cache.saveConversations(ME.id, [conv({ last_seq: 3 })]);
    await cache.saveMessages(ME.id, "10", [msg(2), msg(3)]);
    await cache.saveOutbox(ME.id, [
      { client_id: "c-1", conversation: "10", body: "écrit hors ligne", attachments: [], created_at: "2024-01-01T10:00:00Z", status: "pending" },
    ]);
    const { chat, api, socket } = await started(cache, offline);
    chat.start();
    await flush();
    const state = chat.store.get();
    expect(state.listStatus).toBe("ready"); // the failed fetch does not replace the cached list
    expect(state.conversations.map((c) => c.id)).toEqual(["10"]);
    expect(state.messages["10"]).toMatchObject({ status: "ready", hasMore: true });
    expect(state.outbox.map((o) => o.client_id)).toEqual(["c-1"]);

    // Back online: the list is fetched (it only came from the cache), the outbox goes once.
    api.conversations.mockImplementation(async () => ({ results: [conv({ last_seq: 4 })] }));
    socket().open(false);
    await flush();
    const sends = socket().sent.filter((f) => f.type === "message.send");
    expect(sends).toEqual([expect.objectContaining({ client_id: "c-1", body: "écrit hors ligne" })]);
    expect(socket().sent.find((f) => f.type === "sync")).toMatchObject({ cursors: { "10": 3 } });
    expect(api.conversations).toHaveBeenCalledTimes(2);
    chat.handleFrame({ type: "message.ack", ref: "c-1", client_id: "c-1", message: msg(5, { client_id: "c-1", sender: ME }) } as never);
    expect((await cache.chat(ME.id)).outbox).toEqual([]);
  });

  it("writes the list and the opened thread to the cache, and nothing after stop", async () => {
    const cache = new MemoryCache();
    const { chat } = await started(cache, async () => ({ results: [conv({ last_seq: 1 })] }));
    chat.start();
    await flush();
    chat.ingest(msg(1), { live: true });
    chat.setActive("10");
    await flush();
    expect((await cache.chat(ME.id)).conversations).toHaveLength(1);
    chat.stop(true);
    await cache.wipe();
    chat.send("10", "après la déconnexion");
    await flush();
    expect(cache.data.size).toBe(0);
  });

  it("tells the server a hidden tab is away, and visible again", async () => {
    let hidden = true;
    let socket!: FakeSocket;
    const chat = new ChatController({
      api: { conversations: vi.fn(async () => ({ results: [] })) } as never,
      meId: ME.id,
      isHidden: () => hidden,
      createSocket: (opts) => (socket = new FakeSocket(opts)),
    });
    chat.start();
    socket.open();
    hidden = false;
    chat.visibilityChanged();
    expect(socket.sent.filter((f) => f.type === "presence.set")).toEqual([
      { type: "presence.set", status: "away" },
      { type: "presence.set", status: "online" },
    ]);
  });
});

describe("bootstrap", () => {
  function serve(answers: Record<string, () => Promise<Response>>) {
    const fetch = vi.fn((url: string) => (answers[url] ?? (() => Promise.resolve(json(200, { results: [] }))))());
    vi.stubGlobal("fetch", fetch);
    vi.stubGlobal("WebSocket", class {
      readyState = 0;
      close() {}
      send() {}
    });
    return fetch;
  }

  it("opens offline from the cached session with « Hors ligne », then revalidates", async () => {
    const cache = new MemoryCache();
    await cache.saveSession({ me: me(), savedAt: Date.now(), expiresAt: Date.now() + 3600_000 });
    await cache.saveConversations("1", [conv()]);
    useOfflineCache(cache);
    serve({ "/api/me": offline, "/api/conversations": offline });
    await bootstrap();
    expect(session.get()).toMatchObject({ status: "authenticated", offline: true });
    expect(getChat().store.get().conversations).toHaveLength(1);

    serve({ "/api/me": async () => json(200, me()) });
    await revalidate();
    expect(session.get()).toMatchObject({ status: "authenticated", offline: false });
    getChat().stop(true);
  });

  it("wipes the cache when the server says the session is over", async () => {
    const cache = new MemoryCache();
    await cache.saveSession({ me: me(), savedAt: Date.now(), expiresAt: Date.now() + 3600_000 });
    await cache.saveOutbox("1", [{ client_id: "x", conversation: "10", body: "b", attachments: [], created_at: "", status: "pending" }]);
    useOfflineCache(cache);
    serve({ "/api/me": offline, "/api/conversations": offline });
    await bootstrap();
    expect(session.get().offline).toBe(true);
    serve({ "/api/me": async () => json(401, { error: { code: "not_authenticated", message: "Non connecté." } }) });
    await revalidate();
    expect(session.get()).toMatchObject({ status: "anonymous", offline: false });
    expect(cache.data.size).toBe(0);
  });

  it("never opens an expired cached session, nor another user's", async () => {
    const cache = new MemoryCache();
    await cache.saveSession({ me: me(), savedAt: 0, expiresAt: Date.now() - 1000 });
    await cache.saveConversations("1", [conv()]);
    useOfflineCache(cache);
    serve({ "/api/me": offline });
    await bootstrap();
    expect(session.get()).toMatchObject({ status: "anonymous", offline: false });
    expect(cache.data.size).toBe(0);

    await cache.saveSession({ me: me("1"), savedAt: Date.now(), expiresAt: null });
    await cache.saveConversations("1", [conv()]);
    serve({ "/api/me": async () => json(200, me("2")), "/api/conversations": async () => json(200, { results: [] }) });
    await bootstrap();
    expect(session.get()).toMatchObject({ status: "authenticated", offline: false });
    expect((await cache.chat("1")).conversations).toEqual([]);
    expect((await cache.session())?.me.id).toBe("2");
    serve({ "/api/auth/logout": async () => new Response(null, { status: 204 }), "/api/auth/csrf": async () => json(200, { csrf_token: "t" }) });
    await logout();
    expect(cache.data.size).toBe(0);
  });

  it("does not stay on « Chargement… » when the server never answers and nothing is cached", async () => {
    vi.useFakeTimers();
    useOfflineCache(new MemoryCache());
    serve({ "/api/me": () => new Promise<Response>(() => undefined) });
    const done = bootstrap();
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    expect(session.get()).toMatchObject({ status: "anonymous", reason: "Le serveur ne répond pas." });
  });
});

describe("unread count", () => {
  it("adds the unread of conversations that are not muted, in the title and the badge", () => {
    const list = [conv({ unread_count: 2 }), conv({ id: "11", unread_count: 5, muted: true }), conv({ id: "12", unread_count: 1 })];
    expect(unreadTotal(list)).toBe(3);
    expect(titleFor(3)).toBe("(3) Liaison Santé");
    expect(titleFor(0)).toBe("Liaison Santé");
    expect(titleFor(120)).toBe("(99+) Liaison Santé");
    const doc = { title: "" };
    const nav = { setAppBadge: vi.fn(async () => undefined), clearAppBadge: vi.fn(async () => undefined) };
    showUnread(3, doc, nav);
    expect(doc.title).toBe("(3) Liaison Santé");
    expect(nav.setAppBadge).toHaveBeenCalledWith(3);
    showUnread(0, doc, nav);
    expect(nav.clearAppBadge).toHaveBeenCalled();
    expect(() => showUnread(2, doc, {})).not.toThrow();
  });
});

describe("Web Push in the page", () => {
  function fakeRegistration() {
    const unsubscribe = vi.fn(async () => true);
    const closed: string[] = [];
    const subscription = {
      options: { applicationServerKey: null as ArrayBuffer | null },
      unsubscribe,
      toJSON: () => ({ endpoint: "https://fcm.googleapis.com/fcm/send/abc", expirationTime: null, keys: { p256dh: "p", auth: "a" } }),
    };
    let current: typeof subscription | null = null;
    const registration = {
      pushManager: {
        getSubscription: vi.fn(async () => current),
        subscribe: vi.fn(async (opts: { applicationServerKey: Uint8Array }) => {
          subscription.options.applicationServerKey = opts.applicationServerKey.buffer as ArrayBuffer;
          current = subscription;
          return subscription;
        }),
      },
      getNotifications: vi.fn(async () => [{ close: () => closed.push("n") }]),
    };
    return { registration, unsubscribe, closed };
  }

  it("subscribes with the server's key and tells the server, only once permission is granted", async () => {
    const { registration } = fakeRegistration();
    const api = { config: vi.fn(async () => ({ public_key: "BAEC" })), subscribe: vi.fn(async () => ({})), list: vi.fn(), remove: vi.fn() };
    setPushEnv({ api: api as never, registration: async () => registration as never, permission: () => "default" });
    expect(await refreshPush()).toBe(false);
    expect(registration.pushManager.subscribe).not.toHaveBeenCalled();

    setPushEnv({ api: api as never, registration: async () => registration as never, permission: () => "granted" });
    expect(await refreshPush()).toBe(true);
    expect(registration.pushManager.subscribe).toHaveBeenCalledWith({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes("BAEC") });
    expect(api.subscribe).toHaveBeenCalledWith({ endpoint: "https://fcm.googleapis.com/fcm/send/abc", expirationTime: null, keys: { p256dh: "p", auth: "a" } });
    // Signed in again: the same subscription is renewed for the new session, not recreated.
    expect(await refreshPush()).toBe(true);
    expect(registration.pushManager.subscribe).toHaveBeenCalledTimes(1);
    expect(api.subscribe).toHaveBeenCalledTimes(2);
  });

  it("at sign-out closes the notices on screen and drops the subscription", async () => {
    const { registration, unsubscribe, closed } = fakeRegistration();
    await registration.pushManager.subscribe({ applicationServerKey: base64UrlToBytes("BAEC") });
    setPushEnv({ registration: async () => registration as never });
    await forgetDevice();
    expect(closed).toEqual(["n"]);
    expect(unsubscribe).toHaveBeenCalled();
  });

  it("decodes base64url keys", () => {
    expect(Array.from(base64UrlToBytes("_-8"))).toEqual([0xff, 0xef]);
  });
});

describe("NotifyPrompt", () => {
  it("offers Web Push on a phone while the permission is not asked, and subscribes once granted", async () => {
    const { render } = await import("preact");
    const { act } = await import("preact/test-utils");
    const { NotifyPrompt } = await import("../src/components/NotifyPrompt");
    let permission: NotificationPermission = "default";
    vi.stubGlobal("Notification", {
      get permission() {
        return permission;
      },
      requestPermission: vi.fn(async () => (permission = "granted")),
    });
    const api = { config: vi.fn(async () => ({ public_key: "BAEC" })), subscribe: vi.fn(async () => ({})), list: vi.fn(), remove: vi.fn() };
    const subscription = { options: { applicationServerKey: null }, toJSON: () => ({ endpoint: "https://fcm.googleapis.com/x", keys: { p256dh: "p", auth: "a" } }) };
    const registration = { pushManager: { getSubscription: async () => null, subscribe: vi.fn(async () => subscription) } };
    setPushEnv({ api: api as never, registration: async () => registration as never, permission: () => permission });
    const root = document.createElement("div");
    document.body.appendChild(root);
    await act(async () => render(<NotifyPrompt supported />, root));
    expect(root.textContent).toContain("Être prévenu des nouveaux messages");
    await act(async () => (root.querySelector("[data-testid=notify-prompt-enable]") as HTMLButtonElement).click());
    await flush();
    expect(root.querySelector("[data-testid=notify-prompt]")).toBeNull();
    expect(api.subscribe).toHaveBeenCalledTimes(1);
    render(null, root);
    root.remove();
  });
});
