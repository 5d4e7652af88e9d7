/** The read-only parts of a teleexpertise request's page. */
import type { ReportPayload, TeRequest } from "../../api/teleexpertise";
import { actStatusLabel, formatAmount, formatDate, formatDateTime, identityLabel, sexLabel } from "../../lib/format";
import { personName } from "../../lib/people";

export const QUALITY_LABELS: Record<string, string> = {
  parent: "titulaire de l'autorité parentale",
  guardian: "tuteur",
  family: "habilitation familiale",
  curator: "curateur",
};

export const REPORT_FIELDS: [keyof ReportPayload, string, boolean][] = [
  ["context", "Contexte", true],
  ["answer", "Réponse", true],
  ["conclusion", "Conclusion", true],
  ["recommendations", "Recommandations", false],
];

export function PatientPanel({ patient }: { patient: TeRequest["patient"] }) {
  return (
        <section class="panel" aria-labelledby="te-patient-h">
          <h2 id="te-patient-h">Patient</h2>
          <dl class="dl">
            <dt>Nom</dt>
            <dd>{patient.display_name}</dd>
            <dt>Naissance</dt>
            <dd>{formatDate(patient.birth_date)}</dd>
            <dt>Sexe</dt>
            <dd>{sexLabel(patient.sex)}</dd>
            <dt>Identité</dt>
            <dd>{identityLabel(patient.identity_status)}</dd>
            {patient.ins && (
              <>
                <dt>INS</dt>
                <dd>{patient.ins}</dd>
              </>
            )}
          </dl>
        </section>
  );
}

export function PartiesPanel({ req }: { req: TeRequest }) {
  return (
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
  );
}

export function ConsentPanel({ req, canWithdraw, onWithdraw }: { req: TeRequest; canWithdraw: boolean; onWithdraw: () => void }) {
  return (
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
            {canWithdraw && (
              <button type="button" class="btn btn-link btn-link-danger" onClick={onWithdraw} data-testid="te-consent-withdraw">
                Retrait du consentement
              </button>
            )}
          </>
        ) : (
          <p class="muted">Non communiqué.</p>
        )}
      </section>
  );
}

export function QuestionPanel({ req }: { req: TeRequest }) {
  return (
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
  );
}

export function ReportView({ report }: { report: NonNullable<TeRequest["report"]> }) {
  return (
          <section class="panel" aria-labelledby="te-report-h" data-testid="te-report">
            <h2 id="te-report-h">Compte rendu</h2>
            {REPORT_FIELDS.map(([k, label]) =>
              report[k] ? (
                <div key={k} class="report-block">
                  <h3>{label}</h3>
                  <p class="pre">{report[k]}</p>
                </div>
              ) : null,
            )}
            <p class="muted">Rédigé le {formatDateTime(report.written_at)}</p>
          </section>
  );
}

export function ActsPanel({ acts }: { acts: NonNullable<TeRequest["acts"]> }) {
  return (
        <section class="panel" aria-labelledby="te-acts-h">
          <h2 id="te-acts-h">Actes</h2>
          <ul class="plain-list">
            {acts.map((a, i) => (
              <li key={i}>
                {a.code} · {formatDate(a.act_date)} · {formatAmount(a.amount)} · {actStatusLabel(a.status)}
              </li>
            ))}
          </ul>
        </section>
  );
}
