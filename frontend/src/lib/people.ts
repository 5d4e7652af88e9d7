import type { Conversation, Id, Person } from "../api/types";

export function sameId(a: Id | null | undefined, b: Id | null | undefined): boolean {
  return a !== null && a !== undefined && b !== null && b !== undefined && String(a) === String(b);
}

/** "Dr Marie Curie" — prefixes the title unless the display name already carries it. */
export function personName(p: { display_name: string; title?: string | null } | null | undefined): string {
  if (!p) return "Système";
  const name = (p.display_name || "").trim();
  const title = (p.title || "").trim();
  if (!title || name.toLowerCase().startsWith(title.toLowerCase() + " ")) return name || "Utilisateur";
  return `${title} ${name}`;
}

export function initials(name: string): string {
  const parts = name
    .replace(/^(Dr|Pr|Mme|M\.|Me)\s+/i, "")
    .split(/\s+/)
    .filter(Boolean);
  return ((parts[0]?.[0] ?? "") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase() || "?";
}

/** Participants that are users other than me. */
export function otherUsers(conversation: Conversation, meId: Id): Person[] {
  const out: Person[] = [];
  for (const p of conversation.participants) {
    if (p.kind === "user" && !sameId(p.user.id, meId)) out.push(p.user);
  }
  return out;
}

export function findPerson(conversation: Conversation | undefined, userId: Id): Person | undefined {
  if (!conversation) return undefined;
  for (const p of conversation.participants) if (p.kind === "user" && sameId(p.user.id, userId)) return p.user;
  for (const r of conversation.read_state) if (sameId(r.user.id, userId)) return r.user;
  return undefined;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0).replace(".", ",")} Ko`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(".", ",")} Mo`;
}
