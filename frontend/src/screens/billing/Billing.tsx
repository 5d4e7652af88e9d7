import { useEffect, useState } from "preact/hooks";
import { amountText, billingApi, EMPTY_FILTERS, exportUrl, type ActStatus, type BillingAct, type BillingFilters, type BillingTotals } from "../../api/billing";
import { ApiError } from "../../api/http";
import type { Id } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { ACT_STATUS_LABELS, actStatusLabel, formatAmount, formatDate, nextActStatuses } from "../../lib/format";

const PAGE = 25;

function patientName(p: BillingAct["patient"]): string {
  const first = Array.isArray(p.first_names) ? p.first_names[0] ?? "" : (p.first_names ?? "").split(" ")[0];
  return `${p.birth_name ?? ""} ${first}`.trim() || "—";
}

function countOf(v: unknown): string {
  if (v && typeof v === "object") {
    const o = v as { count?: number; amount?: string };
    return `${o.count ?? 0}${o.amount !== undefined ? ` (${formatAmount(o.amount)})` : ""}`;
  }
  return String(v);
}

export function BillingScreen() {
  const [draft, setDraft] = useState<BillingFilters>(EMPTY_FILTERS);
  const [filters, setFilters] = useState<BillingFilters>(EMPTY_FILTERS);
  const [offset, setOffset] = useState(0);
  const [acts, setActs] = useState<BillingAct[] | null>(null);
  const [count, setCount] = useState(0);
  const [totals, setTotals] = useState<BillingTotals | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [changing, setChanging] = useState<{ acts: BillingAct[]; status: ActStatus } | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulkStatus, setBulkStatus] = useState("");

  useEffect(() => {
    let alive = true;
    setError(null);
    billingApi
      .acts(filters, { limit: PAGE, offset })
      .then((r) => {
        if (!alive) return;
        setActs(r.acts);
        setSelected(new Set());
        setCount(r.count);
        setTotals(r.totals);
      })
      .catch((err) => alive && setError(err instanceof ApiError ? err.message : "Chargement impossible."));
    return () => {
      alive = false;
    };
  }, [filters, offset, reload]);

  const set = (k: keyof BillingFilters) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <div class="page page-wide" data-testid="billing-screen">
      <h1>Facturation des actes de téléexpertise</h1>
      <form
        class="panel filters"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setFilters({ ...draft });
        }}
        aria-label="Filtres"
      >
        <div class="field">
          <label for="bf-from">Du</label>
          <input id="bf-from" type="date" value={draft.from} onInput={set("from")} data-testid="billing-filter-from" />
        </div>
        <div class="field">
          <label for="bf-to">Au</label>
          <input id="bf-to" type="date" value={draft.to} onInput={set("to")} data-testid="billing-filter-to" />
        </div>
        <div class="field">
          <label for="bf-code">Code</label>
          <select id="bf-code" value={draft.code} onChange={set("code")} data-testid="billing-filter-code">
            <option value="">Tous</option>
            <option value="TE2">TE2 (expert)</option>
            <option value="RQD">RQD (requérant)</option>
          </select>
        </div>
        <div class="field">
          <label for="bf-status">Statut</label>
          <select id="bf-status" value={draft.status} onChange={set("status")} data-testid="billing-filter-status">
            <option value="">Tous</option>
            {Object.entries(ACT_STATUS_LABELS).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="bf-pro">Professionnel (RPPS ou nom)</label>
          <input id="bf-pro" value={draft.professional} onInput={set("professional")} data-testid="billing-filter-professional" />
        </div>
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary" data-testid="billing-filter-apply">
            Filtrer
          </button>
          <button
            type="button"
            class="btn btn-secondary"
            onClick={() => {
              setDraft(EMPTY_FILTERS);
              setFilters(EMPTY_FILTERS);
              setOffset(0);
            }}
          >
            Réinitialiser
          </button>
        </div>
      </form>

      <div class="toolbar">
        {totals && (
          <p class="totals" data-testid="billing-total" aria-live="polite">
            <strong>{totals.count}</strong> acte{totals.count > 1 ? "s" : ""} · total <strong>{amountText(formatAmount(totals.amount), totals.amount_display)}</strong>
            {Object.entries(totals.by_code ?? {}).map(([k, v]) => (
              <span key={k}> · {k} : {countOf(v)}</span>
            ))}
            {Object.entries(totals.by_status ?? {}).map(([k, v]) => (
              <span key={k}> · {actStatusLabel(k)} : {countOf(v)}</span>
            ))}
          </p>
        )}
        <div class="page-actions">
          <a class="btn btn-secondary btn-small" href={exportUrl("csv", filters)} download data-testid="billing-export-csv">
            Exporter en CSV
          </a>
          <a class="btn btn-secondary btn-small" href={exportUrl("xlsx", filters)} download data-testid="billing-export-xlsx">
            Exporter en Excel
          </a>
        </div>
      </div>

      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {!acts && !error && <p class="muted">Chargement…</p>}
      {acts && selected.size > 0 && (
        <div class="panel bulk-bar" data-testid="billing-bulk-bar" role="region" aria-label="Sélection">
          <span data-testid="billing-selected-count">
            {selected.size} acte{selected.size > 1 ? "s" : ""} sélectionné{selected.size > 1 ? "s" : ""}
          </span>
          <label>
            Nouveau statut{" "}
            <select value={bulkStatus} onChange={(e) => setBulkStatus(e.currentTarget.value)} data-testid="billing-bulk-status">
              <option value="">Choisir…</option>
              {(["transmitted", "paid", "rejected"] as ActStatus[]).map((st) => (
                <option key={st} value={st}>
                  {actStatusLabel(st)}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            class="btn btn-primary btn-small"
            disabled={!bulkStatus}
            onClick={() => setChanging({ acts: acts.filter((a) => selected.has(String(a.id))), status: bulkStatus as ActStatus })}
            data-testid="billing-bulk-apply"
          >
            Appliquer à la sélection
          </button>
        </div>
      )}
      {acts && !acts.length && <p class="empty-state" data-testid="billing-empty">Aucun acte ne correspond à ces critères.</p>}
      {acts && !!acts.length && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Actes">
          <table class="table" data-testid="billing-table">
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Tout sélectionner sur cette page"
                    checked={acts.length > 0 && acts.every((a) => selected.has(String(a.id)))}
                    onChange={(e) => setSelected(e.currentTarget.checked ? new Set(acts.map((a) => String(a.id))) : new Set())}
                    data-testid="billing-select-all"
                  />
                </th>
                <th scope="col">Date</th>
                <th scope="col">Code</th>
                <th scope="col" class="num">Montant</th>
                <th scope="col">Professionnel</th>
                <th scope="col">Patient</th>
                <th scope="col">Demande</th>
                <th scope="col">Statut</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {acts.map((a) => (
                <tr key={String(a.id)} data-testid="billing-row" data-id={String(a.id)} data-status={a.status}>
                  <td data-label="Sélection">
                    <input
                      type="checkbox"
                      aria-label={`Sélectionner l'acte ${a.code} ${a.reference}`}
                      checked={selected.has(String(a.id))}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.currentTarget.checked) next.add(String(a.id));
                        else next.delete(String(a.id));
                        setSelected(next);
                      }}
                      data-testid="billing-select"
                    />
                  </td>
                  <td data-label="Date">{formatDate(a.act_date)}</td>
                  <td data-label="Code">{a.code}</td>
                  <td data-label="Montant" class="num">
                    {amountText(formatAmount(a.amount), a.amount_display)}
                  </td>
                  <td data-label="Professionnel">
                    {a.professional.display_name}
                    <span class="cell-sub">
                      {a.professional.rpps ? `RPPS ${a.professional.rpps}` : ""}
                      {a.professional.am_number ? ` · AM ${a.professional.am_number}` : ""}
                    </span>
                  </td>
                  <td data-label="Patient">
                    {patientName(a.patient)}
                    <span class="cell-sub">
                      {formatDate(a.patient.birth_date)}
                      {a.patient.ins ? ` · INS ${a.patient.ins}` : ""}
                    </span>
                  </td>
                  <td data-label="Demande">
                    {a.reference}
                    <span class="cell-sub">{formatDate(a.request_date)}</span>
                  </td>
                  <td data-label="Statut">
                    <span class={`status-badge act-${a.status}`} data-testid="billing-status">
                      {actStatusLabel(a.status)}
                    </span>
                    {a.note && <span class="cell-sub">{a.note}</span>}
                  </td>
                  <td data-label="Action">
                    {nextActStatuses(a.status).length ? (
                      <select
                        aria-label={`Changer le statut de l'acte ${a.reference}`}
                        value=""
                        onChange={(e) => {
                          const v = e.currentTarget.value as ActStatus;
                          e.currentTarget.value = "";
                          if (v) setChanging({ acts: [a], status: v });
                        }}
                        data-testid="billing-transition"
                      >
                        <option value="">Changer…</option>
                        {nextActStatuses(a.status).map((s) => (
                          <option key={s} value={s}>
                            {actStatusLabel(s)}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {count > PAGE && (
        <nav class="pagination" aria-label="Pagination">
          <button type="button" class="btn btn-secondary btn-small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))} data-testid="billing-prev">
            Précédent
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE, count)} sur {count}
          </span>
          <button type="button" class="btn btn-secondary btn-small" disabled={offset + PAGE >= count} onClick={() => setOffset(offset + PAGE)} data-testid="billing-next">
            Suivant
          </button>
        </nav>
      )}
      {changing && (
        <TransitionDialog
          acts={changing.acts}
          status={changing.status}
          onClose={() => {
            setChanging(null);
            setReload((n) => n + 1);
          }}
          onDone={() => {
            setChanging(null);
            setReload((n) => n + 1);
          }}
        />
      )}
    </div>
  );
}

function TransitionDialog({ acts, status, onClose, onDone }: { acts: BillingAct[]; status: ActStatus; onClose: () => void; onDone: () => void }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const needsNote = status === "rejected";
  async function submit(e: Event) {
    e.preventDefault();
    if (needsNote && !note.trim()) {
      setError("Un rejet exige une note expliquant le motif.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await billingApi.bulkTransition(
        acts.map((a) => a.id as Id),
        status,
        note.trim(),
      );
      if (r.refused.length) {
        setBusy(false);
        setError(`${r.refused.length} acte(s) non modifié(s) : ${r.refused[0].message}`);
        return;
      }
      onDone();
    } catch (err) {
      setBusy(false);
      setError(err instanceof ApiError ? err.field("note") ?? err.message : "Changement impossible.");
    }
  }
  return (
    <Dialog
      title={
        acts.length === 1
          ? `Passer l'acte ${acts[0].code} au statut « ${actStatusLabel(status)} »`
          : `Passer ${acts.length} actes au statut « ${actStatusLabel(status)} »`
      }
      onClose={onClose}
      testId="billing-transition-dialog"
    >
      <form onSubmit={submit} noValidate>
        <div class="field">
          <label for="bt-note">Note{needsNote ? " (obligatoire)" : " (facultative)"}</label>
          <textarea
            id="bt-note"
            rows={3}
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
            aria-invalid={!!error}
            aria-describedby={error ? "bt-note-error" : undefined}
            data-autofocus
            data-testid="billing-transition-note"
          />
          {error && (
            <p class="field-error" id="bt-note-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div class="dialog-actions">
          <button type="button" class="btn btn-secondary" onClick={onClose}>
            Annuler
          </button>
          <button type="submit" class={`btn ${needsNote ? "btn-danger" : "btn-primary"}`} disabled={busy} data-testid="billing-transition-confirm">
            Confirmer
          </button>
        </div>
      </form>
    </Dialog>
  );
}
