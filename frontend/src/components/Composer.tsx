import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/http";
import type { Attachment } from "../api/types";
import { uploadAttachment, type UploadHandle } from "../api/upload";
import { isSendShortcut, sendShortcutHint } from "../lib/keys";
import { formatSize } from "../lib/people";

interface Upload {
  localId: number;
  name: string;
  size: number;
  progress: number;
  attachment?: Attachment;
  error?: string;
  handle?: UploadHandle;
}

// Drafts are kept in memory only (never written to storage: they are health text).
const drafts = new Map<string, string>();
let uploadSeq = 0;

export interface ComposerApi {
  addFiles: (files: File[]) => void;
}

/** The message being answered, shown above the input until sent or cancelled. */
export interface ReplyTarget {
  id: string;
  seq: number;
  author: string;
  excerpt: string;
}

export function Composer({
  conversationKey,
  onSend,
  onTyping,
  register,
  replyTo = null,
  onCancelReply,
}: {
  conversationKey: string;
  onSend: (body: string, attachments: Attachment[], options: { urgent: boolean }) => void;
  onTyping: () => void;
  /** Lets the conversation view hand over dropped files. */
  register?: (api: ComposerApi) => void;
  replyTo?: ReplyTarget | null;
  onCancelReply?: () => void;
}) {
  const [text, setText] = useState(() => drafts.get(conversationKey) ?? "");
  const [urgent, setUrgent] = useState(false);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const areaRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setText(drafts.get(conversationKey) ?? "");
    setUploads([]);
    setUrgent(false);
  }, [conversationKey]);

  useEffect(() => {
    if (replyTo) areaRef.current?.focus();
  }, [replyTo?.id]);

  useEffect(() => {
    // auto-grow up to the CSS max-height
    const el = areaRef.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const patch = (localId: number, p: Partial<Upload>) => setUploads((list) => list.map((u) => (u.localId === localId ? { ...u, ...p } : u)));

  function addFiles(files: File[]) {
    for (const file of files) {
      const localId = ++uploadSeq;
      const handle = uploadAttachment(file, (f) => patch(localId, { progress: f }));
      setUploads((list) => [...list, { localId, name: file.name || "image.png", size: file.size, progress: 0, handle }]);
      handle.promise.then(
        (attachment) => patch(localId, { attachment, progress: 1, handle: undefined }),
        (err: unknown) => patch(localId, { error: err instanceof ApiError ? err.message : "Échec de l'envoi du fichier.", handle: undefined }),
      );
    }
  }

  useEffect(() => {
    register?.({ addFiles });
  });

  const ready = uploads.filter((u) => u.attachment).map((u) => u.attachment as Attachment);
  const uploading = uploads.some((u) => !u.attachment && !u.error);
  const canSend = !uploading && (text.trim().length > 0 || ready.length > 0);

  function send() {
    if (!canSend) return;
    onSend(text, ready, { urgent });
    setUrgent(false);
    setText("");
    drafts.delete(conversationKey);
    setUploads([]);
    areaRef.current?.focus();
  }

  const hintId = `composer-hint-${conversationKey}`;
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      data-testid="composer"
    >
      {replyTo && (
        <div class="composer-reply" data-testid="composer-reply">
          <div class="composer-reply-text">
            <span class="msg-quote-author">Réponse à {replyTo.author}</span>
            <span class="msg-quote-text">{replyTo.excerpt || "Message supprimé"}</span>
          </div>
          <button type="button" class="btn btn-icon" aria-label="Annuler la réponse" onClick={onCancelReply} data-testid="composer-reply-cancel">
            ×
          </button>
        </div>
      )}
      {!!uploads.length && (
        <ul class="uploads" aria-label="Pièces jointes à envoyer" data-testid="upload-list">
          {uploads.map((u) => (
            <li key={u.localId} class={`upload${u.error ? " upload-error" : ""}`} data-testid="upload-item">
              <span class="upload-name">{u.name}</span>
              <span class="upload-size">{formatSize(u.size)}</span>
              {u.error ? (
                <span class="upload-msg" role="alert">
                  {u.error}
                </span>
              ) : (
                <progress max={1} value={u.progress} aria-label={`Envoi de ${u.name}`} data-testid="upload-progress" />
              )}
              <button
                type="button"
                class="btn btn-icon"
                aria-label={`Retirer ${u.name}`}
                onClick={() => {
                  u.handle?.abort();
                  setUploads((list) => list.filter((x) => x.localId !== u.localId));
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-row">
        <label class="btn btn-icon composer-attach" title="Joindre un fichier">
          {/* An inline icon: emoji glyphs are missing from many workstation fonts. */}
          <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" />
          </svg>
          <span class="visually-hidden">Joindre un fichier</span>
          <input
            ref={fileRef}
            type="file"
            multiple
            class="visually-hidden"
            onChange={(e) => {
              const files = Array.from(e.currentTarget.files ?? []);
              e.currentTarget.value = "";
              addFiles(files);
            }}
            data-testid="attachment-input"
          />
        </label>
        <label class="visually-hidden" for={`composer-${conversationKey}`}>
          Votre message
        </label>
        <textarea
          id={`composer-${conversationKey}`}
          ref={areaRef}
          class="composer-input"
          rows={1}
          placeholder="Écrire un message…"
          value={text}
          aria-describedby={hintId}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setText(v);
            drafts.set(conversationKey, v);
            if (v.trim()) onTyping();
          }}
          onKeyDown={(e) => {
            if (isSendShortcut(e)) {
              e.preventDefault();
              send();
            }
          }}
          onPaste={(e) => {
            const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith("image/"));
            if (files.length) {
              e.preventDefault();
              addFiles(files);
            }
          }}
          data-testid="composer-input"
        />
        <button type="submit" class="btn btn-primary composer-send" disabled={!canSend} data-testid="send-button">
          Envoyer
        </button>
      </div>
      <div class="composer-foot">
        <label class="composer-urgent" title="Les destinataires devront confirmer « Pris en compte »">
          <input type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.currentTarget.checked)} data-testid="composer-urgent" />
          Urgent (prise en compte demandée)
        </label>
        <p class="composer-hint" id={hintId}>
          {sendShortcutHint()} · Entrée pour aller à la ligne
        </p>
      </div>
    </form>
  );
}
