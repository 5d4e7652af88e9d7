import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../src/api/frames.gen";
import { type FrameState, reduceChatFrame } from "../src/state/chatFrames";
import { BOB, ME, conv, msg } from "./fixtures";

function state(over: Partial<FrameState> = {}): FrameState {
  return { conversations: [conv({ last_seq: 3, unread_count: 2 })], messages: {}, presence: {}, typing: {}, ...over };
}

const reduce = (s: FrameState, frame: ServerFrame) => reduceChatFrame(s, frame, ME.id);

describe("the chat frame reducer (no socket)", () => {
  it("merges presence from hello, presence and presence.state", () => {
    let s = reduce(state(), { type: "hello", user: ME.id, presence: { [BOB.id]: "online" } }).state;
    s = reduce(s, { type: "presence", user: "42", status: "away" }).state;
    s = reduce(s, { type: "presence.state", presence: { [BOB.id]: "offline" }, ref: null }).state;
    expect(s.presence).toEqual({ [BOB.id]: "offline", "42": "away" });
  });

  it("hands new messages and acks to the controller, live or not", () => {
    const m = msg(4);
    expect(reduce(state(), { type: "message.new", message: m }).effects).toEqual([{ type: "ingest", message: m, live: true }]);
    expect(reduce(state(), { type: "message.ack", client_id: "c1", message: m, ref: "c1" }).effects).toEqual([
      { type: "ack", clientId: "c1" },
      { type: "ingest", message: m, live: false },
    ]);
  });

  it("replaces an edited message in the loaded page and as the conversation's last message", () => {
    const old = msg(3);
    const s0 = state({
      conversations: [conv({ last_seq: 3, last_message: old })],
      messages: { "10": { items: [old], hasMore: false, status: "ready", loadingOlder: false } },
    });
    const edited = { ...old, body: "corrigé", edited_at: new Date().toISOString() };
    const { state: s, effects } = reduce(s0, { type: "message.updated", message: edited });
    expect(effects).toEqual([]);
    expect(s.messages["10"].items[0].body).toBe("corrigé");
    expect(s.conversations[0].last_message?.body).toBe("corrigé");
  });

  it("records others' read marks, and my own read elsewhere clears the unread count", () => {
    let step = reduce(state(), { type: "read", conversation: "10", user: BOB.id, seq: 2 });
    expect(step.state.conversations[0].read_state).toEqual([{ user: BOB, seq: 2 }]);
    expect(step.effects).toEqual([]);
    step = reduce(step.state, { type: "read", conversation: "10", user: ME.id, seq: 3 });
    expect(step.state.conversations[0].unread_count).toBe(0);
    expect(step.effects).toEqual([{ type: "my-read", conversation: "10", seq: 3 }]);
  });

  it("shows who types and asks for the expiry timer; my own typing is ignored", () => {
    const step = reduce(state(), { type: "typing", conversation: "10", user: BOB.id });
    expect(step.state.typing["10"][BOB.id].display_name).toBe(BOB.display_name);
    expect(step.effects).toEqual([{ type: "typing-timer", conversation: "10", user: BOB.id }]);
    expect(reduce(state(), { type: "typing", conversation: "10", user: ME.id })).toEqual({ state: state(), effects: [] });
  });

  it("takes a sync answer in seq order, moves the cursors and asks for more", () => {
    const { effects } = reduce(state(), { type: "sync", messages: [msg(6), msg(5)], more: true, ref: "sync-1" });
    expect(effects.map((e) => e.type)).toEqual(["ingest", "ingest", "baseline", "sync-more"]);
    expect(effects[0]).toMatchObject({ message: { seq: 5 } });
    expect(effects[2]).toEqual({ type: "baseline", conversation: "10", seq: 6 });
  });

  it("adds a new conversation and passes teleexpertise, export and error frames on", () => {
    const other = conv({ id: "11" });
    const step = reduce(state(), { type: "conversation.new", conversation: other });
    expect(step.state.conversations.map((c) => c.id)).toContain("11");
    expect(reduce(state(), { type: "error", code: "invalid", message: "Refusé.", ref: "c9" }).effects).toEqual([
      { type: "error", ref: "c9", message: "Refusé." },
    ]);
    expect(reduce(state(), { type: "error", code: "x", message: "m", ref: "call:1" }).effects).toEqual([]);
  });
});
