import { useEffect, useRef, useState } from "preact/hooks";
import { teApi, type RequestFilters, type TeRequest } from "../../api/teleexpertise";
import type { Me } from "../../api/types";
import { formatDate } from "../../lib/format";
import { personName } from "../../lib/people";
import { isExpert } from "../../lib/roles";
import { linkClick } from "../../lib/router";
import { onTeleexpertiseUpdated } from "../../state/teleexpertise";
import { errorMessage, StatusBadges } from "./common";

type Tab = "sent" | "received";

export function RequestListScreen({ me }: { me: Me }) {
  const [tab, setTab] = useState<Tab>(isExpert(me) ? "received" : "sent");
  const [items, setItems] = useState<TeRequest[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [filters, setFilters] = useState<RequestFilters>({});
  const tabs = useRef<Record<Tab, HTMLButtonElement | null>>({ sent: null, received: null });

  useEffect(() => {
    let alive = true;
    setError(null);
    teApi
      .list(tab, tab === "received" ? filters : {})
      .then((r) => alive && setItems(r.requests))
      .catch((err) => alive && setError(errorMessage(err, "Chargement impossible.")));
    return () => {
      alive = false;
    };
  }, [tab, reload, filters]);

  useEffect(() => onTeleexpertiseUpdated(() => setReload((n) => n + 1)), []);

  function choose(t: Tab) {
    if (t !== tab) {
      setItems(null);
      setTab(t);
    }
  }

  function onTabKey(e: KeyboardEvent) {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      e.preventDefault();
      const next: Tab = tab === "sent" ? "received" : "sent";
      choose(next);
      tabs.current[next]?.focus();
    }
  }

  const tabDef: [Tab, string][] = [
    ["sent", "Envoyées"],
    ["received", "Demandes reçues"],
  ];
  const setFilter = (k: keyof RequestFilters, v: string) => setFilters((f) => ({ ...f, [k]: v || undefined }));

  return (
    <div class="page" data-testid="te-screen">
      <div class="page-head">
        <h1>Mes demandes de téléexpertise</h1>
        <div class="page-actions">
          {isExpert(me) && (
            <a class="btn btn-secondary" href="/teleexpertise/profil" onClick={(e) => linkClick(e, "/teleexpertise/profil")} data-testid="te-profile-link">
              Mon profil d'expert
            </a>
          )}
          <a class="btn btn-secondary" href="/teleexpertise/actes" onClick={(e) => linkClick(e, "/teleexpertise/actes")} data-testid="te-my-acts-link">
            Mes actes
          </a>
          <a class="btn btn-primary" href="/teleexpertise/nouvelle" onClick={(e) => linkClick(e, "/teleexpertise/nouvelle")} data-testid="te-new-button">
            Nouvelle demande
          </a>
        </div>
      </div>
      <div class="tabs" role="tablist" aria-label="Demandes">
        {tabDef.map(([t, label]) => (
          <button
            key={t}
            ref={(el) => {
              tabs.current[t] = el;
            }}
            type="button"
            role="tab"
            id={`te-tab-${t}`}
            aria-selected={tab === t}
            aria-controls="te-tabpanel"
            tabIndex={tab === t ? 0 : -1}
            class={`tab${tab === t ? " active" : ""}`}
            onClick={() => choose(t)}
            onKeyDown={onTabKey}
            data-testid={`te-tab-${t}`}
          >
            {label}
          </button>
        ))}
      </div>
      <div id="te-tabpanel" role="tabpanel" aria-labelledby={`te-tab-${tab}`} class="panel">
        {tab === "received" && (
          <div class="filters" data-testid="te-received-filters">
            <label>
              Statut{" "}
              <select value={filters.status ?? ""} onChange={(e) => setFilter("status", e.currentTarget.value)} data-testid="te-filter-status">
                <option value="">Tous</option>
                <option value="submitted">Soumise</option>
                <option value="accepted">Acceptée</option>
                <option value="answered">Répondue</option>
                <option value="filed">Classée</option>
                <option value="declined">Refusée</option>
                <option value="closed">Clôturée</option>
              </select>
            </label>
            <label>
              Urgence{" "}
              <select value={filters.urgency ?? ""} onChange={(e) => setFilter("urgency", e.currentTarget.value)} data-testid="te-filter-urgency">
                <option value="">Toutes</option>
                <option value="urgent">Urgente</option>
                <option value="normal">Normale</option>
              </select>
            </label>
            <label>
              Échéance{" "}
              <select value={filters.due ?? ""} onChange={(e) => setFilter("due", e.currentTarget.value)} data-testid="te-filter-due">
                <option value="">Toutes</option>
                <option value="soon">Dans moins de 2 jours</option>
                <option value="overdue">En retard</option>
              </select>
            </label>
          </div>
        )}
        {error && (
          <div class="alert alert-error" role="alert">
            {error}{" "}
            <button type="button" class="btn btn-link" onClick={() => setReload((n) => n + 1)}>
              Réessayer
            </button>
          </div>
        )}
        {!items && !error && <p class="muted" role="status">Chargement…</p>}
        {items && !items.length && (
          <p class="empty-state" data-testid="te-empty">
            {tab === "sent" ? "Vous n'avez envoyé aucune demande de téléexpertise." : "Vous n'avez reçu aucune demande de téléexpertise."}
          </p>
        )}
        {items && !!items.length && (
          <ul class="card-list" data-testid="te-request-list">
            {items.map((r) => {
              const href = `/teleexpertise/${encodeURIComponent(String(r.id))}`;
              const other = tab === "sent" ? r.expert : r.requester;
              return (
                <li key={String(r.id)}>
                  <a class="card-link" href={href} onClick={(e) => linkClick(e, href)} data-testid="te-request-item" data-id={String(r.id)}>
                    <span class="card-line">
                      <span class="card-title">{r.patient?.display_name ?? "Patient"}</span>
                      <StatusBadges request={r} />
                    </span>
                    <span class="card-sub">
                      {tab === "sent" ? "Expert : " : "Demandeur : "}
                      {other ? personName(other) : r.team ? `Équipe ${r.team.display_name}` : "—"} · {r.specialty}
                    </span>
                    <span class="card-sub">
                      {r.reference}
                      {r.created_at ? ` · envoyée le ${formatDate(r.created_at)}` : ""}
                      {r.due_at && (r.status === "submitted" || r.status === "accepted") ? ` · réponse attendue le ${formatDate(r.due_at)}` : ""}
                    </span>
                  </a>
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </div>
  );
}
