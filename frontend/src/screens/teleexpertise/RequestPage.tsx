import { useEffect, useState } from "preact/hooks";
import { teApi, type ReportPayload, type TeRequest } from "../../api/teleexpertise";
import type { Me } from "../../api/types";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { actStatusLabel, formatAmount, formatDate, formatDateTime, identityLabel, sexLabel } from "../../lib/format";
import { personName, sameId } from "../../lib/people";
import { linkClick } from "../../lib/router";
import { isExpert } from "../../lib/roles";
import { onTeleexpertiseUpdated } from "../../state/teleexpertise";
import { errorMessage, FieldError, StatusBadges } from "./common";
import { FilingDialog, FilingOutcome, QuotaCounters } from "./Filing";

const QUALITY_LABELS: Record<string, string> = {
  parent: "titulaire de l'autorité parentale",
  guardian: "tuteur",
  family: "habilitation familiale",
  curator: "curateur",
};

const REPORT_FIELDS: [keyof ReportPayload, string, boolean][] = [
  ["context", "Contexte", true],
  ["answer", "Réponse", true],
  ["conclusion", "Conclusion", true],
  ["recommendations", "Recommandations", false],
];

export function RequestPageScreen({ me, id }: { me: Me; id: string }) {
  const [req, setReq] = useState<TeRequest | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [declining, setDeclining] = useState(false);
  const [withdrawing, setWithdrawing] = useState(false);
  const [filing, setFiling] = useState(false);

  async function load() {
    try {
      const r = await teApi.get(id);
      setReq(r.request);
      setLoadError(null);
    } catch (err) {
      setLoadError(errorMessage(err, "Chargement impossible."));
    }
  }

  useEffect(() => {
    setReq(null);
    void load();
    return onTeleexpertiseUpdated((u) => {
      if (String(u.id) === String(id)) void load();
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  async function run(action: () => Promise<{ request: TeRequest }>, done?: string): Promise<boolean> {
    setBusy(true);
    setError(null);
    setInfo(null);
    try {
      const r = await action();
      setReq(r.request);
      if (done) setInfo(done);
      return true;
    } catch (err) {
      setError(errorMessage(err, "L'action a échoué."));
      return false;
    } finally {
      setBusy(false);
    }
  }

  if (loadError)
    return (
      <div class="page">
        <BackLink />
        <div class="alert alert-error" role="alert">
          {loadError}
        </div>
      </div>
    );
  if (!req)
    return (
      <div class="page">
        <p class="muted" role="status">
          Chargement…
        </p>
      </div>
    );

  const iAmExpert = !!req.expert && sameId(req.expert.id, me.id);
  const canTake = !req.expert && !!req.team && isExpert(me) && req.status === "submitted";
  const closed = req.status === "closed" || req.status === "declined";
  const consentActive = !!req.consent && !req.consent.withdrawn_at;
  const canReport = iAmExpert && (req.status === "accepted" || req.status === "answered");
  const canFile = iAmExpert && req.status === "answered" && !!req.report;
  const convHref = req.conversation ? `/conversations/${encodeURIComponent(String(req.conversation))}` : null;

  return (
    <div class="page" data-testid="te-request-page">
      <BackLink />
      <div class="page-head">
        <h1>
          Demande {req.reference} <StatusBadges request={req} />
        </h1>
        <div class="page-actions">
          {convHref && (
            <a class="btn btn-secondary" href={convHref} onClick={(e) => linkClick(e, convHref)} data-testid="te-open-conversation">
              Ouvrir la conversation
            </a>
          )}
          {req.report_pdf && (
            <a class="btn btn-secondary" href={req.report_pdf} download data-testid="te-report-pdf">
              Télécharger le compte rendu (PDF)
            </a>
          )}
        </div>
      </div>
      {error && (
        <div class="alert alert-error" role="alert" data-testid="te-error">
          {error}
        </div>
      )}
      {info && (
        <div class="alert alert-success" role="status">
          {info}
        </div>
      )}
      {canTake && (
        <div class="panel action-panel" data-testid="te-team-pending">
          <p>
            Demande adressée à l'équipe « {req.team!.display_name} » : un expert de l'équipe la prend en charge.
          </p>
          <button type="button" class="btn btn-primary" disabled={busy} onClick={() => run(() => teApi.take(id), "Demande prise en charge.")} data-testid="te-take">
            Prendre en charge
          </button>
        </div>
      )}

      {iAmExpert && req.status === "submitted" && (
        <div class="panel action-panel">
          <p>Cette demande attend votre réponse{req.due_at ? ` (avant le ${formatDate(req.due_at)})` : ""}.</p>
          <div class="form-actions">
            <button type="button" class="btn btn-primary" disabled={busy} onClick={() => run(() => teApi.accept(id), "Demande acceptée.")} data-testid="te-accept">
              Accepter
            </button>
            <button type="button" class="btn btn-danger" disabled={busy} onClick={() => setDeclining(true)} data-testid="te-decline">
              Refuser
            </button>
          </div>
        </div>
      )}

      <div class="detail-grid">
        <section class="panel" aria-labelledby="te-patient-h">
          <h2 id="te-patient-h">Patient</h2>
          <dl class="dl">
            <dt>Nom</dt>
            <dd>{req.patient.display_name}</dd>
            <dt>Naissance</dt>
            <dd>{formatDate(req.patient.birth_date)}</dd>
            <dt>Sexe</dt>
            <dd>{sexLabel(req.patient.sex)}</dd>
            <dt>Identité</dt>
            <dd>{identityLabel(req.patient.identity_status)}</dd>
            {req.patient.ins && (
              <>
                <dt>INS</dt>
                <dd>{req.patient.ins}</dd>
              </>
            )}
          </dl>
        </section>
        <section class="panel" aria-labelledby="te-parties-h">
          <h2 id="te-parties-h">Intervenants</h2>
          <dl class="dl">
            <dt>Demandeur</dt>
            <dd>
              {personName(req.requester)}
              {req.requester.organization ? ` · ${req.requester.organization}` : ""}
            </dd>
            {req.team && (
              <>
                <dt>Équipe</dt>
                <dd data-testid="te-team">{req.team.display_name}</dd>
              </>
            )}
            <dt>Expert</dt>
            <dd data-testid="te-expert">
              {req.expert ? (
                <>
                  {personName(req.expert)} · {req.expert.specialty ?? req.specialty}
                  {req.expert.rpps ? ` · RPPS ${req.expert.rpps}` : ""}
                </>
              ) : (
                "En attente de prise en charge par l'équipe"
              )}
            </dd>
            <dt>Urgence</dt>
            <dd>{req.urgency === "urgent" ? "Urgente" : "Normale"}</dd>
            {req.due_at && (
              <>
                <dt>Échéance</dt>
                <dd>{formatDateTime(req.due_at)}</dd>
              </>
            )}
          </dl>
        </section>
      </div>

      <section class="panel" aria-labelledby="te-consent-h">
        <h2 id="te-consent-h">Consentement</h2>
        {req.consent ? (
          <>
            <p data-testid="te-consent-summary">
              Recueilli {req.consent.method === "written" ? "par écrit" : "oralement"} le {formatDateTime(req.consent.collected_at)}
              {req.consent.collected_by ? ` par ${personName(req.consent.collected_by)}` : ""}
              {req.consent.consenter === "representative"
                ? `, auprès de ${req.consent.representative_name ?? "son représentant légal"} (${QUALITY_LABELS[req.consent.representative_quality ?? ""] ?? "représentant légal"})`
                : ", auprès du patient"}
              .
            </p>
            {req.consent.withdrawn_at && (
              <p class="alert alert-warning" data-testid="te-consent-withdrawn">
                Consentement retiré le {formatDateTime(req.consent.withdrawn_at)}
                {req.consent.withdrawn_by ? ` par ${personName(req.consent.withdrawn_by)}` : ""}.
              </p>
            )}
            {consentActive && !closed && (
              <button type="button" class="btn btn-link btn-link-danger" onClick={() => setWithdrawing(true)} data-testid="te-consent-withdraw">
                Retrait du consentement
              </button>
            )}
          </>
        ) : (
          <p class="muted">Non communiqué.</p>
        )}
      </section>

      {req.question !== undefined && (
        <section class="panel" aria-labelledby="te-question-h">
          <h2 id="te-question-h">Question</h2>
          <p class="pre" data-testid="te-question-text">
            {req.question}
          </p>
          {!!req.attachments?.length && (
            <ul class="plain-list" data-testid="te-question-attachments">
              {req.attachments.map((a) => (
                <li key={String(a.id)}>
                  <a href={`/api/attachments/${encodeURIComponent(String(a.id))}/download`} download data-testid="te-question-attachment">
                    {a.name}
                  </a>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      {req.status === "declined" && req.decline_reason && (
        <section class="panel">
          <h2>Motif du refus</h2>
          <p class="pre" data-testid="te-decline-reason">
            {req.decline_reason}
          </p>
        </section>
      )}

      {canReport ? (
        <ReportEditor
          key={String(req.report?.written_at ?? "new")}
          initial={req.report ?? null}
          busy={busy}
          onSave={(data) => run(() => teApi.report(id, data), "Compte rendu enregistré.")}
        />
      ) : (
        req.report && (
          <section class="panel" aria-labelledby="te-report-h" data-testid="te-report">
            <h2 id="te-report-h">Compte rendu</h2>
            {REPORT_FIELDS.map(([k, label]) =>
              req.report![k] ? (
                <div key={k} class="report-block">
                  <h3>{label}</h3>
                  <p class="pre">{req.report![k]}</p>
                </div>
              ) : null,
            )}
            <p class="muted">Rédigé le {formatDateTime(req.report.written_at)}</p>
          </section>
        )
      )}

      {canFile && (
        <div class="panel action-panel">
          <p>Le compte rendu est prêt : classez la demande pour l'envoyer et déclarer les actes.</p>
          <QuotaCounters quota={req.quota} />
          <button type="button" class="btn btn-primary" disabled={busy} onClick={() => setFiling(true)} data-testid="te-file">
            Classer et envoyer…
          </button>
        </div>
      )}

      <FilingOutcome req={req} />

      {!!req.acts?.length && (
        <section class="panel" aria-labelledby="te-acts-h">
          <h2 id="te-acts-h">Actes</h2>
          <ul class="plain-list">
            {req.acts.map((a, i) => (
              <li key={i}>
                {a.code} · {formatDate(a.act_date)} · {formatAmount(a.amount)} · {actStatusLabel(a.status)}
              </li>
            ))}
          </ul>
        </section>
      )}

      {filing && (
        <FilingDialog
          id={id}
          onCancel={() => setFiling(false)}
          onFiled={(r) => {
            setFiling(false);
            setReq(r);
            setInfo("Demande classée, compte rendu envoyé.");
          }}
        />
      )}
      {declining && (
        <DeclineDialog
          onCancel={() => setDeclining(false)}
          onConfirm={async (reason) => {
            const ok = await run(() => teApi.decline(id, reason), "Demande refusée.");
            if (ok) setDeclining(false);
            return ok;
          }}
        />
      )}
      {withdrawing && (
        <ConfirmDialog
          title="Retrait du consentement"
          message="Le patient retire son consentement : la demande sera clôturée et ne pourra plus être traitée. Confirmer ?"
          confirmLabel="Confirmer le retrait"
          onCancel={() => setWithdrawing(false)}
          onConfirm={async () => {
            setWithdrawing(false);
            await run(() => teApi.withdrawConsent(id), "Retrait du consentement enregistré.");
          }}
        />
      )}
    </div>
  );
}

function BackLink() {
  return (
    <p>
      <a href="/teleexpertise" class="btn btn-link" onClick={(e) => linkClick(e, "/teleexpertise")}>
        ← Mes demandes
      </a>
    </p>
  );
}

function DeclineDialog({ onCancel, onConfirm }: { onCancel: () => void; onConfirm: (reason: string) => Promise<boolean> }) {
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

function ReportEditor({ initial, busy, onSave }: { initial: ReportPayload | null; busy: boolean; onSave: (data: ReportPayload) => Promise<boolean> }) {
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
