import { useState } from "preact/hooks";
import { api } from "../../api/endpoints";
import { ApiError } from "../../api/http";
import type { Conversation, Id } from "../../api/types";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { type Recipient, RecipientPicker } from "../../components/RecipientPicker";
import { otherUsers, personName, sameId } from "../../lib/people";
import { navigate } from "../../lib/router";
import type { ChatController } from "../../state/chat";

type Prefs = { muted?: boolean; pinned?: boolean; archived?: boolean };

/**
 * A conversation's details: the user's own settings (pin, mute, archive), and for a group its
 * name, participants (people and team mailboxes), adding, removing (the group's admin) and
 * leaving. A one-to-one takes nobody in: choosing people there creates a group.
 */
export function ConversationDetails({ chat, conversation: conv, meId, onClose }: { chat: ChatController; conversation: Conversation; meId: Id; onClose: () => void }) {
  const group = conv.kind === "group";
  const admin = !!conv.group_admin && sameId(conv.group_admin, meId);
  const [title, setTitle] = useState(conv.title);
  const [adding, setAdding] = useState<Recipient[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [leaving, setLeaving] = useState(false);

  async function run(label: string, job: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await job();
      setStatus(label);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Action impossible.");
    } finally {
      setBusy(false);
    }
  }

  const prefs = (p: Prefs, label: string) => run(label, () => chat.updateConversation(api.setPreferences(conv.id, p)));

  async function add(e: Event) {
    e.preventDefault();
    if (!adding.length) return;
    if (group) {
      await run("Participants ajoutés.", () => chat.updateConversation(api.addParticipants(conv.id, adding.map((r) => r.value))));
      setAdding([]);
      return;
    }
    // A one-to-one stays as it is: a new group with the colleague and the people chosen.
    await run("Groupe créé.", async () => {
      const created = await chat.createConversation({ participants: [...otherUsers(conv, meId).map((p) => p.id), ...adding.map((r) => r.value)] });
      onClose();
      navigate(`/conversations/${encodeURIComponent(String(created.id))}`);
    });
  }

  async function leave() {
    setLeaving(false);
    await run("", async () => {
      await api.removeParticipant(conv.id, meId);
      chat.forgetConversation(conv.id);
      onClose();
      navigate("/");
    });
  }

  const present = conv.participants.map((p) => (p.kind === "user" ? p.user.id : p.mailbox.address));

  return (
    <Dialog title="Détails de la conversation" onClose={onClose} testId="conversation-details" wide>
      {error && (
        <div class="alert alert-error" role="alert" data-testid="details-error">
          {error}
        </div>
      )}
      <p class="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>

      <section class="details-section" aria-labelledby="prefs-h">
        <h3 id="prefs-h">Pour moi</h3>
        <div class="form-actions details-prefs">
          <button type="button" class="btn btn-secondary" aria-pressed={conv.pinned} disabled={busy} onClick={() => void prefs({ pinned: !conv.pinned }, conv.pinned ? "Désépinglée." : "Épinglée.")} data-testid="pref-pin">
            {conv.pinned ? "Désépingler" : "Épingler en haut"}
          </button>
          <button type="button" class="btn btn-secondary" aria-pressed={conv.muted} disabled={busy} onClick={() => void prefs({ muted: !conv.muted }, conv.muted ? "Notifications réactivées." : "En sourdine.")} data-testid="pref-mute">
            {conv.muted ? "Réactiver les notifications" : "Mettre en sourdine"}
          </button>
          <button type="button" class="btn btn-secondary" aria-pressed={conv.archived} disabled={busy} onClick={() => void prefs({ archived: !conv.archived }, conv.archived ? "Désarchivée." : "Archivée.")} data-testid="pref-archive">
            {conv.archived ? "Désarchiver" : "Archiver"}
          </button>
        </div>
      </section>

      {group && (
        <form
          class="details-section"
          onSubmit={(e) => {
            e.preventDefault();
            void run("Groupe renommé.", () => chat.updateConversation(api.renameConversation(conv.id, title)));
          }}
        >
          <label for="group-title">Nom du groupe</label>
          <div class="inline-form">
            <input id="group-title" value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="Sans nom : les noms des participants" data-testid="group-title-input" />
            <button type="submit" class="btn btn-primary" disabled={busy || title.trim() === conv.title} data-testid="group-rename">
              Renommer
            </button>
          </div>
        </form>
      )}

      <section class="details-section" aria-labelledby="members-h">
        <h3 id="members-h">Participants ({conv.participants.length})</h3>
        <ul class="member-list" data-testid="member-list">
          {conv.participants.map((p) => {
            const id = p.kind === "user" ? p.user.id : p.mailbox.address;
            const name = p.kind === "user" ? personName(p.user) : `${p.mailbox.display_name} (boîte d'équipe)`;
            const me = p.kind === "user" && sameId(p.user.id, meId);
            return (
              <li key={String(id)} class="member" data-testid="member">
                <span class="member-name">
                  {me ? "Vous" : name}
                  {p.kind === "user" && sameId(p.user.id, conv.group_admin) && <span class="muted"> · administrateur</span>}
                </span>
                {group && admin && !me && (
                  <button type="button" class="btn btn-link" disabled={busy} onClick={() => void run(`${name} retiré.`, () => api.removeParticipant(conv.id, id))} aria-label={`Retirer ${name}`} data-testid="member-remove">
                    Retirer
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      </section>

      <form class="details-section" onSubmit={(e) => void add(e)}>
        <RecipientPicker meId={meId} selected={adding} onChange={setAdding} exclude={present} label={group ? "Ajouter des personnes ou une équipe" : "Créer un groupe avec…"} autofocus={false} />
        {!group && <p class="help">Une conversation à deux ne reçoit personne de plus : un nouveau groupe réunira votre interlocuteur et les personnes choisies.</p>}
        <button type="submit" class="btn btn-primary" disabled={busy || !adding.length} data-testid="members-add">
          {group ? "Ajouter" : "Créer le groupe"}
        </button>
      </form>

      {group && (
        <div class="details-section">
          <button type="button" class="btn btn-danger" disabled={busy} onClick={() => setLeaving(true)} data-testid="group-leave">
            Quitter le groupe
          </button>
        </div>
      )}
      {leaving && (
        <ConfirmDialog
          title="Quitter le groupe"
          message="Vous ne verrez plus cette conversation ni son historique, sauf si quelqu'un vous ajoute de nouveau."
          confirmLabel="Quitter"
          onCancel={() => setLeaving(false)}
          onConfirm={() => void leave()}
        />
      )}
    </Dialog>
  );
}
