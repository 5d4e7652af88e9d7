import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Id } from "../../api/types";
import { isSearchShortcut, isTextField } from "../../lib/keys";
import type { ChatController } from "../../state/chat";

/** A request to show one message of a conversation (from a search result). */
export interface JumpTarget {
  conversation: Id;
  seq: number;
  nonce: number; // the same message picked twice jumps twice
}

const HIGHLIGHT_MS = 2500;

/**
 * Scrolls the message list to `target.seq`, loading older pages until it is there, and marks it
 * for a moment (class `jump-highlight`); `onDone` once shown or once the history has no more.
 */
export function useJumpToMessage(opts: {
  chat: ChatController;
  conversationId: string;
  firstSeq: number | null;
  ready: boolean;
  hasMore: boolean;
  loadingOlder: boolean;
  scrollRef: RefObject<HTMLDivElement | null>;
  stickToBottom: { current: boolean };
  target: JumpTarget | null;
  onDone: () => void;
}): void {
  const { chat, conversationId, firstSeq, ready, hasMore, loadingOlder, scrollRef, stickToBottom, target, onDone } = opts;
  useEffect(() => {
    if (!target || String(target.conversation) !== conversationId || !ready) return;
    const el = scrollRef.current?.querySelector<HTMLElement>(`.messages [data-seq="${target.seq}"]`);
    if (el) {
      stickToBottom.current = false;
      el.scrollIntoView({ block: "center" });
      el.classList.add("jump-highlight");
      el.setAttribute("data-jumped", "true");
      setTimeout(() => el.classList.remove("jump-highlight"), HIGHLIGHT_MS);
      onDone();
      return;
    }
    if (hasMore && !loadingOlder && (firstSeq === null || firstSeq > target.seq)) void chat.loadOlder(conversationId);
    else if (!hasMore) onDone();
  }, [target, conversationId, firstSeq, ready, hasMore, loadingOlder]);
}

/** Ctrl+K / ⌘K / « / » anywhere in the messaging screen focuses `input`. */
export function useSearchShortcut(input: RefObject<HTMLInputElement | null>): void {
  const latest = useRef(input);
  latest.current = input;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!isSearchShortcut(e, isTextField(e.target))) return;
      const el = latest.current.current;
      if (!el || el.offsetParent === null) return; // hidden (a phone showing a conversation)
      e.preventDefault();
      el.focus();
      el.select();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}
