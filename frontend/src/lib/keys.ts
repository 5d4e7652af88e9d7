/** Composer keyboard rules. */

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
  isComposing?: boolean;
}

/** Ctrl+Enter (Windows/Linux) or Cmd+Enter (macOS) sends; plain Enter inserts a new line. */
export function isSendShortcut(e: KeyLike): boolean {
  if (e.isComposing) return false; // IME composition in progress
  return e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey;
}

export function isMacPlatform(nav: { platform?: string; userAgent?: string } = typeof navigator !== "undefined" ? navigator : {}): boolean {
  return /Mac|iPhone|iPad|iPod/i.test(nav.platform || nav.userAgent || "");
}

export function sendShortcutHint(mac = isMacPlatform()): string {
  return mac ? "⌘ + Entrée pour envoyer" : "Ctrl + Entrée pour envoyer";
}

/** Ctrl+K (⌘K on macOS), or « / » outside a text field: go to the message search. */
export function isSearchShortcut(e: KeyLike, inTextField: boolean): boolean {
  if (e.isComposing || e.altKey) return false;
  if (e.key.toLowerCase() === "k" && (e.ctrlKey || e.metaKey) && !e.shiftKey) return true;
  return e.key === "/" && !inTextField && !e.ctrlKey && !e.metaKey;
}

export function isTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}
