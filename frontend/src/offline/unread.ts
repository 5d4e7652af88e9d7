/**
 * The total of unread messages in the tab title (« (3) Liaison Santé ») and on the installed
 * app's icon (Badging API, where the browser has it). Muted conversations do not count.
 */
import type { Conversation } from "../api/types";

interface ListSource {
  get(): { conversations: Conversation[] };
  subscribe(listener: (state: { conversations: Conversation[] }) => void): () => void;
}

export const APP_TITLE = "Liaison Santé";

export function unreadTotal(conversations: readonly Conversation[]): number {
  let total = 0;
  for (const c of conversations) {
    if (c.muted) continue;
    total += Math.max(0, c.unread_count || 0);
  }
  return total;
}

export function titleFor(count: number): string {
  return count > 0 ? `(${count > 99 ? "99+" : count}) ${APP_TITLE}` : APP_TITLE;
}

interface BadgeNavigator {
  setAppBadge?: (n?: number) => Promise<void>;
  clearAppBadge?: () => Promise<void>;
}

export function showUnread(count: number, doc: Pick<Document, "title"> = document, nav: BadgeNavigator = navigator as BadgeNavigator): void {
  doc.title = titleFor(count);
  try {
    const done = count > 0 ? nav.setAppBadge?.(count) : nav.clearAppBadge?.();
    done?.catch(() => undefined); // not installed, or not allowed: the title still says it
  } catch {
    /* no Badging API */
  }
}

/** Follows the chat's list; the returned function stops and resets the title and badge. */
export function followUnread(store: ListSource): () => void {
  let last = -1;
  const update = (conversations: Conversation[]): void => {
    const count = unreadTotal(conversations);
    if (count !== last) showUnread((last = count));
  };
  update(store.get().conversations);
  const off = store.subscribe((s) => update(s.conversations));
  return () => {
    off();
    showUnread(0);
  };
}
