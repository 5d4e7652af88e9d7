import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChatController, type RealtimeLike } from "../src/state/chat";
import { ConversationView } from "../src/screens/ConversationView";
import { ConversationList } from "../src/screens/ConversationList";
import type { SocketOptions } from "../src/ws/socket";
import { BOB, CAROL, conv, flush, ME, msg, patientRef } from "./fixtures";

class OpenSocket implements RealtimeLike {
  sent: Record<string, unknown>[] = [];
  isOpen = true;
  constructor(public opts: SocketOptions) {}
  start() {}
  stop() {}
  reconnectNow() {}
  send(f: Record<string, unknown>) {
    this.sent.push(f);
    return true;
  }
}

let root: HTMLElement;
afterEach(() => {
  render(null, root);
  root.remove();
});

async function mount(messages = [msg(1, { sender: ME }), msg(2), msg(3, { sender: ME })]) {
  root = document.createElement("div");
  document.body.appendChild(root);
  let socket!: OpenSocket;
  const c = conv({ last_seq: 3, read_state: [{ user: BOB, seq: 3 }], last_message: messages[messages.length - 1] });
  const chat = new ChatController({
    api: {
      conversations: async () => ({ results: [c] }),
      messages: async () => ({ messages, has_more: false }),
      postMessage: vi.fn(),
      markRead: vi.fn(async () => ({})),
      createConversation: vi.fn(),
    } as never,
    meId: ME.id,
    createSocket: (o) => (socket = new OpenSocket(o)),
    isVisible: () => true,
  });
  chat.start();
  await flush();
  await act(async () => {
    render(<ConversationView chat={chat} meId={ME.id} conversationId="10" onBack={() => {}} />, root);
    await flush();
  });
  return { chat, socket: () => socket };
}

describe("ConversationView", () => {
  it("renders messages with seq, a day separator, seen marks and the « Vu par » line", async () => {
    await mount();
    const items = root.querySelectorAll('[data-testid="message-item"]');
    expect(Array.from(items).map((e) => e.getAttribute("data-seq"))).toEqual(["1", "2", "3"]);
    expect(root.querySelectorAll('[data-testid="day-separator"]').length).toBe(1);
    const receipt = root.querySelector('[data-testid="read-receipt"]')!;
    expect(receipt.textContent).toBe("Vu par Dr Bob Durand");
    expect(receipt.getAttribute("data-seq")).toBe("3");
    expect(items[2].getAttribute("data-status")).toBe("seen");
  });

  it("shows the team and the role of a team mailbox member on their messages", async () => {
    await mount([msg(1, { sender: CAROL, team: { name: "Secrétariat de cardiologie", role: "Secrétariat" } }), msg(2)]);
    const teams = root.querySelectorAll('[data-testid="message-team"]');
    expect(teams.length).toBe(1);
    expect(teams[0].textContent).toContain("Secrétariat, Secrétariat de cardiologie");
  });

  it("shows a deleted message as « Message supprimé »", async () => {
    await mount([msg(1, { deleted: true, body: "" })]);
    expect(root.textContent).toContain("Message supprimé");
  });

  it("shows the typing indicator and sends with Ctrl+Enter as a pending message", async () => {
    const { chat, socket } = await mount();
    await act(async () => {
      chat.handleFrame({ type: "typing", conversation: "10", user: BOB.id });
    });
    const typing = root.querySelector('[data-testid="typing-indicator"]')!;
    expect(typing.textContent).toBe("Dr Bob Durand écrit…");

    const area = root.querySelector('[data-testid="composer-input"]') as HTMLTextAreaElement;
    await act(async () => {
      area.value = "Bonjour confrère";
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(async () => {
      area.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true, cancelable: true }));
    });
    const sent = socket().sent.find((f) => f.type === "message.send")!;
    expect(sent.body).toBe("Bonjour confrère");
    const pending = root.querySelector('[data-status="sending"]');
    expect(pending?.textContent).toContain("Bonjour confrère");
    expect(area.value).toBe("");
  });

  it("shows a message written while the connection is lost as waiting, never silently stuck", async () => {
    const { chat } = await mount();
    await act(async () => {
      chat.store.update({ connection: "reconnecting" });
    });
    await act(async () => {
      chat.send("10", "Rappel : INR demain");
    });
    const waiting = root.querySelector('[data-status="waiting"]');
    expect(waiting?.textContent).toContain("Rappel : INR demain");
    expect(waiting?.textContent).toContain("En attente de connexion");
  });

  it("plain Enter does not send", async () => {
    const { socket } = await mount();
    const area = root.querySelector('[data-testid="composer-input"]') as HTMLTextAreaElement;
    await act(async () => {
      area.value = "ligne";
      area.dispatchEvent(new Event("input", { bubbles: true }));
      area.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    });
    expect(socket().sent.filter((f) => f.type === "message.send")).toHaveLength(0);
  });
});

describe("ConversationList", () => {
  it("shows items with unread badge and previews", async () => {
    root = document.createElement("div");
    document.body.appendChild(root);
    const c1 = conv({ unread_count: 2, last_message: msg(4, { body: "", attachments: [{ id: "1", name: "a.pdf", content_type: "application/pdf", size: 1, sha256: "" }] }), patient: patientRef({ id: "1", display_name: "M. Patient" }) });
    const chat = new ChatController({
      api: { conversations: async () => ({ results: [c1] }) } as never,
      meId: ME.id,
      createSocket: (o) => new OpenSocket(o),
    });
    chat.start();
    await flush();
    await act(async () => {
      render(<ConversationList chat={chat} meId={ME.id} activeId={null} onNew={() => {}} />, root);
    });
    const item = root.querySelector('[data-testid="conversation-item"]')!;
    expect(item.querySelector('[data-testid="unread-badge"]')!.textContent).toBe("2");
    expect(item.textContent).toContain("Pièce jointe");
    expect(item.querySelector('[data-testid="patient-tag"]')).not.toBeNull();
  });
});
