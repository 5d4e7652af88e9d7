import { useState } from "preact/hooks";
import { type ReportPayload } from "../../api/teleexpertise";
import { Dialog } from "../../components/Dialog";
import { FieldError } from "./common";
import { REPORT_FIELDS } from "./RequestPanels";

/** Refusing a request, with its reason. */
export function DeclineDialog({ onCancel, onConfirm }: { onCancel: () => void; onConfirm: (reason: string) => Promise<boolean> }) {
  const [reason, setReason] = useState("");
  const [err, setErr] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title="Refuser la demande" onClose={onCancel} testId="te-decline-dialog">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!reason.trim()) {
            setErr("Le motif du refus est obligatoire.");
            return;
          }
          setBusy(true);
          const ok = await onConfirm(reason.trim());
          if (!ok) setBusy(false);
        }}
        noValidate
      >
        <div class="field">
          <label for="decline-reason">Motif du refus (obligatoire)</label>
          <textarea
            id="decline-reason"
            rows={4}
            value={reason}
            required
            onInput={(e) => setReason(e.currentTarget.value)}
            aria-invalid={!!err}
            aria-describedby={err ? "decline-reason-error" : undefined}
            data-autofocus
            data-testid="te-decline-reason"
          />
          <FieldError id="decline-reason-error" message={err} />
        </div>
        <div class="dialog-actions">
          <button type="button" class="btn btn-secondary" onClick={onCancel}>
            Annuler
          </button>
          <button type="submit" class="btn btn-danger" disabled={busy} data-testid="te-decline-confirm">
            Refuser la demande
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Writing (or rewriting, until filing) the expert's report. */
export function ReportEditor({ initial, busy, onSave }: { initial: ReportPayload | null; busy: boolean; onSave: (data: ReportPayload) => Promise<boolean> }) {
  const [data, setData] = useState<ReportPayload>({
    context: initial?.context ?? "",
    answer: initial?.answer ?? "",
    conclusion: initial?.conclusion ?? "",
    recommendations: initial?.recommendations ?? "",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  return (
    <section class="panel" aria-labelledby="te-report-edit-h" data-testid="te-report-editor">
      <h2 id="te-report-edit-h">Compte rendu de téléexpertise</h2>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const errs: Record<string, string> = {};
          for (const [k, label, required] of REPORT_FIELDS) if (required && !data[k].trim()) errs[k] = `${label} : champ obligatoire.`;
          setErrors(errs);
          if (Object.keys(errs).length) return;
          await onSave(data);
        }}
      >
        {REPORT_FIELDS.map(([k, label, required]) => (
          <div class="field" key={k}>
            <label for={`report-${k}`}>
              {label}
              {required ? "" : " (facultatif)"}
            </label>
            <textarea
              id={`report-${k}`}
              rows={k === "answer" ? 6 : 3}
              value={data[k]}
              onInput={(e) => setData({ ...data, [k]: e.currentTarget.value })}
              aria-invalid={!!errors[k]}
              aria-describedby={errors[k] ? `report-${k}-error` : undefined}
              data-testid={`te-report-${k}`}
            />
            <FieldError id={`report-${k}-error`} message={errors[k]} />
          </div>
        ))}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="te-report-save">
            Enregistrer le compte rendu
          </button>
        </div>
      </form>
    </section>
  );
}
