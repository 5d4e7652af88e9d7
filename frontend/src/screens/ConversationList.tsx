import { useMemo, useRef, useState } from "preact/hooks";
import type { MessageHit } from "../api/search";
import type { Conversation, Id, Message } from "../api/types";
import { Avatar } from "../components/Avatar";
import { shortStamp } from "../lib/dates";
import { otherUsers, personName, sameId } from "../lib/people";
import { linkClick } from "../lib/router";
import type { ChatController } from "../state/chat";
import { useStore } from "../state/store";
import { useSearchShortcut } from "./search/jump";
import { MessageSearchResults } from "./search/MessageSearchResults";
import "../styles/groups.css";

export function previewText(message: Message | null, meId: Id): string {
  if (!message) return "Aucun message";
  if (message.deleted) return "Message supprimé";
  const mine = message.sender && sameId(message.sender.id, meId);
  const prefix = mine ? "Vous : " : "";
  if (message.kind === "system") return message.body;
  if (!message.body.trim() && message.attachments.length) return `${prefix}Pièce jointe`;
  const firstLine = message.body.split("\n")[0];
  return `${prefix}${message.attachments.length ? "📎 " : ""}${firstLine}`;
}

function matches(c: Conversation, q: string): boolean {
  if (!q) return true;
  const hay = [
    c.display_title,
    c.title ?? "",
    c.patient?.display_name ?? "",
    ...c.participants.map((p) => (p.kind === "user" ? `${personName(p.user)} ${p.user.organization ?? ""}` : p.mailbox.display_name)),
  ]
    .join(" ")
    .toLocaleLowerCase("fr")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "");
  return q
    .toLocaleLowerCase("fr")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/\s+/)
    .every((w) => hay.includes(w));
}

export function ConversationList({
  chat,
  meId,
  activeId,
  onNew,
  onPickMessage = () => undefined,
}: {
  chat: ChatController;
  meId: Id;
  activeId: string | null;
  onNew: () => void;
  onPickMessage?: (hit: MessageHit) => void;
}) {
  const conversations = useStore(chat.store, (s) => s.conversations);
  const listStatus = useStore(chat.store, (s) => s.listStatus);
  const listError = useStore(chat.store, (s) => s.listError);
  const presence = useStore(chat.store, (s) => s.presence);
  const [query, setQuery] = useState("");
  const searchInput = useRef<HTMLInputElement>(null);
  useSearchShortcut(searchInput);
  const [showArchived, setShowArchived] = useState(false);
  const archivedCount = useMemo(() => conversations.filter((c) => c.archived).length, [conversations]);
  const filtered = useMemo(
    // a search looks into the archived ones too
    () => conversations.filter((c) => (query.trim() ? true : !!c.archived === showArchived) && matches(c, query.trim())),
    [conversations, query, showArchived],
  );
  const now = new Date();

  return (
    <section class={`conv-list${query.trim() ? " searching" : ""}`} aria-label="Conversations">
      <div class="conv-list-head">
        <h1 class="conv-list-title">Messages</h1>
        <button type="button" class="btn btn-primary" onClick={onNew} data-testid="new-conversation-button">
          Nouvelle conversation
        </button>
      </div>
      <div class="conv-search">
        <label for="conv-search" class="visually-hidden">
          Rechercher une conversation ou un message (Ctrl+K ou /)
        </label>
        <input
          id="conv-search"
          ref={searchInput}
          type="search"
          placeholder="Rechercher (Ctrl+K)"
          aria-keyshortcuts="Control+K /"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") setQuery("");
          }}
          data-testid="conversation-search"
        />
      </div>

      {(archivedCount > 0 || showArchived) && (
        <div class="conv-list-views" role="group" aria-label="Affichage">
          <button type="button" class="btn btn-small btn-secondary" aria-pressed={!showArchived} onClick={() => setShowArchived(false)} data-testid="view-inbox">
            Conversations
          </button>
          <button type="button" class="btn btn-small btn-secondary" aria-pressed={showArchived} onClick={() => setShowArchived(true)} data-testid="view-archived">
            Archivées ({archivedCount})
          </button>
        </div>
      )}
      {listStatus === "loading" && !conversations.length && <p class="conv-empty">Chargement…</p>}
      {listStatus === "error" && (
        <div class="alert alert-error" role="alert">
          {listError}{" "}
          <button type="button" class="btn btn-link" onClick={() => void chat.loadConversations()}>
            Réessayer
          </button>
        </div>
      )}
      {listStatus === "ready" && !conversations.length && (
        <div class="conv-empty" data-testid="conversation-empty">
          <p>Aucune conversation pour l'instant.</p>
          <p class="muted">Démarrez un échange avec un confrère ou une équipe avec « Nouvelle conversation ».</p>
        </div>
      )}
      {!!conversations.length && !filtered.length && (
        <p class="conv-empty">{query.trim() ? `Aucune conversation ne correspond à « ${query} ».` : showArchived ? "Aucune conversation archivée." : "Toutes vos conversations sont archivées."}</p>
      )}

      <ul class="conv-items" data-testid="conversation-list">
        {filtered.map((c) => {
          const others = otherUsers(c, meId);
          const single = c.kind === "direct" && others.length === 1 ? others[0] : null;
          const href = `/conversations/${encodeURIComponent(String(c.id))}`;
          const active = activeId !== null && sameId(c.id, activeId);
          return (
            <li key={String(c.id)}>
              <a
                href={href}
                class={`conv-item${active ? " active" : ""}${c.unread_count ? " unread" : ""}${c.muted ? " muted-conv" : ""}`}
                data-pinned={c.pinned ? "1" : undefined}
                data-muted={c.muted ? "1" : undefined}
                aria-current={active ? "page" : undefined}
                onClick={(e) => linkClick(e, href)}
                data-testid="conversation-item"
                data-conversation-id={String(c.id)}
                data-unread={c.unread_count}
              >
                <Avatar name={c.display_title} group={!single} presence={single ? presence[String(single.id)] : undefined} />
                <span class="conv-main">
                  <span class="conv-line">
                    <span class="conv-title">{c.display_title}</span>
                    {(c.pinned || c.muted) && (
                      <span class="conv-flags">
                        {c.pinned && (
                          <span role="img" aria-label="Épinglée" title="Épinglée" data-testid="flag-pinned">
                            📌
                          </span>
                        )}
                        {c.muted && (
                          <span role="img" aria-label="En sourdine" title="En sourdine" data-testid="flag-muted">
                            🔕
                          </span>
                        )}
                      </span>
                    )}
                    {c.last_message && <time class="conv-time" dateTime={c.last_message.created_at}>{shortStamp(c.last_message.created_at, now)}</time>}
                  </span>
                  <span class="conv-line">
                    <span class="conv-preview">{previewText(c.last_message, meId)}</span>
                    {c.unread_count > 0 && (
                      <span class="badge" data-testid="unread-badge" aria-label={`${c.unread_count} non lu${c.unread_count > 1 ? "s" : ""}`}>
                        {c.unread_count > 99 ? "99+" : c.unread_count}
                      </span>
                    )}
                  </span>
                  {c.patient && (
                    <span class="patient-tag" data-testid="patient-tag">
                      Patient : {c.patient.display_name}
                    </span>
                  )}
                </span>
              </a>
            </li>
          );
        })}
      </ul>
      {query.trim() && !!conversations.length && (
        <section class="conv-message-search" aria-label="Messages trouvés">
          <h2 class="conv-section-title">Messages</h2>
          <MessageSearchResults q={query} onPick={onPickMessage} />
        </section>
      )}
    </section>
  );
}
