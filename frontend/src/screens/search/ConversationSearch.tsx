import { useEffect, useRef, useState } from "preact/hooks";
import type { MessageHit } from "../../api/search";
import type { Id } from "../../api/types";
import { MessageSearchResults } from "./MessageSearchResults";

/** « Rechercher dans la conversation »: a header button opening a search bar and its results. */
export function ConversationSearchButton({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      class={`btn btn-icon${open ? " active" : ""}`}
      aria-label="Rechercher dans la conversation"
      title="Rechercher dans la conversation"
      aria-expanded={open}
      onClick={onToggle}
      data-testid="conversation-search-button"
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="2" />
        <path d="M15.5 15.5 21 21" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
      </svg>
    </button>
  );
}

export function ConversationSearchPanel({ conversation, onPick, onClose }: { conversation: Id; onPick: (hit: MessageHit) => void; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <div class="conv-search-panel" role="search" data-testid="conversation-search-panel">
      <div class="conv-search-bar">
        <label for="conv-message-search" class="visually-hidden">
          Rechercher dans la conversation
        </label>
        <input
          id="conv-message-search"
          ref={input}
          type="search"
          placeholder="Rechercher dans la conversation"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") onClose();
          }}
          data-testid="conversation-message-search"
        />
        <button type="button" class="btn btn-secondary" onClick={onClose}>
          Fermer
        </button>
      </div>
      {query.trim() && (
        <div class="conv-search-results">
          <MessageSearchResults q={query} conversation={conversation} onPick={onPick} />
        </div>
      )}
    </div>
  );
}
