/** A clinician's own declared acts (RQD as requester, TE2 as expert) with their statuses. */
import { useEffect, useState } from "preact/hooks";
import { amountText, billingApi, exportUrl, type BillingAct, type BillingTotals } from "../../api/billing";
import { ApiError } from "../../api/http";
import { actStatusLabel, formatAmount, formatDate } from "../../lib/format";
import { linkClick } from "../../lib/router";

export function MyActsScreen() {
  const [code, setCode] = useState("");
  const [acts, setActs] = useState<BillingAct[] | null>(null);
  const [totals, setTotals] = useState<BillingTotals | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    billingApi
      .myActs({ code }, { limit: 500, offset: 0 })
      .then((r) => {
        if (!alive) return;
        setActs(r.acts);
        setTotals(r.totals);
      })
      .catch((err) => alive && setError(err instanceof ApiError ? err.message : "Chargement impossible."));
    return () => {
      alive = false;
    };
  }, [code]);

  return (
    <div class="page page-wide" data-testid="my-acts-screen">
      <p>
        <a href="/teleexpertise" class="btn btn-link" onClick={(e) => linkClick(e, "/teleexpertise")}>
          ← Mes demandes
        </a>
      </p>
      <div class="page-head">
        <h1>Mes actes déclarés</h1>
        <div class="page-actions">
          <a class="btn btn-secondary btn-small" href={exportUrl("csv", { code }, true)} download data-testid="my-acts-csv">
            Exporter en CSV
          </a>
          <a class="btn btn-secondary btn-small" href={exportUrl("xlsx", { code }, true)} download data-testid="my-acts-xlsx">
            Exporter en Excel
          </a>
        </div>
      </div>
      <label>
        Code{" "}
        <select value={code} onChange={(e) => setCode(e.currentTarget.value)} data-testid="my-acts-code">
          <option value="">Tous</option>
          <option value="TE2">TE2 (expert)</option>
          <option value="RQD">RQD (requérant)</option>
        </select>
      </label>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {totals && (
        <p class="totals">
          {totals.count} acte{totals.count > 1 ? "s" : ""} · total {amountText(formatAmount(totals.amount), totals.amount_display)}
        </p>
      )}
      {acts && !acts.length && <p class="empty-state">Aucun acte déclaré.</p>}
      {acts && !!acts.length && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Mes actes">
          <table class="table" data-testid="my-acts-table">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Code</th>
                <th scope="col" class="num">Montant</th>
                <th scope="col">Demande</th>
                <th scope="col">Statut</th>
              </tr>
            </thead>
            <tbody>
              {acts.map((a) => (
                <tr key={String(a.id)} data-testid="my-acts-row">
                  <td data-label="Date">{formatDate(a.act_date)}</td>
                  <td data-label="Code">{a.code}</td>
                  <td data-label="Montant" class="num">
                    {amountText(formatAmount(a.amount), a.amount_display)}
                  </td>
                  <td data-label="Demande">{a.reference}</td>
                  <td data-label="Statut">{a.status_label ?? actStatusLabel(a.status)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
