/** « Journal d'accès »: find a patient, see who read or changed what about them, filter, export. */
import { useEffect, useState } from "preact/hooks";
import { auditApi, journalQuery, type JournalEvent, type JournalFilters, type JournalPatient, type MessageVersion } from "../../api/audit";
import { Dialog } from "../../components/Dialog";
import { ApiError } from "../../api/http";
import { formatDate, formatDateTime } from "../../lib/format";

export function JournalScreen() {
  const [search, setSearch] = useState({ q: "", ins: "", birth_date: "" });
  const [patients, setPatients] = useState<JournalPatient[] | null>(null);
  const [patient, setPatient] = useState<JournalPatient | null>(null);
  const [draft, setDraft] = useState<JournalFilters>({});
  const [filters, setFilters] = useState<JournalFilters>({});
  const [events, setEvents] = useState<JournalEvent[] | null>(null);
  const [actions, setActions] = useState<{ verb: string; label: string }[]>([]);
  const [count, setCount] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [versions, setVersions] = useState<MessageVersion[] | null>(null);

  async function showVersions(messageId: string) {
    setError(null);
    try {
      setVersions((await auditApi.versions(messageId)).versions);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Versions indisponibles.");
    }
  }

  useEffect(() => {
    if (!patient) return;
    let alive = true;
    setError(null);
    auditApi
      .events({ ...filters, patient: String(patient.id) })
      .then((r) => {
        if (!alive) return;
        setEvents(r.events);
        setCount(r.count);
        setActions(r.actions);
      })
      .catch((err) => alive && setError(err instanceof ApiError ? err.message : "Chargement impossible."));
    return () => {
      alive = false;
    };
  }, [patient, filters]);

  async function find(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const r = await auditApi.patients(search);
      setPatients(r.patients);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Recherche impossible.");
    }
  }

  const users = new Map<string, string>();
  for (const ev of events ?? []) if (ev.actor && ev.actor_name) users.set(String(ev.actor), ev.actor_name);
  const csvHref = patient ? `/api/audit/journal/events.csv?${journalQuery({ ...filters, patient: String(patient.id) })}` : "#";

  return (
    <div class="page page-wide" data-testid="journal-screen">
      <h1>Journal d'accès</h1>
      <form class="panel filters" onSubmit={find} aria-label="Rechercher un patient">
        <div class="field">
          <label for="jr-name">Nom</label>
          <input id="jr-name" value={search.q} onInput={(e) => setSearch({ ...search, q: e.currentTarget.value })} data-testid="journal-search-name" />
        </div>
        <div class="field">
          <label for="jr-birth">Date de naissance</label>
          <input id="jr-birth" type="date" value={search.birth_date} onInput={(e) => setSearch({ ...search, birth_date: e.currentTarget.value })} data-testid="journal-search-birth" />
        </div>
        <div class="field">
          <label for="jr-ins">INS</label>
          <input id="jr-ins" inputMode="numeric" value={search.ins} onInput={(e) => setSearch({ ...search, ins: e.currentTarget.value })} data-testid="journal-search-ins" />
        </div>
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary" data-testid="journal-search">
            Rechercher
          </button>
        </div>
      </form>
      {error && (
        <div class="alert alert-error" role="alert" data-testid="journal-error">
          {error}
        </div>
      )}
      {patients && !patients.length && <p class="empty-state">Aucun patient de votre structure ne correspond.</p>}
      {patients && !!patients.length && !patient && (
        <ul class="card-list" data-testid="journal-patients">
          {patients.map((p) => (
            <li key={String(p.id)}>
              <button type="button" class="card-link" onClick={() => setPatient(p)} data-testid="journal-patient">
                <span class="card-title">{p.display_name}</span>
                <span class="card-sub">
                  né·e le {formatDate(p.birth_date)}
                  {p.ins ? ` · INS ${p.ins}` : ""}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {patient && (
        <>
          <div class="page-head">
            <h2 data-testid="journal-patient-name">
              {patient.display_name} <span class="muted">né·e le {formatDate(patient.birth_date)}</span>
            </h2>
            <div class="page-actions">
              <button type="button" class="btn btn-secondary btn-small" onClick={() => setPatient(null)}>
                Autre patient
              </button>
              <a class="btn btn-secondary btn-small" href={csvHref} download data-testid="journal-export-csv">
                Exporter en CSV
              </a>
            </div>
          </div>
          <form
            class="panel filters"
            aria-label="Filtres du journal"
            onSubmit={(e) => {
              e.preventDefault();
              setFilters({ ...draft });
            }}
          >
            <div class="field">
              <label for="jf-user">Utilisateur</label>
              <select id="jf-user" value={draft.user ?? ""} onChange={(e) => setDraft({ ...draft, user: e.currentTarget.value })} data-testid="journal-filter-user">
                <option value="">Tous</option>
                {[...users.entries()].map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="jf-from">Du</label>
              <input id="jf-from" type="date" value={draft.from ?? ""} onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })} data-testid="journal-filter-from" />
            </div>
            <div class="field">
              <label for="jf-to">Au</label>
              <input id="jf-to" type="date" value={draft.to ?? ""} onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })} data-testid="journal-filter-to" />
            </div>
            <div class="field">
              <label for="jf-action">Action</label>
              <select id="jf-action" value={draft.action ?? ""} onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })} data-testid="journal-filter-action">
                <option value="">Toutes</option>
                {actions.map((a) => (
                  <option key={a.verb} value={a.verb}>
                    {a.label}
                  </option>
                ))}
              </select>
            </div>
            <div class="filter-actions">
              <button type="submit" class="btn btn-primary" data-testid="journal-filter-apply">
                Filtrer
              </button>
            </div>
          </form>
          {events && !events.length && <p class="empty-state" data-testid="journal-empty">Aucun accès pour ces critères.</p>}
          {events && !!events.length && (
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Accès">
              <p class="muted" data-testid="journal-count">
                {count} événement{count > 1 ? "s" : ""}
              </p>
              <table class="table" data-testid="journal-table">
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Utilisateur</th>
                    <th scope="col">Action</th>
                    <th scope="col">Objet</th>
                    <th scope="col">Adresse IP</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((ev) => (
                    <tr key={ev.id} data-testid="journal-row" data-verb={ev.verb}>
                      <td data-label="Date">{formatDateTime(ev.at)}</td>
                      <td data-label="Utilisateur">{ev.actor_name ?? "Système"}</td>
                      <td data-label="Action">{ev.label}</td>
                      <td data-label="Objet">
                        {ev.object_type}
                        {(ev.verb === "message.edited" || ev.verb === "message.deleted") && typeof ev.data?.message === "string" && (
                          <button type="button" class="btn btn-link btn-small" onClick={() => showVersions(ev.data!.message as string)} data-testid="journal-versions">
                            Versions antérieures
                          </button>
                        )}
                      </td>
                      <td data-label="Adresse IP">{ev.ip ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {versions && (
        <Dialog title="Versions antérieures du message" onClose={() => setVersions(null)} testId="journal-versions-dialog">
          {!versions.length && <p class="muted">Aucune version antérieure.</p>}
          <ol class="plain-list">
            {versions.map((v, i) => (
              <li key={i} data-testid="journal-version">
                <p class="muted">
                  Écrit le {formatDateTime(v.written_at)}, {v.change === "deleted" ? "supprimé" : "remplacé"} le {formatDateTime(v.replaced_at)}
                </p>
                <p class="pre">{v.body}</p>
              </li>
            ))}
          </ol>
        </Dialog>
      )}
    </div>
  );
}
