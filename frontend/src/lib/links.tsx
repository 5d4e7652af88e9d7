/**
 * Message text with its web addresses made clickable, safely: the text is rendered as text (never
 * HTML), only http:// and https:// addresses become links (so `javascript:` or `data:` never do),
 * and every link opens in a new tab without giving it a handle on this one
 * (`rel="noopener noreferrer"`, `target="_blank"`).
 */

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'«»]+/giu;
// Punctuation that ends a sentence rather than the address ("voir https://x.fr/a.")
const TRAILING = /[.,;:!?)\]}]+$/u;

export type TextPart = { text: string } | { href: string; text: string };

/** The text cut into plain parts and link parts (pure, for tests). */
export function splitLinks(body: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of body.matchAll(URL_IN_TEXT)) {
    const start = match.index ?? 0;
    let raw = match[0];
    const trail = raw.match(TRAILING)?.[0] ?? "";
    if (trail) raw = raw.slice(0, raw.length - trail.length);
    let href: string | null = null;
    try {
      const url = new URL(raw);
      if (url.protocol === "http:" || url.protocol === "https:") href = url.href;
    } catch {
      href = null;
    }
    if (!href) continue;
    if (start > last) parts.push({ text: body.slice(last, start) });
    parts.push({ href, text: raw });
    last = start + raw.length;
  }
  if (last < body.length || !parts.length) parts.push({ text: body.slice(last) });
  return parts;
}

export function LinkedText({ body }: { body: string }) {
  return (
    <>
      {splitLinks(body).map((part, i) =>
        "href" in part ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer" class="msg-link" data-testid="message-link">
            {part.text}
          </a>
        ) : (
          part.text
        ),
      )}
    </>
  );
}
