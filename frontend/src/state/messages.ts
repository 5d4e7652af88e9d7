/** Pure helpers over message lists. */
import type { Message } from "../api/types";

/**
 * Merges messages into an ascending-by-seq list without duplicates. A message arriving again
 * with the same seq replaces the old copy (it may be an edit or a deletion); the result is a
 * new array only when something changed.
 */
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  if (!incoming.length) return existing;
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  let changed = false;
  for (const m of incoming) {
    const prev = bySeq.get(m.seq);
    if (prev && !isNewer(m, prev)) continue;
    bySeq.set(m.seq, m);
    changed = true;
  }
  if (!changed) return existing;
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Whether `a` should replace `b` (same seq). Deletion, later edits and more acknowledgements win; identical copies don't churn. */
function isNewer(a: Message, b: Message): boolean {
  if (a === b) return false;
  if (b.deleted && !a.deleted) return false;
  if (a.deleted !== b.deleted) return true;
  const ea = a.edited_at ? Date.parse(a.edited_at) : 0;
  const eb = b.edited_at ? Date.parse(b.edited_at) : 0;
  if (ea !== eb) return ea > eb;
  // An urgent message gains « Pris en compte » marks, never loses them: more is newer.
  const ka = a.acknowledgements?.length ?? 0;
  const kb = b.acknowledgements?.length ?? 0;
  if (ka !== kb) return ka > kb;
  return a.body !== b.body || a.attachments.length !== b.attachments.length;
}

export function lastSeq(messages: Message[]): number {
  return messages.length ? messages[messages.length - 1].seq : 0;
}
