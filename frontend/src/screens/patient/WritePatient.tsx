import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/endpoints";
import { ApiError } from "../../api/http";
import { mssApi, type InsCheck, type MssMessage } from "../../api/mssante";
import type { Attachment, Me, PatientRecord } from "../../api/types";
import { bornOn, statusWord } from "../../lib/identity";
import { Uploader } from "../../components/Uploader";
import { formatDateTime, recipientStatusLabel, summarySentence } from "../../lib/format";

export function normalizeIns(v: string): string {
  return v.replace(/[\s.-]/g, "").toUpperCase();
}

/** The patient record named in the address (« Écrire à ce patient » from a conversation). */
function patientParam(): string | null {
  return typeof location !== "undefined" ? new URLSearchParams(location.search).get("patient") : null;
}

export function WritePatientScreen({ me }: { me: Me }) {
  const [record, setRecord] = useState<PatientRecord | null>(null);
  const [recordError, setRecordError] = useState<string | null>(null);
  const [ins, setIns] = useState("");
  const [check, setCheck] = useState<InsCheck | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const [insError, setInsError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [from, setFrom] = useState(me.mailboxes.find((m) => m.kind === "PER")?.address ?? me.mailboxes[0]?.address ?? "");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [close, setClose] = useState(false);
  const [files, setFiles] = useState<Attachment[]>([]);
  const [sendError, setSendError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<string | null>(null);
  const [outbox, setOutbox] = useState<MssMessage[] | null>(null);
  const [outboxError, setOutboxError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const id = patientParam();
    if (!id) return;
    api
      .patient(id)
      .then((p) => {
        if (!p.mssante_address) {
          setRecordError("L'identité de ce patient n'est pas qualifiée : sa messagerie santé ne peut pas être utilisée.");
          return;
        }
        setRecord(p);
        setCheck({ valid: true, ins: p.ins ?? "", sex: p.sex, birth_year: 0, birth_month: null, birth_department: null, summary: "", mssante_address: p.mssante_address });
        setConfirmed(true);
      })
      .catch((err) => setRecordError(err instanceof ApiError ? err.message : "Patient introuvable."));
  }, []);

  useEffect(() => {
    mssApi
      .outbox()
      .then(setOutbox)
      .catch((err) => setOutboxError(err instanceof ApiError ? err.message : "Chargement impossible."));
  }, [reload]);

  function reset() {
    setRecord(null);
    setCheck(null);
    setConfirmed(false);
    setInsError(null);
  }

  async function verify(e: Event) {
    e.preventDefault();
    const value = normalizeIns(ins);
    setSent(null);
    reset();
    if (!value) {
      setInsError("Saisissez le matricule INS du patient.");
      return;
    }
    setBusy(true);
    try {
      setCheck(await mssApi.insCheck(value));
    } catch (err) {
      setInsError(err instanceof ApiError ? err.field("ins") ?? err.message : "Vérification impossible.");
    } finally {
      setBusy(false);
    }
  }

  async function send(e: Event) {
    e.preventDefault();
    if (!check) return;
    const errs: Record<string, string> = {};
    if (!subject.trim()) errs.subject = "Indiquez l'objet du message.";
    if (!body.trim()) errs.body = "Rédigez le message.";
    if (!from) errs.from = "Choisissez la boîte d'envoi.";
    setFieldErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setSendError(null);
    try {
      await mssApi.send({
        from,
        to: [check.mssante_address],
        subject: subject.trim(),
        body,
        attachments: files.map((f) => String(f.id)),
        close_exchange: close,
        read_receipt: false,
        ...(record ? { patient: record.id } : {}),
      });
      setSent("Message envoyé au patient.");
      setSubject("");
      setBody("");
      setClose(false);
      setFiles([]);
      setIns("");
      reset();
      setReload((n) => n + 1);
    } catch (err) {
      if (err instanceof ApiError) {
        setSendError(err.message);
        setFieldErrors(Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, v[0]])));
      } else setSendError("Envoi impossible.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="page" data-testid="patient-write">
      <h1>Écrire à un patient</h1>
      <p class="muted">Le message est envoyé dans l'espace de confiance MSSanté, à la messagerie santé du patient (Mon espace santé).</p>
      {sent && (
        <div class="alert alert-success" role="status" data-testid="patient-sent">
          {sent}
        </div>
      )}
      {recordError && (
        <div class="alert alert-error" role="alert" data-testid="patient-record-error">
          {recordError}
        </div>
      )}
      {record && (
        <section class="panel" aria-label="Patient" data-testid="patient-record">
          <p>
            <strong>{record.birth_name}</strong> {record.first_names.join(" ")}, {bornOn(record.sex, record.birth_date)} — identité {statusWord(record.identity_status)}
          </p>
          <p class="muted">
            Messagerie santé : <span data-testid="patient-record-address">{record.mssante_address}</span>{" "}
            <button type="button" class="btn btn-link" onClick={reset} data-testid="patient-record-change">
              Écrire à un autre patient
            </button>
          </p>
        </section>
      )}
      {!record && (
      <form class="panel" onSubmit={verify} noValidate>
        <div class="field">
          <label for="patient-ins">Matricule INS du patient (15 caractères)</label>
          <input
            id="patient-ins"
            inputMode="text"
            autocomplete="off"
            maxLength={21}
            value={ins}
            disabled={confirmed}
            onInput={(e) => {
              setIns(e.currentTarget.value);
              if (check) reset();
            }}
            aria-invalid={!!insError}
            aria-describedby={insError ? "patient-ins-error" : undefined}
            data-testid="patient-ins-input"
          />
          {insError && (
            <p class="field-error" id="patient-ins-error" role="alert" data-testid="patient-ins-error">
              {insError}
            </p>
          )}
        </div>
        {!check && (
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="patient-ins-check">
            Vérifier l'INS
          </button>
        )}
        {check && !confirmed && (
          <div class="confirm-box" role="status">
            <p data-testid="patient-ins-summary">{summarySentence(check.summary)}</p>
            <div class="form-actions">
              <button type="button" class="btn btn-secondary" onClick={reset} data-testid="patient-cancel">
                Annuler
              </button>
              <button type="button" class="btn btn-primary" onClick={() => setConfirmed(true)} data-testid="patient-confirm">
                Confirmer
              </button>
            </div>
          </div>
        )}
        {check && confirmed && (
          <p class="recap">
            <span data-testid="patient-ins-summary">{summarySentence(check.summary)}</span>{" "}
            <button type="button" class="btn btn-link" onClick={reset}>
              Changer de patient
            </button>
          </p>
        )}
      </form>
      )}

      {check && confirmed && (
        <form class="panel" onSubmit={send} noValidate data-testid="patient-compose">
          {sendError && (
            <div class="alert alert-error" role="alert" data-testid="patient-send-error">
              {sendError}
            </div>
          )}
          <div class="field">
            <label for="pw-from">Envoyer depuis</label>
            <select id="pw-from" value={from} onChange={(e) => setFrom(e.currentTarget.value)} data-testid="patient-from">
              {me.mailboxes.map((m) => (
                <option key={m.address} value={m.address}>
                  {m.kind === "PER" ? "Ma boîte personnelle" : "Boîte d'équipe"} — {m.address}
                </option>
              ))}
            </select>
            {fieldErrors.from && <p class="field-error">{fieldErrors.from}</p>}
          </div>
          <div class="field">
            <label for="pw-subject">Objet</label>
            <input id="pw-subject" value={subject} maxLength={200} onInput={(e) => setSubject(e.currentTarget.value)} aria-invalid={!!fieldErrors.subject} data-testid="patient-subject" />
            {fieldErrors.subject && <p class="field-error">{fieldErrors.subject}</p>}
          </div>
          <div class="field">
            <label for="pw-body">Message</label>
            <textarea id="pw-body" rows={8} value={body} onInput={(e) => setBody(e.currentTarget.value)} aria-invalid={!!fieldErrors.body} data-testid="patient-body" />
            {fieldErrors.body && <p class="field-error">{fieldErrors.body}</p>}
          </div>
          <Uploader label="Pièces jointes (facultatif)" testId="patient-attachments" multiple files={files} onChange={setFiles} />
          <div class="field">
            <label class="checkbox">
              <input type="checkbox" checked={close} onChange={(e) => setClose(e.currentTarget.checked)} data-testid="patient-close" /> Clore l'échange (le patient ne pourra pas répondre)
            </label>
          </div>
          {Object.entries(fieldErrors)
            .filter(([k]) => !["from", "subject", "body"].includes(k))
            .map(([k, v]) => (
              <p key={k} class="field-error">
                {v}
              </p>
            ))}
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={busy} data-testid="patient-send">
              {busy ? "Envoi…" : "Envoyer"}
            </button>
          </div>
        </form>
      )}

      <section class="panel" aria-labelledby="outbox-h">
        <h2 id="outbox-h">Messages envoyés</h2>
        {outboxError && (
          <div class="alert alert-error" role="alert">
            {outboxError}
          </div>
        )}
        {outbox && !outbox.length && <p class="empty-state">Aucun message envoyé.</p>}
        {outbox && !!outbox.length && (
          <ul class="card-list">
            {outbox.map((m) => (
              <li key={String(m.id)} class="outbox-item" data-testid="outbox-item">
                <span class="card-line">
                  <span class="card-title">{m.subject || "(sans objet)"}</span>
                  <span class="muted">{formatDateTime(m.created_at)}</span>
                </span>
                <span class="card-sub">De {m.from}{m.close_exchange ? " · échange clos" : ""}</span>
                <ul class="plain-list">
                  {m.recipients.map((r) => (
                    <li key={r.address}>
                      {r.address} :{" "}
                      <span class={`status-badge rcpt-${r.status}`} data-testid="outbox-status" data-status={r.status}>
                        {recipientStatusLabel(r.status, r.reason)}
                      </span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
