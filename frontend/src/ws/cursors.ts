/**
 * Sync cursors: per conversation, the highest seq up to which this client has seen every
 * message without a gap. Sent in the `sync` frame after each (re)connection so the server
 * replays everything after it. A message whose seq jumps past cursor + 1 reveals a gap (a
 * frame missed): the cursor does not move and the caller asks for a sync.
 */
import type { Id } from "../api/types";

export type Observation = "next" | "duplicate" | "gap" | "first";

export class SyncCursors {
  private map = new Map<string, number>();

  get(conversation: Id): number | undefined {
    return this.map.get(String(conversation));
  }

  /** Known-complete state up to `seq` (latest page loaded, conversation list snapshot). Never moves back. */
  baseline(conversation: Id, seq: number): void {
    const key = String(conversation);
    const cur = this.map.get(key);
    if (cur === undefined || seq > cur) this.map.set(key, seq);
  }

  /** Records one live message. */
  observe(conversation: Id, seq: number): Observation {
    const key = String(conversation);
    const cur = this.map.get(key);
    if (cur === undefined) {
      // Nothing known yet (the conversation list has not given a baseline): start here rather
      // than replaying the whole history; the list / latest page fetch fills the rest.
      this.map.set(key, seq);
      return "first";
    }
    if (seq <= cur) return "duplicate";
    if (seq === cur + 1) {
      this.map.set(key, seq);
      return "next";
    }
    return "gap";
  }

  /** Applies an ordered batch (a sync answer); returns the new cursor. */
  applyBatch(conversation: Id, seqs: number[]): number | undefined {
    for (const seq of [...seqs].sort((a, b) => a - b)) this.observe(conversation, seq);
    return this.get(conversation);
  }

  /** `{conversationId: lastSeq}` for the sync frame. */
  snapshot(only?: Id[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.map) {
      if (!only || only.some((id) => String(id) === k)) out[k] = v;
    }
    return out;
  }

  /** No longer followed (the user left the conversation, or was removed): not synced any more. */
  forget(conversation: Id): void {
    this.map.delete(String(conversation));
  }

  clear(): void {
    this.map.clear();
  }
}
