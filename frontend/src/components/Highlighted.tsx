import type { SnippetPart } from "../api/search";

/** A search snippet: text, with the matched words in <mark>. Never HTML from the server. */
export function Highlighted({ parts }: { parts: SnippetPart[] }) {
  return (
    <>
      {parts.map((part, i) => (part.mark ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
    </>
  );
}
