import { h, render } from "preact";
import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../src/api/frames.gen";
import { fromMessage, MessageItem } from "../src/components/MessageItem";
import { type FrameState, reduceChatFrame } from "../src/state/chatFrames";
import { Outbox } from "../src/ws/outbox";
import { BOB, CAROL, conv, flush, ME, msg } from "./fixtures";

const reduce = (s: FrameState, frame: ServerFrame) => reduceChatFrame(s, frame, ME.id);

function withUrgent(): FrameState {
  const urgent = msg(3, { urgent: true, acknowledgements: [] });
  return {
    conversations: [conv({ last_seq: 3, last_message: urgent })],
    messages: { "10": { items: [urgent], hasMore: false, status: "ready", loadingOlder: false } },
    presence: {},
    typing: {},
  };
}

function acked(id: string, user = BOB, at = "2026-11-27T10:00:00+00:00", pending?: number): ServerFrame {
  return { type: "message.acknowledged", conversation: "10", message: id, acknowledgement: { user, at }, ...(pending === undefined ? {} : { pending }) };
}

describe("urgent messages in the chat state", () => {
  it("records each « Pris en compte » once, in time order, live", () => {
    let s = withUrgent();
    const id = String(s.messages["10"].items[0].id);
    s = reduce(s, acked(id, CAROL, "2026-11-27T10:05:00+00:00")).state;
    s = reduce(s, acked(id, BOB, "2026-11-27T10:01:00+00:00")).state;
    s = reduce(s, acked(id, BOB, "2026-11-27T10:09:00+00:00")).state; // a second copy changes nothing
    const acks = s.messages["10"].items[0].acknowledgements ?? [];
    expect(acks.map((a) => a.user.id)).toEqual([BOB.id, CAROL.id]);
    expect(s.conversations[0].last_message?.acknowledgements?.length).toBe(2);
  });

  it("shows the « en attente » count the server sends, team mailbox members included", async () => {
    // A one-to-one-looking conversation with a team mailbox: 1 + 4 members to acknowledge.
    let s = withUrgent();
    const id = String(s.messages["10"].items[0].id);
    s = { ...s, messages: { "10": { ...s.messages["10"], items: [{ ...s.messages["10"].items[0], sender: ME, pending_acknowledgements: 5 }] } } };
    s = reduce(s, acked(id, BOB, "2026-11-27T10:01:00+00:00", 4)).state;
    const message = s.messages["10"].items[0];
    expect(message.pending_acknowledgements).toBe(4);
    const root = document.createElement("div");
    render(h(MessageItem, { view: fromMessage(message), meId: ME.id, showAuthor: true, canModify: false }), root);
    await flush();
    expect(root.querySelector('[data-testid="urgent-bar"]')!.textContent).toContain("en attente : 4");
    render(null, root);
  });

  it("turns a reminder into a notice naming the sender, never the text", () => {
    const s = withUrgent();
    const message = { ...s.messages["10"].items[0], sender: BOB, body: "Kaliémie 6,8" };
    const { effects } = reduce(s, { type: "message.reminder", message });
    expect(effects).toHaveLength(1);
    const notice = effects[0] as { type: string; message: string };
    expect(notice.type).toBe("error");
    expect(notice.message).toContain(BOB.display_name);
    expect(notice.message).not.toContain("Kaliémie");
  });

  it("sends reply_to and urgent in the message.send frame only when set", () => {
    const base = { client_id: "c1", conversation: "10", body: "ok", attachments: [], created_at: "", status: "pending" as const };
    expect(Outbox.frameFor(base)).not.toHaveProperty("urgent");
    expect(Outbox.frameFor({ ...base, reply_to: "m1", urgent: true })).toMatchObject({ reply_to: "m1", urgent: true });
  });
});
