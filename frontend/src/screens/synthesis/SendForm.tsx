import { useEffect, useRef, useState } from "preact/hooks";
import type { DirectoryResult } from "../../api/directory";
import { directoryApi } from "../../api/directory";
import { DMP_VISIBILITIES, type DmpVisibility, type Export, type ExportSendPayload, type ExportsApi } from "../../api/exports";
import { ApiError } from "../../api/http";
import type { Conversation, Id, Me } from "../../api/types";
import { useDebounced } from "../NewConversation";
import { addRecipient, applyCheck, applyCheckError, applySendError, canSend, normalizeAddress, removeRecipient, sendErrorMessage, type SynthRecipient } from "./recipients";
import { SentConfirmation } from "./SentConfirmation";

export type DirectoryLike = Pick<typeof directoryApi, "mssanteSearch">;

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

/** Sending a finished synthesis over MSSanté: colleagues' addresses (checked) and/or the patient's record. */
export function SendForm({
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
  // "" = the server's default for this patient (a minor's record hides it from the legal representatives).
  const [visibility, setVisibility] = useState<DmpVisibility | "">("");
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
      const payload: ExportSendPayload = { recipients: recipients.map((x) => x.address), to_patient_record: toPatient, from: from || null };
      if (toPatient && visibility) payload.visibility = visibility;
      const r = await api.send(exp.id, payload);
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
      {conversation.patient && toPatient && (
        <div class="field">
          <label for="synth-visibility">Visibilité dans le DMP</label>
          <select id="synth-visibility" value={visibility} onChange={(e) => setVisibility(e.currentTarget.value as DmpVisibility | "")} data-testid="synthesis-visibility">
            <option value="">Par défaut pour ce patient (les mineurs suivent la règle de l'établissement)</option>
            {DMP_VISIBILITIES.map((v) => (
              <option key={v.value} value={v.value}>
                {v.label}
              </option>
            ))}
          </select>
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
