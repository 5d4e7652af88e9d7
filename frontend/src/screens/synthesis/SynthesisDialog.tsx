import { useEffect, useState } from "preact/hooks";
import { directoryApi } from "../../api/directory";
import { exportDownloadUrl, exportsApi, type Export, type ExportsApi } from "../../api/exports";
import { ApiError } from "../../api/http";
import type { Conversation, Me } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { session } from "../../state/session";
import { useStore } from "../../state/store";
import { isTerminal, onExportUpdated, reduceExport } from "../../state/exports";
import { ExportProgress } from "./ExportProgress";
import { POLL_MS } from "./polling";
import { type DirectoryLike, SendForm } from "./SendForm";
import "../../styles/synthesis.css";

export { POLL_MS };

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
            <span class="muted synth-docid">Document {exp.document_id}</span>
          </p>
          {exp.content_sha256 && <Fingerprint digest={exp.content_sha256} />}
          <SendForm exp={exp} conversation={conversation} me={me} api={api} directory={directory} onClose={onClose} />
        </>
      )}
    </Dialog>
  );
}
/** The one SHA-256 of a synthesis: what it is the hash of and how to check it (the PDF says the
 * same on its last page and prints it in every footer). */
export function Fingerprint({ digest }: { digest: string }) {
  return (
    <details class="synth-fingerprint" data-testid="synthesis-fingerprint">
      <summary>
        Empreinte SHA-256 : <code class="synth-digest">{digest}</code>
      </summary>
      <p class="muted">
        C'est l'empreinte du contenu des messages exportés (numéro, auteur, heure, texte, empreintes des pièces
        jointes), la même que celle imprimée en pied de chaque page du PDF. La moindre modification d'un message
        la change. Pour vérifier un PDF reçu : comparez l'empreinte de son pied de page avec celle-ci ; la
        dernière page du PDF décrit le calcul exact pour la recalculer (par exemple avec « sha256sum »).
      </p>
    </details>
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
