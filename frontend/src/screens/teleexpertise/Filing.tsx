/** Filing seen before it happens: recipients, DMP visibility and act counters, then each
 * recipient's delivery status and each act's outcome once filed. */
import { useEffect, useState } from "preact/hooks";
import { teApi, type FilingPreview, type TeRequest } from "../../api/teleexpertise";
import { Dialog } from "../../components/Dialog";
import { errorMessage } from "./common";

const DELIVERY_LABELS: Record<string, string> = {
  queued: "En attente d'envoi",
  sent: "Envoyé",
  delivered: "Distribué",
  read: "Lu",
  failed: "Échec",
};

export function deliveryLabel(status: string): string {
  return DELIVERY_LABELS[status] ?? status;
}

/** « TE2 : 3/4 pour ce patient en 2026 », shown before the filing button. */
export function QuotaCounters({ quota }: { quota: TeRequest["quota"] }) {
  const entries = Object.entries(quota ?? {}).filter(([, q]) => !!q);
  if (!entries.length) return null;
  return (
    <ul class="plain-list te-counters" data-testid="te-counters">
      {entries.map(([code, q]) => (
        <li key={code} data-testid={`te-counter-${code}`}>
          {q!.label ?? `${code} : ${q!.used}/${q!.limit} pour ce patient en ${q!.year}`}
        </li>
      ))}
    </ul>
  );
}

export function FilingDialog({ id, onCancel, onFiled }: { id: string; onCancel: () => void; onFiled: (r: TeRequest) => void }) {
  const [preview, setPreview] = useState<FilingPreview | null>(null);
  const [visibility, setVisibility] = useState("normal");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let alive = true;
    teApi
      .filingPreview(id)
      .then((p) => {
        if (!alive) return;
        setPreview(p);
        if (p.default_visibility) setVisibility(p.default_visibility);
      })
      .catch((err) => alive && setError(errorMessage(err, "Aperçu indisponible.")));
    return () => {
      alive = false;
    };
  }, [id]);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      const r = await teApi.file(id, visibility);
      onFiled(r.request);
    } catch (err) {
      setError(errorMessage(err, "Classement impossible."));
      setBusy(false);
    }
  }

  return (
    <Dialog title="Classer et envoyer le compte rendu" onClose={onCancel} testId="te-filing-dialog">
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {!preview && !error && <p role="status">Chargement…</p>}
      {preview && (
        <>
          <h3>Le compte rendu sera envoyé à</h3>
          <ul class="plain-list" data-testid="te-filing-recipients">
            {preview.recipients.map((r) => (
              <li key={r.address} data-testid="te-filing-recipient" data-role={r.role}>
                <strong>{r.label}</strong> : {r.name} <span class="muted">({r.address})</span>
              </li>
            ))}
          </ul>
          {preview.recipients.some((r) => r.role === "patient_record") && (
            <fieldset class="field">
              <legend>Visibilité dans le DMP du patient</legend>
              {preview.patient_is_minor && (
                <p class="muted" data-testid="te-visibility-minor">
                  Patient mineur : le document est proposé non visible par ses représentants légaux ; confirmez ce choix avec lui.
                </p>
              )}
              {preview.visibilities.map((v) => (
                <label key={v.value} class="radio">
                  <input
                    type="radio"
                    name="te-visibility"
                    value={v.value}
                    checked={visibility === v.value}
                    onChange={() => setVisibility(v.value)}
                    data-testid={`te-visibility-${v.value}`}
                  />{" "}
                  {v.label}
                </label>
              ))}
            </fieldset>
          )}
          <h3>Actes déclarés</h3>
          <QuotaCounters quota={preview.acts} />
          <p class="muted">Chaque acte est déclaré selon sa propre règle : une limite atteinte pour l'un n'empêche pas l'autre.</p>
        </>
      )}
      <div class="dialog-actions">
        <button type="button" class="btn btn-secondary" onClick={onCancel}>
          Annuler
        </button>
        <button type="button" class="btn btn-primary" disabled={!preview || busy} onClick={confirm} data-testid="te-filing-confirm">
          Confirmer le classement
        </button>
      </div>
    </Dialog>
  );
}

export function FilingOutcome({ req }: { req: TeRequest }) {
  if (!req.filed_at) return null;
  const deliveries = req.deliveries ?? [];
  const refusals = req.act_refusals ?? [];
  return (
    <section class="panel" aria-labelledby="te-deliveries-h" data-testid="te-deliveries">
      <h2 id="te-deliveries-h">Envois du compte rendu</h2>
      {!deliveries.length && <p class="muted">Aucun envoi MSSanté.</p>}
      <ul class="plain-list">
        {deliveries.map((d) => (
          <li key={d.address} data-testid="te-delivery" data-role={d.role} data-status={d.status}>
            <strong>{d.label || d.address}</strong> {d.name ? `— ${d.name} ` : ""}
            <span class={`status-badge delivery-${d.status}`}>{deliveryLabel(d.status)}</span>
            {d.reason ? <span class="muted"> : {d.reason}</span> : null}
          </li>
        ))}
      </ul>
      {!!refusals.length && (
        <ul class="plain-list" data-testid="te-act-refusals">
          {refusals.map((r) => (
            <li key={r.code} class="alert alert-warning" data-testid="te-act-refusal" data-code={r.code}>
              {r.code === "*" ? r.message : `${r.code} non déclaré : ${r.message}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
