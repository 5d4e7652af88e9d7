import { useEffect, useState } from "preact/hooks";
import {
  appendPage,
  directoryApi,
  EMPTY_FILTERS,
  hasCriteria,
  isValidPostcode,
  mailboxKindLabel,
  type DirectoryFilters,
  type DirectoryResult,
  type ManagedMailbox,
} from "../../api/directory";
import { ApiError } from "../../api/http";
import type { Conversation, Id, Me } from "../../api/types";
import { sameId } from "../../lib/people";
import { navigate } from "../../lib/router";
import { useDebounced } from "../NewConversation";
import "../../styles/directory.css";

type DirectoryApi = typeof directoryApi;

export function DirectoryScreen({
  me,
  createConversation,
  api = directoryApi,
}: {
  me: Me;
  /** Starts a conversation (the chat controller's createConversation); null for users without messaging. */
  createConversation: ((data: { participants: (Id | string)[] }) => Promise<Conversation>) | null;
  api?: DirectoryApi;
}) {
  const [filters, setFilters] = useState<DirectoryFilters>(EMPTY_FILTERS);
  const debounced = useDebounced(filters, 350);
  const [results, setResults] = useState<DirectoryResult[]>([]);
  const [count, setCount] = useState(0);
  const [countExact, setCountExact] = useState(true);
  const [nextOffset, setNextOffset] = useState<number | null>(null);
  const [status, setStatus] = useState<"idle" | "loading" | "ready" | "error">("idle");
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  const [starting, setStarting] = useState<string | null>(null);
  const postcodeInvalid = !!filters.postcode.trim() && !isValidPostcode(filters.postcode);

  useEffect(() => {
    if (!hasCriteria(debounced)) {
      setResults([]);
      setCount(0);
      setNextOffset(null);
      setStatus("idle");
      return;
    }
    const ctrl = new AbortController();
    setStatus("loading");
    setError(null);
    api
      .search(debounced, 0, ctrl.signal)
      .then((page) => {
        setResults(page.results);
        setCount(page.count);
        setCountExact(page.count_exact !== false);
        setNextOffset(page.next_offset ?? null);
        setStatus("ready");
      })
      .catch((err: unknown) => {
        if ((err as { name?: string })?.name === "AbortError") return;
        setError(err instanceof ApiError ? err.message : "Recherche impossible.");
        setStatus("error");
      });
    return () => ctrl.abort();
  }, [api, debounced]);

  async function more() {
    if (nextOffset === null || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await api.search(debounced, nextOffset);
      setResults((cur) => appendPage(cur, page.results));
      setCount(page.count);
      setNextOffset(page.next_offset ?? null);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Chargement impossible.");
    } finally {
      setLoadingMore(false);
    }
  }

  async function start(key: string, participant: Id | string) {
    if (!createConversation) return;
    setStarting(key);
    setStartError(null);
    try {
      const conv = await createConversation({ participants: [participant] });
      navigate(`/conversations/${encodeURIComponent(String(conv.id))}`);
    } catch (err) {
      setStartError(err instanceof ApiError ? err.message : "Impossible de démarrer la conversation.");
      setStarting(null);
    }
  }

  const set = (patch: Partial<DirectoryFilters>) => setFilters((f) => ({ ...f, ...patch }));

  return (
    <div class="page page-wide directory-page" data-testid="directory-page">
      <h1>Annuaire santé</h1>
      <p class="muted">Professionnels de santé et structures, avec leurs adresses de messagerie sécurisée MSSanté.</p>

      <form class="panel directory-filters" role="search" aria-label="Recherche dans l'annuaire" onSubmit={(e) => e.preventDefault()} data-testid="directory-filters">
        <div class="field directory-q">
          <label for="dir-q">Nom, prénom ou structure</label>
          <input id="dir-q" type="search" autocomplete="off" value={filters.q} onInput={(e) => set({ q: e.currentTarget.value })} data-testid="directory-search" />
        </div>
        <div class="field">
          <label for="dir-profession">Profession</label>
          <input
            id="dir-profession"
            type="text"
            autocomplete="off"
            placeholder="ex. Médecin, Infirmier, 10, 60…"
            value={filters.profession}
            onInput={(e) => set({ profession: e.currentTarget.value })}
            data-testid="directory-profession"
          />
        </div>
        <div class="field">
          <label for="dir-city">Commune</label>
          <input id="dir-city" type="text" autocomplete="off" value={filters.city} onInput={(e) => set({ city: e.currentTarget.value })} data-testid="directory-city" />
        </div>
        <div class="field">
          <label for="dir-postcode">Code postal</label>
          <input
            id="dir-postcode"
            type="text"
            inputMode="numeric"
            autocomplete="off"
            maxLength={5}
            pattern="[0-9]{5}"
            value={filters.postcode}
            onInput={(e) => set({ postcode: e.currentTarget.value })}
            aria-invalid={postcodeInvalid}
            aria-describedby="dir-postcode-help"
            data-testid="directory-postcode"
          />
          <p id="dir-postcode-help" class={postcodeInvalid ? "field-error" : "help"}>
            {postcodeInvalid ? "Le code postal compte 5 chiffres." : "5 chiffres"}
          </p>
        </div>
        <div class="field directory-check">
          <label class="checkbox">
            <input type="checkbox" checked={filters.mssanteOnly} onChange={(e) => set({ mssanteOnly: e.currentTarget.checked })} data-testid="directory-mssante-only" /> Utilisateurs
            MSSanté uniquement
          </label>
        </div>
      </form>

      {startError && (
        <div class="alert alert-error" role="alert" data-testid="directory-start-error">
          {startError}
        </div>
      )}

      <section aria-labelledby="dir-results-h" class="directory-results">
        <h2 id="dir-results-h" class="visually-hidden">
          Résultats
        </h2>
        <p class="directory-count" role="status" aria-live="polite" data-testid="directory-status">
          {status === "idle"
            ? "Saisissez un nom, une profession, une commune ou un code postal."
            : status === "loading"
              ? "Recherche…"
              : status === "error"
                ? ""
                : count === 0
                  ? ""
                  : !countExact
                    ? `Plus de ${count.toLocaleString("fr-FR")} résultats : précisez la recherche.`
                    : `${count} résultat${count > 1 ? "s" : ""}`}
        </p>
        {status === "error" && (
          <div class="alert alert-error" role="alert" data-testid="directory-error">
            {error}{" "}
            <button type="button" class="btn btn-link" onClick={() => setFilters((f) => ({ ...f }))}>
              Réessayer
            </button>
          </div>
        )}
        {status === "ready" && !results.length && (
          <p class="empty-state" data-testid="directory-empty">
            Aucun professionnel ne correspond à ces critères.
          </p>
        )}
        {!!results.length && (
          <ul class="card-list" data-testid="directory-results">
            {results.map((r) => (
              <ResultCard key={String(r.id)} entry={r} meId={me.id} canWrite={!!createConversation} starting={starting} onStart={start} />
            ))}
          </ul>
        )}
        {nextOffset !== null && status === "ready" && (
          <div class="directory-more">
            <button type="button" class="btn btn-secondary" disabled={loadingMore} onClick={() => void more()} data-testid="directory-more">
              {loadingMore ? "Chargement…" : "Plus de résultats"}
            </button>
          </div>
        )}
      </section>

      <RedList api={api} />
    </div>
  );
}

function ResultCard({
  entry,
  meId,
  canWrite,
  starting,
  onStart,
}: {
  entry: DirectoryResult;
  meId: Id;
  canWrite: boolean;
  starting: string | null;
  onStart: (key: string, participant: Id | string) => void;
}) {
  const onPlatform = entry.user !== null && entry.user !== undefined;
  const isMe = onPlatform && sameId(entry.user as Id, meId);
  const job = [entry.profession, entry.specialty].filter(Boolean).join(" — ");
  const place = [entry.postcode, entry.city].filter(Boolean).join(" ");
  const headingId = `dir-r-${entry.id}`;
  const orgBoxes = entry.mssante.filter((m) => m.kind === "ORG");
  return (
    <li class="directory-card" data-testid="directory-result" aria-labelledby={headingId}>
      <div class="card-line">
        <h3 class="card-title" id={headingId}>
          {entry.name}
        </h3>
        {onPlatform && (
          <span class="status-badge directory-badge" data-testid="directory-on-platform">
            Sur la plateforme
          </span>
        )}
      </div>
      {job && <span class="card-sub">{job}</span>}
      {(entry.organization || place) && <span class="card-sub">{[entry.organization, place].filter(Boolean).join(" · ")}</span>}
      {entry.rpps && <span class="card-sub">RPPS {entry.rpps}</span>}
      {!!entry.mssante.length && (
        <ul class="plain-list directory-boxes" aria-label="Adresses MSSanté">
          {entry.mssante.map((m) => (
            <li key={m.address}>
              <span class="directory-kind" data-testid="directory-mailbox-kind">
                {mailboxKindLabel(String(m.kind))}
              </span>{" "}
              <span class="directory-address">{m.address}</span>
            </li>
          ))}
        </ul>
      )}
      {canWrite && (
        <div class="form-actions">
          {onPlatform && !isMe && (
            <button
              type="button"
              class="btn btn-primary btn-small"
              disabled={starting !== null}
              onClick={() => onStart(`u:${entry.user}`, entry.user as Id)}
              aria-label={`Écrire à ${entry.name}`}
              data-testid="directory-start-conversation"
            >
              {starting === `u:${entry.user}` ? "Ouverture…" : "Écrire"}
            </button>
          )}
          {orgBoxes.map((m) => (
            <button
              key={m.address}
              type="button"
              class="btn btn-secondary btn-small"
              disabled={starting !== null}
              onClick={() => onStart(`m:${m.address}`, m.address)}
              data-testid="directory-start-team"
            >
              {starting === `m:${m.address}` ? "Ouverture…" : `Écrire à la boîte d'équipe ${m.address}`}
            </button>
          ))}
        </div>
      )}
    </li>
  );
}

function RedList({ api }: { api: DirectoryApi }) {
  const [boxes, setBoxes] = useState<ManagedMailbox[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    api
      .mailboxes()
      .then(setBoxes)
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : "Chargement impossible."));
  }, [api]);

  async function toggle(box: ManagedMailbox, hidden: boolean) {
    setBusy(box.address);
    setError(null);
    setNotice(null);
    try {
      const updated = await api.setVisibility(box.address, hidden);
      const h = typeof updated?.hidden === "boolean" ? updated.hidden : hidden;
      setBoxes((cur) => (cur ?? []).map((b) => (b.address === box.address ? { ...b, hidden: h } : b)));
      setNotice(h ? `${box.address} est maintenant en liste rouge.` : `${box.address} est de nouveau visible dans l'annuaire.`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Modification impossible.");
    } finally {
      setBusy(null);
    }
  }

  if (boxes && !boxes.length && !error) return null;
  return (
    <section class="panel directory-redlist" aria-labelledby="redlist-h" data-testid="directory-redlist">
      <h2 id="redlist-h">Liste rouge</h2>
      <p class="muted">Une boîte en liste rouge n'apparaît plus dans les recherches de l'annuaire ; elle reste joignable par qui connaît son adresse.</p>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      <p role="status" aria-live="polite" class="help">
        {notice}
      </p>
      {!boxes && !error && <p class="muted">Chargement…</p>}
      {boxes && (
        <ul class="plain-list">
          {boxes.map((b) => (
            <li key={b.address} class="directory-redlist-item">
              <label class="checkbox">
                <input
                  type="checkbox"
                  checked={b.hidden}
                  disabled={busy === b.address}
                  onChange={(e) => void toggle(b, e.currentTarget.checked)}
                  data-testid="directory-visibility-toggle"
                  data-address={b.address}
                />
                <span>
                  Masquer <strong>{b.address}</strong> ({mailboxKindLabel(String(b.kind))}
                  {b.display_name ? ` — ${b.display_name}` : ""})
                </span>
              </label>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
