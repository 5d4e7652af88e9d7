import { useState } from "preact/hooks";
import { ApiError } from "../api/http";
import { messagesApi } from "../api/messages";
import type { Conversation, Message } from "../api/types";
import { Dialog } from "../components/Dialog";
import { sameId } from "../lib/people";
import { newClientId } from "../ws/outbox";

/** Forward a message: to another conversation of mine, or by MSSanté to directory addresses. */
export function ForwardDialog({
  message,
  conversations,
  onClose,
  onDone,
}: {
  message: Message;
  conversations: Conversation[];
  onClose: () => void;
  onDone: (notice: string) => void;
}) {
  const targets = conversations.filter((c) => !sameId(c.id, message.conversation));
  const [target, setTarget] = useState<string>(targets[0] ? String(targets[0].id) : "");
  const [addresses, setAddresses] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // One client id per dialog: pressing twice forwards once.
  const [clientId] = useState(() => newClientId());

  const run = async (job: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      onDone(await job());
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Le transfert a échoué.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Transférer le message" onClose={onClose} testId="forward-dialog">
      <p class="forward-preview">{message.body || "(pièces jointes)"}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!target) return;
          void run(async () => {
            await messagesApi.forward(message, target, clientId);
            const title = targets.find((c) => String(c.id) === target)?.display_title ?? "la conversation";
            return `Message transféré dans « ${title} ».`;
          });
        }}
      >
        <div class="field">
          <label for="forward-target">Vers une autre conversation</label>
          <select id="forward-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)} data-testid="forward-target">
            {targets.map((c) => (
              <option key={String(c.id)} value={String(c.id)}>
                {c.display_title}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="btn btn-primary" disabled={busy || !target} data-testid="forward-submit">
          Transférer
        </button>
      </form>
      <form
        class="forward-mssante"
        onSubmit={(e) => {
          e.preventDefault();
          const recipients = addresses
            .split(/[\s,;]+/u)
            .map((a) => a.trim())
            .filter(Boolean);
          if (!recipients.length) return;
          void run(async () => {
            await messagesApi.forwardByMssante(message, recipients);
            return `Message envoyé par MSSanté à ${recipients.join(", ")}.`;
          });
        }}
      >
        <div class="field">
          <label for="forward-mssante">Ou par MSSanté (adresses de l'annuaire)</label>
          <input
            id="forward-mssante"
            type="text"
            inputMode="email"
            autoComplete="off"
            placeholder="prenom.nom@hopital.mssante.fr"
            value={addresses}
            onInput={(e) => setAddresses(e.currentTarget.value)}
            data-testid="forward-mssante-input"
          />
        </div>
        <button type="submit" class="btn btn-secondary" disabled={busy || !addresses.trim()} data-testid="forward-mssante-submit">
          Envoyer par MSSanté
        </button>
      </form>
      {error && (
        <p class="alert alert-error" role="alert" data-testid="forward-error">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" class="btn btn-secondary" onClick={onClose}>
          Fermer
        </button>
      </div>
    </Dialog>
  );
}
