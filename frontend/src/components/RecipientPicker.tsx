import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/endpoints";
import type { DirectoryEntry, Id } from "../api/types";
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

/**
 * People and team mailboxes from the directory (annuaire), as removable chips: arrows move in
 * the results, Enter adds, Backspace on an empty field removes the last chip.
 */
export function RecipientPicker({
  meId,
  selected,
  onChange,
  exclude = [],
  label = "Destinataires",
  autofocus = true,
}: {
  meId: Id;
  selected: Recipient[];
  onChange: (next: Recipient[]) => void;
  /** Values already there (participants): not offered again. */
  exclude?: (Id | string)[];
  label?: string;
  autofocus?: boolean;
}) {
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const [results, setResults] = useState<Recipient[]>([]);
  const [searching, setSearching] = useState(false);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [highlight, setHighlight] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const excluded = exclude.map(String).join("|");

  useEffect(() => {
    if (debounced.length < 2) {
      setResults([]);
      setSearching(false);
      return;
    }
    const ctrl = new AbortController();
    const skip = new Set(excluded ? excluded.split("|") : []);
    setSearching(true);
    setSearchError(null);
    api
      .directory(debounced, ctrl.signal)
      .then((r) => {
        setResults(
          r.results.flatMap(recipientsOf).filter((x) => !(x.key.startsWith("u:") && sameId(x.value, meId)) && !skip.has(String(x.value))),
        );
        setHighlight(0);
      })
      .catch((err: unknown) => {
        if ((err as { name?: string })?.name !== "AbortError") setSearchError(err instanceof Error ? err.message : "Recherche impossible.");
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setSearching(false);
      });
    return () => ctrl.abort();
  }, [debounced, meId, excluded]);

  function add(r: Recipient) {
    if (!selected.some((s) => s.key === r.key)) onChange([...selected, r]);
    setQuery("");
    setResults([]);
    inputRef.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent) {
    if (!results.length) {
      if (e.key === "Backspace" && !query && selected.length) onChange(selected.slice(0, -1));
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

  const listId = "recipient-results";
  return (
    <div class="field">
      <label for="recipient-input">{label}</label>
      {!!selected.length && (
        <ul class="chips" aria-label="Destinataires choisis" data-testid="recipient-selected">
          {selected.map((s) => (
            <li key={s.key} class="chip">
              <span>{s.label}</span>
              <button type="button" class="chip-remove" aria-label={`Retirer ${s.label}`} onClick={() => onChange(selected.filter((x) => x.key !== s.key))}>
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
        data-autofocus={autofocus ? true : undefined}
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
  );
}
