/**
 * The chat's frame reducer: pure (no socket, no timers, no storage). Given the state and one
 * server frame (the union generated from the server's registry), it returns the next state and
 * the effects the controller (chat.ts) carries out: taking messages in through the outbox and
 * the sync cursors, arming a typing timer, asking for more sync, passing frames on.
 */
import type { ServerFrame } from "../api/frames.gen";
import type { Acknowledgement, Conversation, Id, Message, Person } from "../api/types";
import { findPerson, sameId } from "../lib/people";
import { mergeMessages } from "./messages";

export type PresenceStatus = "online" | "away" | "offline";

export interface ConvMessages {
  items: Message[];
  hasMore: boolean;
  status: "loading" | "ready" | "error";
  loadingOlder: boolean;
  error?: string;
}

export type TypingPerson = { id: Id; display_name: string; title: string };

/** The part of the chat state frames change (the controller's store holds more). */
export interface FrameState {
  conversations: Conversation[];
  messages: Record<string, ConvMessages>;
  presence: Record<string, PresenceStatus>;
  /** conversation -> user id -> who is typing (entries expire after a delay). */
  typing: Record<string, Record<string, TypingPerson>>;
}

export type ChatEffect =
  | { type: "ack"; clientId: string }
  | { type: "ingest"; message: Message; live: boolean }
  /** After a sync answer: the server's answer is gapless after our cursor. */
  | { type: "baseline"; conversation: Id; seq: number }
  | { type: "sync-more" }
  /** Live frames may have been lost server-side: catch up as after a reconnection. */
  | { type: "resync" }
  | { type: "my-read"; conversation: Id; seq: number }
  | { type: "typing-timer"; conversation: Id; user: Id }
  | { type: "conversation-added"; conversation: Conversation }
  /** The user no longer sees this conversation (left, or removed by the group's admin). */
  | { type: "conversation-removed"; conversation: Id; reason: "left" | "removed" }
  | { type: "session-ended"; reason: string; message: string }
  | { type: "teleexpertise"; request: unknown }
  | { type: "export"; export: unknown }
  | { type: "error"; ref: string; message: string };

export interface ChatStep<S extends FrameState> {
  state: S;
  effects: ChatEffect[];
}

export function key(id: Id): string {
  return String(id);
}

function activityTime(c: Conversation): number {
  return Date.parse(c.last_message?.created_at ?? c.created_at) || 0;
}

/** Pinned first, then the most recent activity. */
export function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => Number(!!b.pinned) - Number(!!a.pinned) || activityTime(b) - activityTime(a));
}

export function removeConversation<S extends FrameState>(state: S, id: Id): S {
  const k = key(id);
  const messages = { ...state.messages };
  delete messages[k];
  const typing = { ...state.typing };
  delete typing[k];
  return { ...state, conversations: state.conversations.filter((c) => !sameId(c.id, id)), messages, typing };
}

export function patchConversation<S extends FrameState>(state: S, id: Id, fn: (c: Conversation) => Conversation): S {
  const idx = state.conversations.findIndex((c) => sameId(c.id, id));
  if (idx < 0) return state;
  const list = state.conversations.slice();
  list[idx] = fn(list[idx]);
  return { ...state, conversations: sortConversations(list) };
}

export function upsertConversation<S extends FrameState>(state: S, conv: Conversation): S {
  const list = state.conversations.filter((c) => !sameId(c.id, conv.id));
  list.push(conv);
  return { ...state, conversations: sortConversations(list) };
}

function messageUpdated<S extends FrameState>(state: S, message: Message): S {
  const k = key(message.conversation);
  let next = state;
  const held = state.messages[k];
  if (held) next = { ...next, messages: { ...next.messages, [k]: { ...held, items: mergeMessages(held.items, [message]) } } };
  return patchConversation(next, message.conversation, (c) =>
    c.last_message && sameId(c.last_message.id, message.id) ? { ...c, last_message: message } : c,
  );
}

/** An acknowledgement of an urgent message, once per person, in time order. */
function acknowledged<S extends FrameState>(state: S, conv: Id, messageId: Id, ack: Acknowledgement, pending?: number): S {
  const k = key(conv);
  const held = state.messages[k];
  const message = held?.items.find((m) => sameId(m.id, messageId));
  if (!held || !message) return state;
  const acks = message.acknowledgements ?? [];
  if (acks.some((a) => sameId(a.user.id, ack.user.id))) return state;
  const next = {
    ...message,
    acknowledgements: [...acks, ack].sort((a, b) => a.at.localeCompare(b.at)),
    // The server's count after this one (team mailboxes included); an older server sends none.
    ...(pending !== undefined ? { pending_acknowledgements: pending } : {}),
  };
  return messageUpdated(state, next);
}

function readMark<S extends FrameState>(state: S, conv: Id, userId: Id, seq: number, meId: Id, reader?: Person): S {
  let next = state;
  if (sameId(userId, meId)) {
    // read in another tab or device
    next = patchConversation(next, conv, (c) => (seq >= c.last_seq ? { ...c, unread_count: 0 } : c));
  }
  return patchConversation(next, conv, (c) => {
    const idx = c.read_state.findIndex((r) => sameId(r.user.id, userId));
    const read_state = c.read_state.slice();
    if (idx >= 0) {
      if (read_state[idx].seq >= seq) return c;
      read_state[idx] = { ...read_state[idx], seq };
    } else {
      // a team mailbox member is not among the participants: the frame's `reader` names them
      const user = findPerson(c, userId) ?? reader;
      if (!user) return c;
      read_state.push({ user, seq });
    }
    return { ...c, read_state };
  });
}

function typingOf<S extends FrameState>(state: S, conv: Id, userId: Id): S {
  const c = state.conversations.find((x) => sameId(x.id, conv));
  const person: TypingPerson =
    c?.participants.flatMap((p) => (p.kind === "user" && sameId(p.user.id, userId) ? [p.user] : []))[0] ?? {
      id: userId,
      display_name: "Un participant",
      title: "",
    };
  const k = key(conv);
  return { ...state, typing: { ...state.typing, [k]: { ...(state.typing[k] ?? {}), [key(userId)]: person } } };
}

/** One server frame: the next state and what the controller must do. */
export function reduceChatFrame<S extends FrameState>(state: S, frame: ServerFrame, meId: Id): ChatStep<S> {
  const same = (s: S, effects: ChatEffect[] = []): ChatStep<S> => ({ state: s, effects });
  switch (frame.type) {
    case "hello":
    case "presence.state":
      return same({ ...state, presence: { ...state.presence, ...frame.presence } });
    case "presence":
      return same({ ...state, presence: { ...state.presence, [key(frame.user)]: frame.status } });
    case "message.ack":
      return same(state, [
        ...(frame.client_id ? [{ type: "ack" as const, clientId: frame.client_id }] : []),
        { type: "ingest", message: frame.message, live: false },
      ]);
    case "message.new":
      return same(state, [{ type: "ingest", message: frame.message, live: true }]);
    case "message.updated":
      return same(messageUpdated(state, frame.message));
    case "message.acknowledged":
      return same(acknowledged(state, frame.conversation, frame.message, frame.acknowledgement, frame.pending));
    case "message.reminder": {
      const who = frame.message.sender?.display_name ?? "un participant";
      return same(messageUpdated(state, frame.message), [
        { type: "error", ref: `reminder:${frame.message.id}`, message: `Rappel : message urgent de ${who} à prendre en compte.` },
      ]);
    }
    case "read": {
      const next = readMark(state, frame.conversation, frame.user, frame.seq, meId, frame.reader);
      const mine = sameId(frame.user, meId);
      return same(next, mine ? [{ type: "my-read", conversation: frame.conversation, seq: frame.seq }] : []);
    }
    case "typing":
      if (sameId(frame.user, meId)) return same(state);
      return same(typingOf(state, frame.conversation, frame.user), [
        { type: "typing-timer", conversation: frame.conversation, user: frame.user },
      ]);
    case "sync": {
      const sorted = [...frame.messages].sort((a, b) => a.seq - b.seq);
      const effects: ChatEffect[] = sorted.map((message) => ({ type: "ingest", message, live: false }));
      const maxByConv = new Map<string, { id: Id; seq: number }>();
      for (const m of sorted) {
        const cur = maxByConv.get(key(m.conversation));
        if (!cur || m.seq > cur.seq) maxByConv.set(key(m.conversation), { id: m.conversation, seq: m.seq });
      }
      for (const { id, seq } of maxByConv.values()) effects.push({ type: "baseline", conversation: id, seq });
      if (frame.more) effects.push({ type: "sync-more" });
      return same(state, effects);
    }
    case "resync":
      return same(state, [{ type: "resync" }]);
    case "conversation.new":
      return same(upsertConversation(state, frame.conversation), [
        { type: "conversation-added", conversation: frame.conversation },
      ]);
    case "conversation.updated":
      return same(upsertConversation(state, frame.conversation));
    case "conversation.removed":
      return same(removeConversation(state, frame.conversation), [
        { type: "conversation-removed", conversation: frame.conversation, reason: frame.reason },
      ]);
    case "session.ended":
      return same(state, [{ type: "session-ended", reason: frame.reason, message: frame.message }]);
    case "teleexpertise.updated":
      return same(state, [{ type: "teleexpertise", request: frame.request }]);
    case "export.updated":
      return same(state, [{ type: "export", export: frame.export }]);
    case "error": {
      const ref = frame.ref ?? "";
      if (ref.startsWith("call:")) return same(state); // answered by the call manager (its own listener)
      return same(state, [{ type: "error", ref, message: frame.message || "Une erreur est survenue." }]);
    }
    default:
      return same(state);
  }
}
