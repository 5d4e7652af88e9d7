import "../../styles/search.css";
import { useEffect, useState } from "preact/hooks";
import { MIN_QUERY, searchMessages, type MessageHit } from "../../api/search";
import type { Id } from "../../api/types";
import { Highlighted } from "../../components/Highlighted";
import { shortStamp } from "../../lib/dates";
import { personName } from "../../lib/people";

const DEBOUNCE_MS = 250;

type State =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "error"; message: string }
  | { status: "ready"; hits: MessageHit[]; next: number | null; more: boolean };

/**
 * Messages containing the words of `q` (accents and case ignored), newest first, across the
 * user's conversations or inside `conversation`. Each result is a button: `onPick` jumps to it.
 */
export function MessageSearchResults({
  q,
  conversation,
  onPick,
  search = searchMessages,
}: {
  q: string;
  conversation?: Id;
  onPick: (hit: MessageHit) => void;
  search?: typeof searchMessages;
}) {
  const [state, setState] = useState<State>({ status: "idle" });
  const query = q.trim();

  useEffect(() => {
    if (query.length < MIN_QUERY) {
      setState({ status: "idle" });
      return;
    }
    const abort = new AbortController();
    setState({ status: "loading" });
    const timer = setTimeout(() => {
      search(query, { conversation, signal: abort.signal })
        .then((page) => setState({ status: "ready", hits: page.results, next: page.next_offset ?? null, more: false }))
        .catch((e: unknown) => {
          if (!abort.signal.aborted) setState({ status: "error", message: e instanceof Error ? e.message : "La recherche a échoué." });
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query, conversation, search]);

  async function more() {
    if (state.status !== "ready" || state.next === null) return;
    setState({ ...state, more: true });
    try {
      const page = await search(query, { conversation, offset: state.next });
      setState({ status: "ready", hits: [...state.hits, ...page.results], next: page.next_offset ?? null, more: false });
    } catch (e) {
      setState({ status: "error", message: e instanceof Error ? e.message : "La recherche a échoué." });
    }
  }

  if (state.status === "idle") {
    return query ? <p class="search-hint muted">Saisissez au moins {MIN_QUERY} caractères pour chercher dans les messages.</p> : null;
  }
  if (state.status === "loading") return <p class="search-hint muted" role="status">Recherche dans les messages…</p>;
  if (state.status === "error") {
    return (
      <p class="alert alert-error" role="alert">
        {state.message}
      </p>
    );
  }
  if (!state.hits.length) {
    return (
      <p class="search-hint" role="status" data-testid="message-search-empty">
        Aucun message ne contient « {query} »{conversation ? " dans cette conversation" : ""}.
      </p>
    );
  }
  const now = new Date();
  return (
    <div class="search-results" data-testid="message-search-results">
      <p class="visually-hidden" role="status">
        {state.hits.length}
        {state.next !== null ? " premiers" : ""} message{state.hits.length > 1 ? "s" : ""} trouvé{state.hits.length > 1 ? "s" : ""}
      </p>
      <ul class="search-hits">
        {state.hits.map((hit) => (
          <li key={hit.message}>
            <button type="button" class="search-hit" onClick={() => onPick(hit)} data-testid="message-search-hit" data-seq={hit.seq}>
              <span class="search-hit-line">
                <span class="search-hit-title">{conversation ? (hit.sender ? personName(hit.sender) : "Système") : hit.conversation_title}</span>
                <time class="search-hit-time" dateTime={hit.created_at}>
                  {shortStamp(hit.created_at, now)}
                </time>
              </span>
              {!conversation && hit.sender && personName(hit.sender) !== hit.conversation_title && <span class="search-hit-sender">{personName(hit.sender)}</span>}
              <span class="search-hit-snippet">
                <Highlighted parts={hit.snippet} />
                {hit.edited && <span class="muted"> (modifié)</span>}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {state.next !== null && (
        <button type="button" class="btn btn-link" disabled={state.more} onClick={() => void more()} data-testid="message-search-more">
          {state.more ? "Chargement…" : "Plus de résultats"}
        </button>
      )}
    </div>
  );
}
