/** Read receipts: « Vu par … » lines and the seen mark of my own messages. */
import type { Id, Message, Person, ReadState } from "../api/types";
import { personName, sameId } from "../lib/people";

/**
 * For each other participant, finds the last loaded message whose seq is <= their read seq
 * and that someone else wrote, and groups them: Map<message seq, persons>. Only that message
 * carries their name, so each reader appears once, under the last message of others they have
 * read (« Vu par X » under X's own message says nothing). My own read state is ignored.
 */
export function computeSeenBy(messages: Message[], readState: ReadState[], meId: Id): Map<number, Person[]> {
  const out = new Map<number, Person[]>();
  if (!messages.length) return out;
  for (const r of readState) {
    if (sameId(r.user.id, meId) || !r.seq) continue;
    // binary search: last index with seq <= r.seq
    let lo = 0;
    let hi = messages.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (messages[mid].seq <= r.seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    while (found >= 0 && sameId(messages[found].sender?.id, r.user.id)) found -= 1;
    if (found < 0) continue;
    const seq = messages[found].seq;
    const list = out.get(seq) ?? [];
    list.push(r.user);
    out.set(seq, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.display_name.localeCompare(b.display_name, "fr"));
  return out;
}

export function seenByLabel(persons: Person[]): string {
  return `Vu par ${persons.map(personName).join(", ")}`;
}

/** A message is seen when some other participant's read seq reaches it. */
export function isSeen(message: Pick<Message, "seq">, readState: ReadState[], meId: Id): boolean {
  return readState.some((r) => !sameId(r.user.id, meId) && r.seq >= message.seq);
}

/** "waiting": in the outbox while the connection is down (sent as soon as it is back). */
export type DeliveryStatus = "waiting" | "sending" | "failed" | "sent" | "seen";

export function deliveryLabel(status: DeliveryStatus): string {
  switch (status) {
    case "waiting":
      return "En attente de connexion";
    case "sending":
      return "Envoi…";
    case "failed":
      return "Échec de l'envoi";
    case "sent":
      return "Envoyé";
    case "seen":
      return "Vu";
  }
}
