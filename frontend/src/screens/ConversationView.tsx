import { Fragment } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Conversation, Id, Message } from "../api/types";
import { Avatar, PresenceDot } from "../components/Avatar";
import { PatientChip } from "../components/PatientChip";
import { Composer, type ComposerApi, type ReplyTarget } from "../components/Composer";
import { ConfirmDialog } from "../components/Dialog";
import { fromMessage, MessageItem, type MessageView } from "../components/MessageItem";
import { separatorBefore } from "../lib/dates";
import { otherUsers, personName, sameId } from "../lib/people";
import type { ChatController } from "../state/chat";
import { computeSeenBy, isSeen, seenByLabel } from "../state/receipts";
import { CallButton } from "./calls/CallButton";
import { ConversationDetails } from "./conversation/ConversationDetails";
import { PatientDialog } from "./conversation/PatientDialog";
import { SynthesisButton } from "./synthesis/SynthesisDialog";
import { useStore } from "../state/store";
import { ConversationSearchButton, ConversationSearchPanel } from "./search/ConversationSearch";
import { useJumpToMessage, type JumpTarget } from "./search/jump";
import "../styles/groups.css";
import { ForwardDialog } from "./ForwardDialog";

export function typingLabel(names: string[]): string | null {
  if (!names.length) return null;
  if (names.length === 1) return `${names[0]} écrit…`;
  if (names.length === 2) return `${names[0]} et ${names[1]} écrivent…`;
  return `${names.length} personnes écrivent…`;
}

function subtitle(c: Conversation, meId: Id): string {
  const others = otherUsers(c, meId);
  if (c.kind === "direct" && others.length === 1) {
    const p = others[0];
    return [p.profession_label, p.organization].filter(Boolean).join(" · ");
  }
  const names = c.participants.map((p) => (p.kind === "user" ? (sameId(p.user.id, meId) ? "vous" : personName(p.user)) : p.mailbox.display_name));
  return `${names.length} participants : ${names.join(", ")}`;
}

const NEAR_BOTTOM_PX = 120;

export function ConversationView({
  chat,
  meId,
  conversationId,
  onBack,
  jump = null,
  onJump = () => undefined,
}: {
  chat: ChatController;
  meId: Id;
  conversationId: string;
  onBack: () => void;
  jump?: JumpTarget | null;
  onJump?: (target: JumpTarget | null) => void;
}) {
  const conv = useStore(chat.store, (s) => s.conversations.find((c) => sameId(c.id, conversationId)));
  const listStatus = useStore(chat.store, (s) => s.listStatus);
  const page = useStore(chat.store, (s) => s.messages[conversationId]);
  const outboxAll = useStore(chat.store, (s) => s.outbox);
  const typing = useStore(chat.store, (s) => s.typing[conversationId]);
  const presence = useStore(chat.store, (s) => s.presence);
  const connection = useStore(chat.store, (s) => s.connection);
  const [toDelete, setToDelete] = useState<Message | null>(null);
  const [dragging, setDragging] = useState(false);
  const [panel, setPanel] = useState<"patient" | "details" | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const composerApi = useRef<ComposerApi | null>(null);
  const stickToBottom = useRef(true);
  const prevFirstSeq = useRef<number | null>(null);
  const prevScrollHeight = useRef(0);
  const [searching, setSearching] = useState(false);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [forwarding, setForwarding] = useState<Message | null>(null);
  // A quote pressed in this conversation: shows its original (like a search result).
  const [quoteJump, setQuoteJump] = useState<JumpTarget | null>(null);
  const conversations = useStore(chat.store, (s) => s.conversations);

  // the conversation on screen: loads it, marks it read while visible and focused
  useEffect(() => {
    chat.setActive(conversationId);
    stickToBottom.current = true;
    prevFirstSeq.current = null;
    const mark = () => chat.markRead(conversationId);
    window.addEventListener("focus", mark);
    document.addEventListener("visibilitychange", mark);
    return () => {
      window.removeEventListener("focus", mark);
      document.removeEventListener("visibilitychange", mark);
      chat.setActive(null);
    };
  }, [chat, conversationId]);

  const items = page?.items ?? [];
  useJumpToMessage({
    chat,
    conversationId,
    firstSeq: items[0]?.seq ?? null,
    ready: page?.status === "ready",
    hasMore: !!page?.hasMore,
    loadingOlder: !!page?.loadingOlder,
    scrollRef,
    stickToBottom,
    target: jump ?? quoteJump,
    onDone: () => {
      setQuoteJump(null);
      if (jump) onJump(null);
    },
  });
  useEffect(() => setReplyTo(null), [conversationId]);
  const outbox = useMemo(() => outboxAll.filter((o) => String(o.conversation) === conversationId), [outboxAll, conversationId]);
  const readState = conv?.read_state ?? [];
  const seenBy = useMemo(() => computeSeenBy(items, readState, meId), [items, readState, meId]);

  // scroll: keep the bottom in view for new messages, keep the position when older ones are prepended
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const first = items[0]?.seq ?? null;
    if (prevFirstSeq.current !== null && first !== null && first < prevFirstSeq.current) {
      el.scrollTop = el.scrollHeight - prevScrollHeight.current + el.scrollTop;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    prevFirstSeq.current = first;
    prevScrollHeight.current = el.scrollHeight;
  }, [items, outbox.length, typing]);

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    prevScrollHeight.current = el.scrollHeight;
    if (el.scrollTop < 150 && page?.hasMore && !page.loadingOlder) void chat.loadOlder(conversationId);
  }

  if (!conv) {
    return (
      <section class="conv-view conv-missing">
        <button type="button" class="btn btn-secondary back-button" onClick={onBack} data-testid="back-button">
          ← Conversations
        </button>
        <p>{listStatus === "ready" ? "Conversation introuvable ou inaccessible." : "Chargement…"}</p>
      </section>
    );
  }

  const others = otherUsers(conv, meId);
  const single = conv.kind === "direct" && others.length === 1 ? others[0] : null;
  const typingNames = Object.values(typing ?? {}).map((p) => personName(p));
  const typingText = typingLabel(typingNames);
  const canModify = connection === "open";
  const now = new Date();
  // Who must acknowledge an urgent message: every participant but its sender (a team counts once).
  const replyTarget: ReplyTarget | null = replyTo
    ? { id: String(replyTo.id), seq: replyTo.seq, author: personName(replyTo.sender), excerpt: replyTo.deleted ? "" : replyTo.body.slice(0, 200) }
    : null;

  const views: { view: MessageView; message?: Message }[] = items.map((m) => {
    const v = fromMessage(m);
    if (m.sender && sameId(m.sender.id, meId) && m.kind === "user") v.status = isSeen(m, readState, meId) ? "seen" : "sent";
    return { view: v, message: m };
  });
  for (const o of outbox) {
    views.push({
      view: {
        key: `o${o.client_id}`,
        seq: null,
        sender: { id: meId, display_name: "Vous", title: "", profession_label: "", organization: null },
        body: o.body,
        attachments: o.attachments,
        created_at: o.created_at,
        edited: false,
        deleted: false,
        system: false,
        status: o.status === "failed" ? "failed" : connection === "reconnecting" ? "waiting" : "sending",
        error: o.error,
      },
    });
  }

  return (
    <section
      class={`conv-view${dragging ? " dragging" : ""}`}
      aria-label={`Conversation : ${conv.display_title}`}
      data-testid="conversation-view"
      data-conversation-id={conversationId}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        const files = Array.from(e.dataTransfer?.files ?? []);
        setDragging(false);
        if (files.length) {
          e.preventDefault();
          composerApi.current?.addFiles(files);
        }
      }}
    >
      <header class="conv-header">
        <button type="button" class="btn btn-icon back-button" onClick={onBack} aria-label="Retour aux conversations" data-testid="back-button">
          ←
        </button>
        <Avatar name={conv.display_title} group={!single} presence={single ? presence[String(single.id)] : undefined} />
        <div class="conv-header-text">
          <h2 class="conv-header-title" data-testid="conversation-title">
            {conv.display_title}
          </h2>
          <p class="conv-header-sub">
            {single && presence[String(single.id)] && (
              <>
                <PresenceDot status={presence[String(single.id)]} />{" "}
                {presence[String(single.id)] === "online" ? "En ligne" : presence[String(single.id)] === "away" ? "Absent" : "Hors ligne"}
                {" · "}
              </>
            )}
            {subtitle(conv, meId)}
          </p>
        </div>
        {conv.patient ? (
          <span class="patient-tag patient-tag-chip" data-testid="conversation-patient">
            <PatientChip patient={conv.patient} onOpen={() => setPanel("patient")} />
          </span>
        ) : (
          <button type="button" class="btn btn-secondary btn-small patient-attach" onClick={() => setPanel("patient")} data-testid="patient-attach">
            <span aria-hidden="true">+</span> Patient
          </button>
        )}
        <ConversationSearchButton open={searching} onToggle={() => setSearching(!searching)} />
        <CallButton chat={chat} meId={meId} conversationId={conversationId} />
        <SynthesisButton conversation={conv} />
        <button type="button" class="btn btn-icon details-button" onClick={() => setPanel("details")} aria-label="Détails de la conversation" title="Détails de la conversation" data-testid="conversation-details-button">
          <span aria-hidden="true">⋯</span>
        </button>
      </header>
      {panel === "patient" && <PatientDialog chat={chat} conversation={conv} onClose={() => setPanel(null)} />}
      {panel === "details" && <ConversationDetails chat={chat} conversation={conv} meId={meId} onClose={() => setPanel(null)} />}

      {searching && (
        <ConversationSearchPanel
          conversation={conversationId}
          onClose={() => setSearching(false)}
          onPick={(hit) => {
            setSearching(false);
            onJump({ conversation: hit.conversation, seq: hit.seq, nonce: Date.now() });
          }}
        />
      )}
      <div class="messages-scroll" ref={scrollRef} onScroll={onScroll} data-testid="message-list">
        {page?.hasMore && (
          <div class="load-older">
            <button type="button" class="btn btn-link" disabled={page.loadingOlder} onClick={() => void chat.loadOlder(conversationId)} data-testid="load-older">
              {page.loadingOlder ? "Chargement…" : "Afficher les messages précédents"}
            </button>
          </div>
        )}
        {page?.status === "loading" && !items.length && <p class="conv-empty">Chargement des messages…</p>}
        {page?.status === "error" && (
          <div class="alert alert-error" role="alert">
            {page.error}{" "}
            <button type="button" class="btn btn-link" onClick={() => void chat.loadLatest(conversationId)}>
              Réessayer
            </button>
          </div>
        )}
        {page?.status === "ready" && !views.length && <p class="conv-empty">Aucun message. Écrivez le premier !</p>}
        <ol class="messages" aria-live="polite" aria-relevant="additions">
          {views.map(({ view, message }, i) => {
            const sep = separatorBefore(
              views.map((v) => v.view),
              i,
              now,
            );
            const prev = views[i - 1]?.view;
            const showAuthor =
              !!sep ||
              !prev ||
              prev.system ||
              !sameId(prev.sender?.id, view.sender?.id) ||
              Date.parse(view.created_at) - Date.parse(prev.created_at) > 5 * 60_000;
            const seen = view.seq !== null ? seenBy.get(view.seq) : undefined;
            return (
              <Fragment key={view.key}>
                {sep && (
                  <li class="day-separator" data-testid="day-separator">
                    <span>{sep}</span>
                  </li>
                )}
                <MessageItem
                  view={view}
                  meId={meId}
                  showAuthor={showAuthor}
                  canModify={canModify}
                  onEdit={message ? (body) => chat.edit(message, body) : undefined}
                  onDelete={message ? () => setToDelete(message) : undefined}
                  onRetry={view.key.startsWith("o") ? () => chat.retry(view.key.slice(1)) : undefined}
                  onDiscard={view.key.startsWith("o") ? () => chat.discard(view.key.slice(1)) : undefined}
                  onReply={message && message.kind === "user" ? () => setReplyTo(message) : undefined}
                  onForward={message && message.kind === "user" ? () => setForwarding(message) : undefined}
                  onAcknowledge={message ? () => chat.acknowledge(message) : undefined}
                  onOpenQuote={(seq) => setQuoteJump({ conversation: conversationId, seq, nonce: Date.now() })}
                />
                {seen && (
                  <li class="read-receipt" data-testid="read-receipt" data-seq={view.seq ?? undefined}>
                    {seenByLabel(seen)}
                  </li>
                )}
              </Fragment>
            );
          })}
        </ol>
      </div>

      <div class="typing-indicator" aria-live="polite" data-testid="typing-indicator" hidden={!typingText}>
        {typingText}
      </div>

      <Composer
        conversationKey={conversationId}
        onSend={(body, attachments, options) => {
          stickToBottom.current = true;
          chat.send(conv.id, body, attachments, { reply_to: replyTo?.id ?? null, urgent: options.urgent });
          setReplyTo(null);
        }}
        replyTo={replyTarget}
        onCancelReply={() => setReplyTo(null)}
        onTyping={() => chat.typing(conv.id)}
        register={(api) => (composerApi.current = api)}
      />
      {dragging && (
        <div class="drop-overlay" aria-hidden="true">
          Déposez les fichiers pour les joindre
        </div>
      )}
      {forwarding && (
        <ForwardDialog
          message={forwarding}
          conversations={conversations}
          onClose={() => setForwarding(null)}
          onDone={(notice) => {
            setForwarding(null);
            chat.store.update({ notice });
          }}
        />
      )}
      {toDelete && (
        <ConfirmDialog
          title="Supprimer le message"
          message="Ce message sera remplacé par « Message supprimé » pour tous les participants. Continuer ?"
          confirmLabel="Supprimer"
          onCancel={() => setToDelete(null)}
          onConfirm={() => {
            chat.remove(toDelete);
            setToDelete(null);
          }}
        />
      )}
    </section>
  );
}
