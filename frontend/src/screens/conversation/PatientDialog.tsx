import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/endpoints";
import { ApiError } from "../../api/http";
import type { Conversation, PatientRecord } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { useDebounced } from "../../components/RecipientPicker";
import { bornOn, patientQuery, statusWord } from "../../lib/identity";
import { navigate } from "../../lib/router";
import type { ChatController } from "../../state/chat";

export function writePatientPath(patientId: string): string {
  return `/patient/ecrire?patient=${encodeURIComponent(patientId)}`;
}

/**
 * The conversation's patient: attach or change it (search by name, birth date or INS, with the
 * identity status), detach it, and « Écrire à ce patient » by MSSanté without typing the INS.
 */
export function PatientDialog({ chat, conversation, onClose }: { chat: ChatController; conversation: Conversation; onClose: () => void }) {
  const current = conversation.patient;
  const [query, setQuery] = useState("");
  const debounced = useDebounced(query.trim(), 300);
  const [results, setResults] = useState<PatientRecord[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const params = patientQuery(debounced);
    if (!params.ins && !params.birth_date && (params.q ?? "").length < 2) {
      setResults(null);
      return;
    }
    const ctrl = new AbortController();
    setSearching(true);
    setError(null);
    api
      .searchPatients(params, ctrl.signal)
      .then((r) => setResults(r.results))
      .catch((err: unknown) => {
        if ((err as { name?: string })?.name !== "AbortError") setError(err instanceof ApiError ? err.field("ins") ?? err.field("birth_date") ?? err.message : "Recherche impossible.");
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setSearching(false);
      });
    return () => ctrl.abort();
  }, [debounced]);

  async function choose(patientId: string | null) {
    setBusy(true);
    setError(null);
    try {
      await chat.updateConversation(api.setPatient(conversation.id, patientId));
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Modification impossible.");
      setBusy(false);
    }
  }

  return (
    <Dialog title={current ? "Patient de la conversation" : "Rattacher un patient"} onClose={onClose} testId="patient-dialog" wide>
      {error && (
        <div class="alert alert-error" role="alert" data-testid="patient-dialog-error">
          {error}
        </div>
      )}
      {current && (
        <section class="panel patient-current" aria-label="Patient actuel">
          <p>
            <strong>{current.birth_name}</strong> {current.first_name}, {bornOn(current.sex, current.birth_date)} — identité{" "}
            <span class={`identity-status identity-${current.identity_status.toLowerCase()}`}>{statusWord(current.identity_status)}</span>
          </p>
          <div class="form-actions">
            {current.writable ? (
              <button type="button" class="btn btn-primary" onClick={() => navigate(writePatientPath(current.id))} data-testid="write-to-patient">
                Écrire à ce patient
              </button>
            ) : (
              <p class="muted" data-testid="write-to-patient-unavailable">
                {current.identity_status !== "QUAL"
                  ? "Identité non qualifiée : la messagerie santé du patient ne peut pas être utilisée."
                  : "Votre structure ne tient pas le dossier de ce patient : écrivez-lui depuis la structure qui le suit."}
              </p>
            )}
            <button type="button" class="btn btn-secondary" disabled={busy} onClick={() => void choose(null)} data-testid="patient-detach">
              Retirer le patient
            </button>
          </div>
        </section>
      )}
      <div class="field">
        <label for="patient-search">{current ? "Changer de patient" : "Rechercher un patient"}</label>
        <input
          id="patient-search"
          type="search"
          autocomplete="off"
          placeholder="Nom, date de naissance (JJ/MM/AAAA) ou INS"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          data-autofocus
          data-testid="patient-search-input"
        />
        <p class="help" aria-live="polite">
          {searching ? "Recherche…" : results && !results.length ? "Aucun patient trouvé dans vos structures." : "Les dossiers tenus par vos structures."}
        </p>
      </div>
      {!!results?.length && (
        <ul class="patient-results" aria-label="Patients trouvés" data-testid="patient-results">
          {results.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                class="patient-result"
                disabled={busy || p.id === current?.id}
                onClick={() => void choose(p.id)}
                data-testid="patient-result"
                data-status={p.identity_status}
              >
                <span>
                  <strong>{p.birth_name}</strong> {p.first_names.join(" ")}
                  {p.used_name ? ` (${p.used_name})` : ""}
                </span>
                <span class="muted">{bornOn(p.sex, p.birth_date)}</span>
                <span class={`identity-status identity-${(p.identity_status ?? "PROV").toLowerCase()}`}>{statusWord(p.identity_status)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
