import { useState } from "preact/hooks";
import { ApiError } from "../api/http";
import type { Conversation, Id } from "../api/types";
import { Dialog } from "../components/Dialog";
import { type Recipient, RecipientPicker, recipientsOf, useDebounced } from "../components/RecipientPicker";

// Kept here too: other screens import them from this module.
export { recipientsOf, useDebounced, type Recipient };

export function NewConversationDialog({
  meId,
  onClose,
  onCreate,
}: {
  meId: Id;
  onClose: () => void;
  onCreate: (data: { participants: (Id | string)[]; title?: string }) => Promise<Conversation>;
}) {
  const [selected, setSelected] = useState<Recipient[]>([]);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (!selected.length || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onCreate({
        participants: selected.map((s) => s.value),
        ...(selected.length > 1 && title.trim() ? { title: title.trim() } : {}),
      });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Création impossible.");
      setBusy(false);
    }
  }

  const group = selected.length > 1 || selected.some((s) => s.key.startsWith("m:"));

  return (
    <Dialog title="Nouvelle conversation" onClose={onClose} testId="new-conversation-dialog" wide>
      <form onSubmit={submit} class="new-conv-form">
        {error && (
          <div class="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <RecipientPicker meId={meId} selected={selected} onChange={setSelected} />

        {selected.length > 1 && (
          <div class="field">
            <label for="conv-title">Titre du groupe (facultatif)</label>
            <input id="conv-title" value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="conversation-title-input" />
          </div>
        )}

        <div class="dialog-actions">
          <button type="button" class="btn btn-secondary" onClick={onClose}>
            Annuler
          </button>
          <button type="submit" class="btn btn-primary" disabled={!selected.length || busy} data-testid="create-conversation-button">
            {busy ? "Création…" : group ? "Créer le groupe" : "Démarrer"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
