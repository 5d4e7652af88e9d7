import { useEffect, useRef, useState } from "preact/hooks";
import type { DirectoryResult } from "../../api/directory";
import { directoryApi } from "../../api/directory";
import { exportDownloadUrl, exportsApi, type Export, type ExportsApi, type MssMessageStatus } from "../../api/exports";
import { ApiError } from "../../api/http";
import type { Conversation, Id, Me } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { recipientStatusLabel } from "../../lib/format";
import { linkClick } from "../../lib/router";
import { session } from "../../state/session";
import { useStore } from "../../state/store";
import { exportStatusLabel, isTerminal, onExportUpdated, reduceExport } from "../../state/exports";
import { useDebounced } from "../NewConversation";
import {
  addRecipient,
  applyCheck,
  applyCheckError,
  applySendError,
  canSend,
  normalizeAddress,
  removeRecipient,
  sendErrorMessage,
  type SynthRecipient,
} from "./recipients";
import "../../styles/synthesis.css";

export const POLL_MS = 2000;

type DirectoryLike = Pick<typeof directoryApi, "mssanteSearch">;

interface Suggestion {
  address: string;
  label: string;
  kind: string;
}

function suggestionsOf(results: DirectoryResult[]): Suggestion[] {
  return results.flatMap((r) =>
    r.mssante.map((m) => ({ address: m.address, kind: String(m.kind), label: m.kind === "ORG" ? `${r.organization ?? r.name} (boîte d'équipe)` : r.name })),
  );
}

function parseSeq(v: string): number | undefined {
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function SynthesisDialog({
  conversation,
  me,
  onClose,
  api = exportsApi,
  directory = directoryApi,
}: {
  conversation: Conversation;
  me: Me;
  onClose: () => void;
  api?: ExportsApi;
  directory?: DirectoryLike;
}) {
  const [fromSeq, setFromSeq] = useState("");
  const [toSeq, setToSeq] = useState("");
  const [rangeErrors, setRangeErrors] = useState<Record<string, string>>({});
  const [exp, setExp] = useState<Export | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // live frames for the followed export
  useEffect(() => onExportUpdated((e) => setExp((cur) => (cur ? reduceExport(cur, e) : cur))), []);

  // fallback polling every 2 s until the export is finished (each answer, or failure, re-arms the timer)
  const [pollTick, setPollTick] = useState(0);
  const expId = exp?.id;
  const terminal = isTerminal(exp);
  useEffect(() => {
    if (expId === undefined || terminal) return;
    let stopped = false;
    const ctrl = new AbortController();
    const t = setTimeout(() => {
      api
        .get(expId, ctrl.signal)
        .then((e) => {
          if (!stopped) setExp((cur) => (cur ? reduceExport(cur, e) : cur));
        })
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) setPollTick((n) => n + 1);
        });
    }, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(t);
      ctrl.abort();
    };
  }, [api, expId, terminal, pollTick]);

  async function generate(e: Event) {
    e.preventDefault();
    const f = parseSeq(fromSeq);
    const t = parseSeq(toSeq);
    const errs: Record<string, string> = {};
    if (fromSeq && f === undefined) errs.from_seq = "Numéro de message invalide.";
    if (toSeq && t === undefined) errs.to_seq = "Numéro de message invalide.";
    if (f !== undefined && t !== undefined && f > t) errs.to_seq = "Le dernier message doit suivre le premier.";
    if (conversation.last_seq && f !== undefined && f > conversation.last_seq) errs.from_seq = `La conversation compte ${conversation.last_seq} messages.`;
    setRangeErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.requestSynthesis(conversation.id, { ...(f !== undefined ? { from_seq: f } : {}), ...(t !== undefined ? { to_seq: t } : {}) });
      setExp((cur) => reduceExport(cur && String(cur.id) === String(r.export.id) ? cur : null, r.export));
    } catch (err) {
      if (err instanceof ApiError) {
        setError(err.message);
        setRangeErrors(Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, v[0]])));
      } else setError("Demande impossible.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Synthèse PDF de la conversation" onClose={onClose} testId="synthesis-dialog" wide>
      {error && (
        <div class="alert alert-error" role="alert" data-testid="synthesis-error">
          {error}
        </div>
      )}
      {!exp && (
        <form onSubmit={generate} noValidate data-testid="synthesis-range-form">
          <p class="muted">Toute la conversation par défaut ; indiquez des numéros de message pour n'en retenir qu'une partie.</p>
          <div class="synth-range">
            <div class="field">
              <label for="synth-from">Du message n°</label>
              <input
                id="synth-from"
                type="number"
                inputMode="numeric"
                min={1}
                max={conversation.last_seq || undefined}
                placeholder="1"
                value={fromSeq}
                onInput={(e) => setFromSeq(e.currentTarget.value)}
                aria-invalid={!!rangeErrors.from_seq}
                aria-describedby={rangeErrors.from_seq ? "synth-from-error" : undefined}
                data-autofocus
                data-testid="synthesis-from"
              />
              {rangeErrors.from_seq && (
                <p class="field-error" id="synth-from-error">
                  {rangeErrors.from_seq}
                </p>
              )}
            </div>
            <div class="field">
              <label for="synth-to">Au message n°</label>
              <input
                id="synth-to"
                type="number"
                inputMode="numeric"
                min={1}
                max={conversation.last_seq || undefined}
                placeholder={conversation.last_seq ? String(conversation.last_seq) : "dernier"}
                value={toSeq}
                onInput={(e) => setToSeq(e.currentTarget.value)}
                aria-invalid={!!rangeErrors.to_seq}
                aria-describedby={rangeErrors.to_seq ? "synth-to-error" : undefined}
                data-testid="synthesis-to"
              />
              {rangeErrors.to_seq && (
                <p class="field-error" id="synth-to-error">
                  {rangeErrors.to_seq}
                </p>
              )}
            </div>
          </div>
          <div class="dialog-actions">
            <button type="button" class="btn btn-secondary" onClick={onClose}>
              Annuler
            </button>
            <button type="submit" class="btn btn-primary" disabled={busy} data-testid="synthesis-generate">
              {busy ? "Demande…" : "Générer"}
            </button>
          </div>
        </form>
      )}
      {exp && <ExportProgress exp={exp} />}
      {exp?.status === "failed" && (
        <div class="dialog-actions">
          <button type="button" class="btn btn-secondary" onClick={() => setExp(null)} data-testid="synthesis-retry">
            Recommencer
          </button>
        </div>
      )}
      {exp?.status === "done" && (
        <>
          <p class="synth-download">
            <a class="btn btn-secondary" href={exportDownloadUrl(exp)} download={`${exp.document_id || "synthese"}.pdf`} data-testid="synthesis-download">
              Télécharger le PDF
            </a>
            <span class="muted synth-docid">
              Document {exp.document_id}
              {exp.sha256 ? ` · empreinte SHA-256 ${exp.sha256.slice(0, 12)}…` : ""}
            </span>
          </p>
          <SendForm exp={exp} conversation={conversation} me={me} api={api} directory={directory} onClose={onClose} />
        </>
      )}
    </Dialog>
  );
}

function ExportProgress({ exp }: { exp: Export }) {
  const value = exp.status === "done" ? 100 : exp.progress;
  return (
    <div class="synth-progress" data-testid="synthesis-status" data-status={exp.status}>
      <p id="synth-progress-label" role="status" aria-live="polite">
        {exportStatusLabel(exp)}
      </p>
      <div
        class={`progress-track${exp.status === "failed" ? " failed" : ""}`}
        role="progressbar"
        aria-labelledby="synth-progress-label"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        data-testid="synthesis-progress"
      >
        <div class="progress-fill" style={{ width: `${value}%` }} />
      </div>
      {exp.status === "failed" && (
        <p class="field-error" role="alert">
          {exp.error || "Erreur inconnue."}
        </p>
      )}
    </div>
  );
}

function SendForm({
  exp,
  conversation,
  me,
  api,
  directory,
  onClose,
}: {
  exp: Export;
  conversation: Conversation;
  me: Me;
  api: ExportsApi;
  directory: DirectoryLike;
  onClose: () => void;
}) {
  const [recipients, setRecipients] = useState<SynthRecipient[]>([]);
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [toPatient, setToPatient] = useState(false);
  const [from, setFrom] = useState(me.mailboxes.find((m) => m.kind === "PER")?.address ?? me.mailboxes[0]?.address ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [attempted, setAttempted] = useState(false);
  const [sent, setSent] = useState<{ id: Id; status: string }[] | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (debounced.length < 2 || debounced.includes("@")) {
      setSuggestions([]);
      return;
    }
    const ctrl = new AbortController();
    directory
      .mssanteSearch(debounced, ctrl.signal)
      .then((r) => setSuggestions(suggestionsOf(r.results)))
      .catch(() => setSuggestions([]));
    return () => ctrl.abort();
  }, [debounced, directory]);

  function add(raw: string) {
    const address = normalizeAddress(raw);
    if (!address) return;
    const next = addRecipient(recipients, address);
    setRecipients(next);
    setQuery("");
    setSuggestions([]);
    const added = next.find((r) => r.address === address);
    if (added?.state === "checking" && !recipients.some((r) => r.address === address)) {
      api
        .checkAddress(address)
        .then((check) => setRecipients((cur) => applyCheck(cur, address, check)))
        .catch((err: unknown) => setRecipients((cur) => applyCheckError(cur, address, err instanceof ApiError ? err.message : "Vérification impossible.")));
    }
    inputRef.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === "Enter") {
      e.preventDefault();
      if (query.includes("@")) add(query);
      else if (suggestions.length) add(suggestions[0].address);
    } else if (e.key === "Backspace" && !query && recipients.length) {
      setRecipients(recipients.slice(0, -1));
    }
  }

  const check = canSend(recipients, toPatient, from);

  async function submit(e: Event) {
    e.preventDefault();
    setAttempted(true);
    if (!check.ok || busy) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.send(exp.id, { recipients: recipients.map((x) => x.address), to_patient_record: toPatient, from: from || null });
      setSent(r.messages);
    } catch (err) {
      if (err instanceof ApiError) {
        const msg = sendErrorMessage(err.code, err.message);
        setError(msg);
        setRecipients((cur) => applySendError(cur, err.code, msg));
      } else setError("Envoi impossible.");
    } finally {
      setBusy(false);
    }
  }

  if (sent) return <SentConfirmation messages={sent} api={api} me={me} onClose={onClose} />;

  if (!me.mailboxes.length) {
    return (
      <p class="alert alert-warning" data-testid="synthesis-no-mailbox">
        Vous n'avez pas de boîte aux lettres MSSanté : vous pouvez télécharger la synthèse, mais pas l'envoyer.
      </p>
    );
  }

  const listId = "synth-suggestions";
  return (
    <form class="synth-send" onSubmit={submit} noValidate data-testid="synthesis-send-form">
      <h3>Envoyer par MSSanté</h3>
      {error && (
        <div class="alert alert-error" role="alert" data-testid="synthesis-send-error">
          {error}
        </div>
      )}
      <div class="field">
        <label for="synth-recipient">Destinataires (adresses MSSanté uniquement)</label>
        {!!recipients.length && (
          <ul class="synth-recipients" aria-label="Destinataires choisis" data-testid="synthesis-recipients">
            {recipients.map((r) => (
              <li key={r.address} class={`synth-recipient state-${r.state}`} data-testid="synthesis-recipient" data-state={r.state}>
                <span class="synth-recipient-line">
                  <span class="synth-recipient-address">{r.address}</span>
                  <span class="synth-recipient-state">
                    {r.state === "checking" ? "vérification…" : r.state === "accepted" ? "✓ espace de confiance" : r.state === "refused" ? "refusée" : "non vérifiée"}
                  </span>
                  <button type="button" class="chip-remove" aria-label={`Retirer ${r.address}`} onClick={() => setRecipients(removeRecipient(recipients, r.address))}>
                    ×
                  </button>
                </span>
                {r.reason && (
                  <span class="field-error" role="alert" data-testid="synthesis-recipient-error" data-code={r.code ?? undefined}>
                    {r.reason}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
        <div class="synth-add">
          <input
            id="synth-recipient"
            ref={inputRef}
            type="text"
            autocomplete="off"
            placeholder="prenom.nom@domaine.mssante.fr ou nom dans l'annuaire"
            aria-describedby="synth-recipient-help"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            onKeyDown={onKeyDown}
            data-testid="synthesis-recipient-input"
          />
          <button type="button" class="btn btn-secondary" disabled={!query.includes("@")} onClick={() => add(query)} data-testid="synthesis-recipient-add">
            Ajouter
          </button>
        </div>
        <p class="help" id="synth-recipient-help">
          Saisissez une adresse puis Entrée, ou cherchez un nom dans l'annuaire (professionnels ayant une messagerie MSSanté).
        </p>
        {!!suggestions.length && (
          <ul id={listId} class="synth-suggestions" aria-label="Adresses MSSanté trouvées dans l'annuaire" data-testid="synthesis-suggestions">
            {suggestions.map((s) => (
              <li key={s.address}>
                <button type="button" class="synth-suggestion" onClick={() => add(s.address)} data-testid="synthesis-suggestion">
                  <span class="rec-label">{s.label}</span>
                  <span class="rec-detail">{s.address}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {conversation.patient && (
        <div class="field">
          <label class="checkbox">
            <input type="checkbox" checked={toPatient} onChange={(e) => setToPatient(e.currentTarget.checked)} data-testid="synthesis-to-patient" /> Verser au dossier du patient (DMP) —{" "}
            {conversation.patient.display_name}
          </label>
        </div>
      )}
      <div class="field">
        <label for="synth-from-box">Envoyer depuis</label>
        <select id="synth-from-box" value={from} onChange={(e) => setFrom(e.currentTarget.value)} data-testid="synthesis-from-mailbox">
          {me.mailboxes.map((m) => (
            <option key={m.address} value={m.address}>
              {m.kind === "PER" ? "Ma boîte personnelle" : m.kind === "ORG" ? "Boîte d'équipe" : "Boîte applicative"} — {m.address}
            </option>
          ))}
        </select>
      </div>
      {attempted && !check.ok && (
        <p class="field-error" role="alert" data-testid="synthesis-send-blocked">
          {check.message}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" class="btn btn-secondary" onClick={onClose}>
          Fermer
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="synthesis-send">
          {busy ? "Envoi…" : "Envoyer"}
        </button>
      </div>
    </form>
  );
}

function SentConfirmation({ messages, api, me, onClose }: { messages: { id: Id; status: string }[]; api: ExportsApi; me: Me; onClose: () => void }) {
  const [details, setDetails] = useState<Record<string, MssMessageStatus | string>>({});
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let alive = true;
    for (const m of messages) {
      api
        .message(m.id)
        .then((d) => alive && setDetails((cur) => ({ ...cur, [String(m.id)]: d })))
        .catch((err: unknown) => alive && setDetails((cur) => ({ ...cur, [String(m.id)]: err instanceof ApiError ? err.message : "Statut indisponible." })));
    }
    return () => {
      alive = false;
    };
  }, [messages, api, tick]);

  return (
    <div class="synth-sent" data-testid="synthesis-sent">
      <div class="alert alert-success" role="status">
        {messages.length > 1 ? `${messages.length} messages MSSanté mis en file d'envoi.` : "Message MSSanté mis en file d'envoi."}
      </div>
      <ul class="plain-list">
        {messages.map((m) => {
          const d = details[String(m.id)];
          return (
            <li key={String(m.id)} data-testid="synthesis-sent-message">
              {typeof d === "object" && d.recipients?.length ? (
                <ul class="plain-list">
                  {d.recipients.map((r) => (
                    <li key={r.address}>
                      {r.address} :{" "}
                      <span class={`status-badge rcpt-${r.status}`} data-testid="synthesis-sent-status" data-status={r.status}>
                        {recipientStatusLabel(r.status, r.reason)}
                      </span>
                    </li>
                  ))}
                </ul>
              ) : (
                <span>
                  Message {String(m.id).slice(0, 8)} :{" "}
                  <span class="status-badge" data-testid="synthesis-sent-status" data-status={typeof d === "object" ? d.status : m.status}>
                    {typeof d === "string" ? d : recipientStatusLabel(typeof d === "object" ? d.status : m.status)}
                  </span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <div class="dialog-actions">
        <button type="button" class="btn btn-link" onClick={() => setTick((n) => n + 1)} data-testid="synthesis-sent-refresh">
          Actualiser les statuts
        </button>
        {me.mailboxes.length > 0 && (
          <a
            class="btn btn-secondary"
            href="/patient/ecrire#outbox-h"
            onClick={(e) => {
              onClose();
              linkClick(e, "/patient/ecrire");
            }}
            data-testid="synthesis-outbox-link"
          >
            Messages envoyés
          </a>
        )}
        <button type="button" class="btn btn-primary" onClick={onClose}>
          Terminer
        </button>
      </div>
    </div>
  );
}

/** The header button and its dialog. */
export function SynthesisButton({ conversation, me: meProp }: { conversation: Conversation; me?: Me | null }) {
  const [open, setOpen] = useState(false);
  const sessionMe = useStore(session, (s) => s.me);
  const me = meProp ?? sessionMe;
  if (!me) return null;
  return (
    <>
      <button type="button" class="btn btn-secondary btn-small synth-start" onClick={() => setOpen(true)} aria-haspopup="dialog" data-testid="synthesis-start">
        <span class="synth-start-long">Synthèse </span>PDF
      </button>
      {open && <SynthesisDialog conversation={conversation} me={me} onClose={() => setOpen(false)} />}
    </>
  );
}
