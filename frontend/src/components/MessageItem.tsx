import { useEffect, useRef, useState } from "preact/hooks";
import type { Acknowledgement, Attachment, Id, Message, Person, ReplyQuote, TeamRole } from "../api/types";
import { timeLabel } from "../lib/dates";
import { isSendShortcut } from "../lib/keys";
import { LinkedText } from "../lib/links";
import { personName, sameId } from "../lib/people";
import { deliveryLabel, type DeliveryStatus } from "../state/receipts";
import { AttachmentList } from "./Attachments";

export interface MessageView {
  key: string;
  seq: number | null;
  sender: Person | null;
  body: string;
  attachments: Attachment[];
  created_at: string;
  edited: boolean;
  deleted: boolean;
  system: boolean;
  status?: DeliveryStatus;
  error?: string;
  team?: TeamRole | null;
  replyTo?: ReplyQuote | null;
  forwarded?: boolean;
  urgent?: boolean;
  acknowledgements?: Acknowledgement[];
  /** Counted by the server: a team mailbox's members are people the client does not list. */
  pendingAcknowledgements?: number;
}

export function fromMessage(m: Message): MessageView {
  return {
    key: `m${m.id}`,
    seq: m.seq,
    sender: m.sender,
    body: m.body,
    attachments: m.attachments,
    created_at: m.created_at,
    edited: !!m.edited_at,
    deleted: m.deleted,
    system: m.kind === "system",
    team: m.team ?? null,
    replyTo: m.reply_to ?? null,
    forwarded: !!m.forwarded,
    urgent: !!m.urgent,
    acknowledgements: m.acknowledgements ?? [],
    pendingAcknowledgements: m.pending_acknowledgements ?? 0,
  };
}

/** The quoted original of a reply; pressing it shows the original in the conversation. */
function Quote({ quote, onOpen }: { quote: ReplyQuote; onOpen?: (seq: number) => void }) {
  return (
    <button type="button" class="msg-quote" onClick={() => onOpen?.(quote.seq)} data-testid="message-quote" title="Voir le message cité">
      <span class="msg-quote-author">{quote.sender_name ?? "Message du système"}</span>
      <span class={`msg-quote-text${quote.deleted ? " msg-body-deleted" : ""}`}>{quote.deleted ? "Message supprimé" : quote.excerpt}</span>
    </button>
  );
}

/** « Urgent »: the recipients' « Pris en compte » button, the sender's list of who did and when. */
function UrgentBar({ view, mine, meId, pending, onAcknowledge }: { view: MessageView; mine: boolean; meId: Id; pending: number; onAcknowledge?: () => void }) {
  const acks = view.acknowledgements ?? [];
  const myAck = acks.find((a) => sameId(a.user.id, meId));
  return (
    <div class="msg-urgent-bar" data-testid="urgent-bar">
      {mine ? (
        <>
          <span data-testid="urgent-acks">
            {acks.length
              ? `Pris en compte par ${acks.map((a) => `${personName(a.user)} (${timeLabel(a.at)})`).join(", ")}`
              : "Pas encore pris en compte"}
          </span>
          {pending > 0 && <span class="muted"> · en attente : {pending}</span>}
        </>
      ) : myAck ? (
        <span data-testid="urgent-acked">Pris en compte à {timeLabel(myAck.at)}</span>
      ) : (
        <button type="button" class="btn btn-primary btn-small" onClick={onAcknowledge} disabled={view.deleted || !onAcknowledge} data-testid="urgent-acknowledge">
          Pris en compte
        </button>
      )}
    </div>
  );
}

export function MessageItem({
  view,
  meId,
  showAuthor,
  canModify,
  onEdit,
  onDelete,
  onRetry,
  onDiscard,
  onReply,
  onForward,
  onAcknowledge,
  onOpenQuote,
}: {
  view: MessageView;
  meId: Id;
  showAuthor: boolean;
  canModify: boolean;
  onEdit?: (body: string) => void;
  onDelete?: () => void;
  onRetry?: () => void;
  onDiscard?: () => void;
  onReply?: () => void;
  onForward?: () => void;
  onAcknowledge?: () => void;
  onOpenQuote?: (seq: number) => void;
}) {
  const mine = !!view.sender && sameId(view.sender.id, meId);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(view.body);
  const editRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (editing) {
      editRef.current?.focus();
      editRef.current?.setSelectionRange(draft.length, draft.length);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editing]);

  if (view.system) {
    return (
      <li class="msg-system" data-testid="message-item" data-seq={view.seq ?? undefined}>
        {view.body} · <time dateTime={view.created_at}>{timeLabel(view.created_at)}</time>
      </li>
    );
  }

  const saveEdit = () => {
    const body = draft.trim();
    if (body && body !== view.body) onEdit?.(body);
    setEditing(false);
  };

  const author = personName(view.sender);
  return (
    <li
      class={`msg${mine ? " msg-mine" : ""}${view.deleted ? " msg-deleted" : ""}${view.urgent ? " msg-urgent" : ""}${view.status ? ` msg-${view.status}` : ""}`}
      data-testid="message-item"
      data-seq={view.seq ?? undefined}
      data-status={view.status}
    >
      {showAuthor && (
        <div class="msg-head">
          <span class="msg-author">{mine ? "Vous" : author}</span>
          {view.sender?.profession_label && !mine && !view.team && <span class="msg-role"> · {view.sender.profession_label}</span>}
          {view.team && (
            <span class="msg-team" data-testid="message-team">
              {" · "}
              {view.team.role ? `${view.team.role}, ` : ""}
              {view.team.name}
            </span>
          )}
        </div>
      )}
      <div class="msg-bubble">
        {(view.urgent || view.forwarded) && (
          <div class="msg-marks">
            {view.urgent && (
              <span class="msg-mark msg-mark-urgent" data-testid="message-urgent">
                Urgent
              </span>
            )}
            {view.forwarded && (
              <span class="msg-mark" data-testid="message-forwarded">
                Transféré
              </span>
            )}
          </div>
        )}
        {view.replyTo && <Quote quote={view.replyTo} onOpen={onOpenQuote} />}
        {view.deleted ? (
          <p class="msg-body msg-body-deleted">Message supprimé</p>
        ) : editing ? (
          <div class="msg-edit">
            <label class="visually-hidden" for={`edit-${view.key}`}>
              Modifier le message
            </label>
            <textarea
              id={`edit-${view.key}`}
              ref={editRef}
              value={draft}
              rows={3}
              onInput={(e) => setDraft(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (isSendShortcut(e)) {
                  e.preventDefault();
                  saveEdit();
                } else if (e.key === "Escape") {
                  e.preventDefault();
                  setEditing(false);
                  setDraft(view.body);
                }
              }}
              data-testid="message-edit-input"
            />
            <div class="msg-edit-actions">
              <button type="button" class="btn btn-secondary btn-small" onClick={() => (setEditing(false), setDraft(view.body))}>
                Annuler
              </button>
              <button type="button" class="btn btn-primary btn-small" onClick={saveEdit} data-testid="message-edit-save">
                Enregistrer
              </button>
            </div>
          </div>
        ) : (
          <>
            {view.body && (
              <p class="msg-body">
                <LinkedText body={view.body} />
              </p>
            )}
            <AttachmentList attachments={view.attachments} />
          </>
        )}
        <div class="msg-foot">
          <time dateTime={view.created_at}>{timeLabel(view.created_at)}</time>
          {view.edited && !view.deleted && <span class="msg-edited"> · modifié</span>}
          {mine && view.status && (
            <span class={`msg-status status-${view.status}`} data-testid="message-status">
              {" "}
              · {deliveryLabel(view.status)}
            </span>
          )}
        </div>
      </div>
      {view.urgent && !view.deleted && view.seq !== null && (
        <UrgentBar
          view={view}
          mine={mine}
          meId={meId}
          pending={view.pendingAcknowledgements ?? 0}
          onAcknowledge={onAcknowledge}
        />
      )}
      {view.status === "failed" && (
        <div class="msg-failed" role="alert">
          {view.error && <span>{view.error} </span>}
          <button type="button" class="btn btn-link" onClick={onRetry} data-testid="message-retry">
            Réessayer
          </button>
          <button type="button" class="btn btn-link" onClick={onDiscard}>
            Abandonner
          </button>
        </div>
      )}
      {!view.deleted && !editing && view.seq !== null && (onReply || onForward || (mine && canModify)) && (
        <div class="msg-actions">
          {onReply && (
            <button type="button" class="btn btn-link btn-small" onClick={onReply} data-testid="message-reply" aria-label={`Répondre au message de ${timeLabel(view.created_at)}`}>
              Répondre
            </button>
          )}
          {onForward && (
            <button type="button" class="btn btn-link btn-small" onClick={onForward} data-testid="message-forward" aria-label={`Transférer le message de ${timeLabel(view.created_at)}`}>
              Transférer
            </button>
          )}
          {mine && canModify && (
            <>
          <button type="button" class="btn btn-link btn-small" onClick={() => (setDraft(view.body), setEditing(true))} data-testid="message-edit" aria-label={`Modifier le message de ${timeLabel(view.created_at)}`}>
            Modifier
          </button>
          <button type="button" class="btn btn-link btn-small btn-link-danger" onClick={onDelete} data-testid="message-delete" aria-label={`Supprimer le message de ${timeLabel(view.created_at)}`}>
            Supprimer
          </button>
            </>
          )}
        </div>
      )}
    </li>
  );
}
