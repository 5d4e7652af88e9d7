import { useEffect, useState } from "preact/hooks";
import { teApi, type TeRequest } from "../../api/teleexpertise";
import type { Me } from "../../api/types";
import { ConfirmDialog } from "../../components/Dialog";
import { formatDate } from "../../lib/format";
import { sameId } from "../../lib/people";
import { linkClick } from "../../lib/router";
import { isExpert } from "../../lib/roles";
import { onTeleexpertiseUpdated } from "../../state/teleexpertise";
import { errorMessage, StatusBadges } from "./common";
import { FilingDialog, FilingOutcome, QuotaCounters } from "./Filing";
import { DeclineDialog, ReportEditor } from "./RequestDialogs";
import { ActsPanel, ConsentPanel, PartiesPanel, PatientPanel, QuestionPanel, ReportView } from "./RequestPanels";

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
        <PatientPanel patient={req.patient} />
        <PartiesPanel req={req} />
      </div>

      <ConsentPanel req={req} canWithdraw={consentActive && !closed} onWithdraw={() => setWithdrawing(true)} />

      {req.question !== undefined && <QuestionPanel req={req} />}

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
        req.report && <ReportView report={req.report} />
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

      {!!req.acts?.length && <ActsPanel acts={req.acts} />}

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
