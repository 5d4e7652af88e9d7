import { describe, expect, it, vi } from "vitest";
import { ChatController } from "../src/state/chat";
import { BOB, conv, FakeSocket, flush, ME, msg } from "./fixtures";

function setup(conversations = [conv({ last_seq: 3 })], pages: Record<string, ReturnType<typeof msg>[]> = { "10": [msg(1), msg(2), msg(3)] }) {
  let socket!: FakeSocket;
  const api = {
    conversations: vi.fn(async () => ({ results: conversations })),
    messages: vi.fn(async (id: unknown) => ({ messages: pages[String(id)] ?? [], has_more: false })),
    postMessage: vi.fn(async () => {
      throw Object.assign(new Error("offline"), { status: 0 });
    }),
    markRead: vi.fn(async () => ({})),
    createConversation: vi.fn(),
  };
  const incoming = vi.fn();
  const chat = new ChatController({
    api: api as never,
    meId: ME.id,
    createSocket: (opts) => (socket = new FakeSocket(opts)),
    isVisible: () => true,
    onIncoming: incoming,
    setTimer: () => 0,
    clearTimer: () => {},
  });
  return { chat, api, socket: () => socket, incoming };
}


/** Started, connected, conversation 10 on screen, nothing sent yet. */
async function openOn10() {
  const ready = setup();
  ready.chat.start();
  await flush();
  ready.socket().open();
  ready.chat.setActive("10");
  await flush();
  ready.socket().sent = [];
  return ready;
}

describe("ChatController outbox and sync", () => {
  it("sends with a client_id and removes the outbox item on ack; message.new afterwards does not duplicate", async () => {
    const { chat, socket } = setup();
    chat.start();
    await flush();
    socket().open();
    chat.setActive("10");
    await flush();
    const item = chat.send("10", "Bonjour")!;
    expect(chat.store.get().outbox).toHaveLength(1);
    const frame = socket().sent.find((f) => f.type === "message.send")!;
    expect(frame.client_id).toBe(item.client_id);

    const stored = msg(4, { sender: ME, client_id: item.client_id, body: "Bonjour" });
    chat.handleFrame({ type: "message.ack", client_id: item.client_id, message: stored, ref: null });
    chat.handleFrame({ type: "message.new", message: stored });
    expect(chat.store.get().outbox).toHaveLength(0);
    expect(chat.store.get().messages["10"].items.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it("message.new before the ack also clears the outbox, once", async () => {
    const { chat, socket } = setup();
    chat.start();
    await flush();
    socket().open();
    chat.setActive("10");
    await flush();
    const item = chat.send("10", "Bonjour")!;
    const stored = msg(4, { sender: ME, client_id: item.client_id });
    chat.handleFrame({ type: "message.new", message: stored });
    chat.handleFrame({ type: "message.ack", client_id: item.client_id, message: stored, ref: null });
    expect(chat.store.get().outbox).toHaveLength(0);
    expect(chat.store.get().messages["10"].items.filter((m) => m.seq === 4)).toHaveLength(1);
  });

  it("re-sends unacknowledged messages with the same client_id on reconnect, then syncs from the cursors", async () => {
    const { chat, socket } = setup();
    chat.start();
    await flush();
    socket().open();
    chat.setActive("10");
    await flush();
    socket().drop();
    const item = chat.send("10", "Pendant la coupure")!;
    await flush(); // HTTP fallback fails with a network error: stays pending
    expect(chat.store.get().outbox[0].status).toBe("pending");
    socket().sent = [];
    socket().open(true);
    const resend = socket().sent.filter((f) => f.type === "message.send");
    expect(resend).toHaveLength(1);
    expect(resend[0].client_id).toBe(item.client_id);
    const sync = socket().sent.find((f) => f.type === "sync")!;
    expect(sync.cursors).toEqual({ "10": 3 });
  });

  it("ingests a sync answer in order, advances the cursor and asks for more", async () => {
    const { chat, socket } = await openOn10();
    chat.handleFrame({ type: "sync", ref: "sync-1", messages: [msg(5), msg(4)], more: true });
    expect(chat.store.get().messages["10"].items.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(chat.cursors.get("10")).toBe(5);
    expect(socket().sent.find((f) => f.type === "sync")!.cursors).toEqual({ "10": 5 });
  });

  it("on a resync frame (the server lost live events) syncs from its cursors and reloads the list", async () => {
    const { chat, api, socket } = await openOn10();
    const loads = api.conversations.mock.calls.length;
    chat.handleFrame({ type: "resync" });
    await flush();
    expect(socket().sent.find((f) => f.type === "sync")!.cursors).toEqual({ "10": 3 });
    expect(api.conversations.mock.calls.length).toBe(loads + 1);
  });

  it("detects a gap in live messages and requests a sync for that conversation", async () => {
    const { chat, socket } = await openOn10();
    chat.handleFrame({ type: "message.new", message: msg(6) });
    await flush();
    expect(chat.cursors.get("10")).toBe(3);
    expect(socket().sent.find((f) => f.type === "sync")!.cursors).toEqual({ "10": 3 });
  });

  it("counts unread messages of conversations not on screen and notifies for live ones", async () => {
    const { chat, socket, incoming } = setup([conv({ last_seq: 3 }), conv({ id: "11", last_seq: 0 })]);
    chat.start();
    await flush();
    socket().open();
    chat.setActive("10");
    await flush();
    chat.handleFrame({ type: "message.new", message: msg(1, { conversation: "11", id: "5001" }) });
    const c11 = chat.conversation("11")!;
    expect(c11.unread_count).toBe(1);
    expect(c11.last_message?.id).toBe("5001");
    expect(incoming).toHaveBeenCalledTimes(1);
    // sorted by last activity: 11 first now
    expect(String(chat.store.get().conversations[0].id)).toBe("11");
  });

  it("marks read when a message arrives in the visible conversation", async () => {
    const { chat, socket } = await openOn10();
    chat.handleFrame({ type: "message.new", message: msg(4) });
    expect(socket().sent).toContainEqual({ type: "read", conversation: "10", seq: 4 });
  });

  it("updates read state from read frames and marks failed sends from error frames", async () => {
    const { chat, socket } = setup();
    chat.start();
    await flush();
    socket().open();
    chat.handleFrame({ type: "read", conversation: "10", user: BOB.id, seq: 2 });
    expect(chat.conversation("10")!.read_state).toEqual([{ user: BOB, seq: 2 }]);
    const item = chat.send("10", "x")!;
    chat.handleFrame({ type: "error", code: "invalid", message: "Message refusé.", ref: item.client_id });
    expect(chat.store.get().outbox[0]).toMatchObject({ status: "failed", error: "Message refusé." });
  });

  it("names a team mailbox member's « Vu par » live from the frame's reader", async () => {
    const { chat, socket } = setup();
    chat.start();
    await flush();
    socket().open();
    const secretary = { id: "77", display_name: "Sophie Leroux", title: "", profession_label: "", organization: "CH Test", team: { name: "Cardiologie", role: "Secrétariat" } };
    chat.handleFrame({ type: "read", conversation: "10", user: "77", seq: 3, reader: secretary });
    expect(chat.conversation("10")!.read_state).toContainEqual({ user: secretary, seq: 3 });
  });

  it("throttles typing frames to one per 3 s", async () => {
    let t = 0;
    let socket!: FakeSocket;
    const chat = new ChatController({
      api: { conversations: async () => ({ results: [] }) } as never,
      meId: ME.id,
      createSocket: (o) => (socket = new FakeSocket(o)),
      now: () => t,
    });
    chat.start();
    socket.open();
    chat.typing("10");
    t = 1000;
    chat.typing("10");
    t = 3000;
    chat.typing("10");
    expect(socket.sent.filter((f) => f.type === "typing")).toHaveLength(2);
  });
});

describe("ChatController session end", () => {
  function ended() {
    let socket!: FakeSocket;
    const onSessionEnded = vi.fn();
    const stop = vi.fn();
    const chat = new ChatController({
      api: { conversations: vi.fn(async () => ({ results: [] })), messages: vi.fn(), postMessage: vi.fn(), markRead: vi.fn(), createConversation: vi.fn() } as never,
      meId: ME.id,
      createSocket: (opts) => {
        socket = new FakeSocket(opts);
        socket.stop = stop;
        return socket;
      },
      onSessionEnded,
      setTimer: () => 0,
      clearTimer: () => {},
    });
    return { chat, socket: () => socket, onSessionEnded, stop };
  }

  it("goes back to sign-in with the server's reason on a session.ended frame", () => {
    const { chat, onSessionEnded, stop } = ended();
    chat.handleFrame({ type: "session.ended", reason: "password_changed", message: "Votre mot de passe a changé : reconnectez-vous." });
    expect(stop).toHaveBeenCalled();
    expect(onSessionEnded).toHaveBeenCalledWith("password_changed", "Votre mot de passe a changé : reconnectez-vous.");
  });

  it("understands the 4410 close code and its reason, once, without reconnecting", () => {
    const { socket, onSessionEnded, stop } = ended();
    socket().opts.onClose?.(4410, "logout");
    socket().opts.onClose?.(4410, "logout");
    expect(stop).toHaveBeenCalledTimes(1);
    expect(onSessionEnded).toHaveBeenCalledTimes(1);
    expect(onSessionEnded).toHaveBeenCalledWith("logout", "Vous avez été déconnecté.");
  });

  it("a plain network close is not a session end", () => {
    const { socket, onSessionEnded } = ended();
    socket().opts.onClose?.(1006, "");
    expect(onSessionEnded).not.toHaveBeenCalled();
  });
});
