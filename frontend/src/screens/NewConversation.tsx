import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Conversation, DirectoryEntry, Id } from "../api/types";
import { Dialog } from "../components/Dialog";
import { sameId } from "../lib/people";

/** A chosen recipient: a platform user (id) or an organisation mailbox (address). */
export interface Recipient {
  key: string;
  label: string;
  detail: string;
  value: Id | string;
}

export function recipientsOf(entry: DirectoryEntry): Recipient[] {
  const detail = [entry.profession, entry.specialty, entry.organization, entry.city].filter(Boolean).join(" · ");
  const out: Recipient[] = [];
  if (entry.user !== null && entry.user !== undefined) out.push({ key: `u:${entry.user}`, label: entry.name, detail, value: entry.user });
  for (const box of entry.mssante) {
    if (box.kind === "ORG") out.push({ key: `m:${box.address}`, label: `${entry.organization ?? entry.name} (boîte d'équipe)`, detail: box.address, value: box.address });
  }
  return out;
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function NewConversationDialog({
  meId,
  onClose,
  onCreate,
}: {
  meId: Id;
  onClose: () => void;
  onCreate: (data: { participants: (Id | string)[]; title?: string }) => Promise<Conversation>;
}) {
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const [results, setResults] = useState<Recipient[]>([]);
  const [searching, setSearching] = useState(false);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Recipient[]>([]);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [highlight, setHighlight] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (debounced.length < 2) {
      setResults([]);
      setSearching(false);
      return;
    }
    const ctrl = new AbortController();
    setSearching(true);
    setSearchError(null);
    api
      .directory(debounced, ctrl.signal)
      .then((r) => {
        setResults(r.results.flatMap(recipientsOf).filter((x) => !(x.key.startsWith("u:") && sameId(x.value, meId))));
        setHighlight(0);
      })
      .catch((err: unknown) => {
        if ((err as { name?: string })?.name !== "AbortError") setSearchError(err instanceof Error ? err.message : "Recherche impossible.");
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setSearching(false);
      });
    return () => ctrl.abort();
  }, [debounced, meId]);

  function add(r: Recipient) {
    if (!selected.some((s) => s.key === r.key)) setSelected([...selected, r]);
    setQuery("");
    setResults([]);
    inputRef.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent) {
    if (!results.length) {
      if (e.key === "Backspace" && !query && selected.length) setSelected(selected.slice(0, -1));
      return;
    }
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setHighlight((h) => (h + 1) % results.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setHighlight((h) => (h - 1 + results.length) % results.length);
    } else if (e.key === "Enter") {
      e.preventDefault();
      add(results[highlight]);
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!selected.length || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onCreate({
        participants: selected.map((s) => s.value),
        ...(selected.length > 1 && title.trim() ? { title: title.trim() } : {}),
      });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Création impossible.");
      setBusy(false);
    }
  }

  const group = selected.length > 1 || selected.some((s) => s.key.startsWith("m:"));
  const listId = "recipient-results";

  return (
    <Dialog title="Nouvelle conversation" onClose={onClose} testId="new-conversation-dialog" wide>
      <form onSubmit={submit} class="new-conv-form">
        {error && (
          <div class="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <div class="field">
          <label for="recipient-input">Destinataires</label>
          {!!selected.length && (
            <ul class="chips" aria-label="Destinataires choisis" data-testid="recipient-selected">
              {selected.map((s) => (
                <li key={s.key} class="chip">
                  <span>{s.label}</span>
                  <button type="button" class="chip-remove" aria-label={`Retirer ${s.label}`} onClick={() => setSelected(selected.filter((x) => x.key !== s.key))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
          <input
            id="recipient-input"
            ref={inputRef}
            type="search"
            autocomplete="off"
            placeholder="Nom, profession, RPPS, établissement…"
            role="combobox"
            list={undefined}
            aria-expanded={results.length > 0}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={results.length ? `recipient-opt-${highlight}` : undefined}
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            onKeyDown={onKeyDown}
            data-autofocus
            data-testid="recipient-input"
          />
          <p class="help" aria-live="polite">
            {searching ? "Recherche dans l'annuaire…" : searchError ?? (debounced.length >= 2 && !results.length ? "Aucun résultat." : "Tapez au moins 2 caractères.")}
          </p>
          {!!results.length && (
            <ul id={listId} role="listbox" class="recipient-results" data-testid="recipient-results" aria-label="Résultats de l'annuaire">
              {results.map((r, i) => (
                <li
                  key={r.key}
                  id={`recipient-opt-${i}`}
                  role="option"
                  aria-selected={i === highlight}
                  class={i === highlight ? "highlight" : ""}
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => add(r)}
                  data-testid="recipient-result"
                >
                  <span class="rec-label">{r.label}</span>
                  {r.detail && <span class="rec-detail">{r.detail}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>

        {selected.length > 1 && (
          <div class="field">
            <label for="conv-title">Titre du groupe (facultatif)</label>
            <input id="conv-title" value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="conversation-title-input" />
          </div>
        )}

        <div class="dialog-actions">
          <button type="button" class="btn btn-secondary" onClick={onClose}>
            Annuler
          </button>
          <button type="submit" class="btn btn-primary" disabled={!selected.length || busy} data-testid="create-conversation-button">
            {busy ? "Création…" : group ? "Créer le groupe" : "Démarrer"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
