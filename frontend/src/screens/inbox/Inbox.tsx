/**
 * « Messagerie MSSanté »: the mailboxes the user may read (their PER box, their teams' ORG
 * boxes), folders with unread counts, reading a mail with its attachments (PDF preview in the
 * page), the patient identity of an XDM with its status, team states, reply / reply-all /
 * forward, and « Ajouter à une conversation » / « Classer dans le dossier du patient ».
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../api/http";
import { inboxApi, type Folder, type InboxMail, type InboxMailbox, type InboxSummary } from "../../api/inbox";
import type { Id } from "../../api/types";
import { getChat } from "../../state/session";
import { useStore } from "../../state/store";
import "../../styles/inbox.css";
import { XdmIdentity } from "./XdmIdentity";

const FOLDERS: { id: Folder; label: string }[] = [
  { id: "inbox", label: "Réception" },
  { id: "todo", label: "À traiter" },
  { id: "taken", label: "Pris en charge" },
  { id: "done", label: "Traités" },
  { id: "reports", label: "Accusés" },
  { id: "quarantine", label: "Quarantaine" },
];

const STATE_LABEL: Record<string, string> = { todo: "À traiter", taken: "Pris en charge", done: "Traité" };
function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : "Une erreur est survenue.";
}

function when(iso: string): string {
  return new Date(iso).toLocaleString("fr-FR", { dateStyle: "short", timeStyle: "short" });
}

function MailView({ mail, onChanged }: { mail: InboxMail; onChanged: () => void }) {
  const chat = useStore(getChat().store);
  const [mode, setMode] = useState<"reply" | "reply_all" | "forward" | null>(null);
  const [text, setText] = useState("");
  const [to, setTo] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [conversation, setConversation] = useState("");
  const pdf = mail.parts?.find((p) => p.content_type === "application/pdf");

  const run = async (action: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await action();
      setNotice(done);
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <article class="inbox-mail" data-testid="inbox-mail">
      <header class="inbox-mail-head">
        <h2 data-testid="inbox-subject">{mail.subject || "(sans objet)"}</h2>
        <p>
          De <strong>{mail.from_name || mail.from}</strong> &lt;{mail.from}&gt; — {when(mail.received_at)}
        </p>
        {mail.to && <p class="muted">À : {mail.to.join(", ")}</p>}
        <p>
          <span class={`inbox-state inbox-state-${mail.team_state}`} data-testid="inbox-state">
            {STATE_LABEL[mail.team_state]}
            {mail.taken_by ? ` par ${mail.taken_by}` : ""}
          </span>
        </p>
      </header>
      {mail.quarantine_reason && (
        <p class="alert" role="alert" data-testid="inbox-quarantine">
          En quarantaine : {mail.quarantine_reason}
        </p>
      )}
      {mail.warnings?.map((w) => (
        <p key={w.code} class="alert-warning">
          {w.message}
        </p>
      ))}
      {mail.xdm && <XdmIdentity xdm={mail.xdm} mail={mail} />}
      <pre class="inbox-text" data-testid="inbox-text">
        {mail.text}
      </pre>
      {!!mail.parts?.length && (
        <ul class="inbox-parts" aria-label="Pièces jointes">
          {mail.parts.map((p) => (
            <li key={p.index}>
              <a href={inboxApi.partUrl(mail.id, p.index)} target="_blank" rel="noopener" data-testid="inbox-part">
                {p.filename}
              </a>{" "}
              <span class="muted">({Math.max(1, Math.round(p.size / 1024))} Ko)</span>
            </li>
          ))}
        </ul>
      )}
      {pdf && (
        <iframe
          class="inbox-pdf"
          title={`Aperçu de ${pdf.filename}`}
          src={inboxApi.partUrl(mail.id, pdf.index)}
          data-testid="inbox-pdf"
        />
      )}
      {mail.status === "ok" && mail.kind === "mail" && (
        <div class="inbox-actions">
          {mail.team_state !== "taken" && mail.team_state !== "done" && (
            <button class="btn btn-secondary" data-testid="inbox-take" onClick={() => run(() => inboxApi.state(mail.id, "take"), "Courrier pris en charge.")}>
              Prendre en charge
            </button>
          )}
          {mail.team_state !== "done" && (
            <button class="btn btn-secondary" data-testid="inbox-done" onClick={() => run(() => inboxApi.state(mail.id, "done"), "Courrier marqué traité.")}>
              Marquer traité
            </button>
          )}
          <button class="btn btn-primary" data-testid="inbox-reply" onClick={() => setMode("reply")}>
            Répondre
          </button>
          <button class="btn btn-secondary" onClick={() => setMode("reply_all")}>
            Répondre à tous
          </button>
          <button class="btn btn-secondary" onClick={() => setMode("forward")}>
            Transférer
          </button>
        </div>
      )}
      {mode && (
        <form
          class="inbox-compose"
          data-testid="inbox-compose"
          onSubmit={(e) => {
            e.preventDefault();
            const recipients = to.split(/[\s,;]+/).filter(Boolean);
            void run(async () => {
              await inboxApi.reply(mail.id, { mode, text, ...(mode === "forward" ? { to: recipients } : {}) });
              setMode(null);
              setText("");
            }, "Réponse envoyée.");
          }}
        >
          {mode === "forward" && (
            <label>
              Destinataires (adresses MSSanté)
              <input value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} required />
            </label>
          )}
          <label>
            Message
            <textarea data-testid="inbox-reply-text" rows={5} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} required />
          </label>
          <button class="btn btn-primary" type="submit" data-testid="inbox-send">
            Envoyer
          </button>{" "}
          <button class="btn btn-secondary" type="button" onClick={() => setMode(null)}>
            Annuler
          </button>
        </form>
      )}
      {mail.status === "ok" && mail.kind === "mail" && (
        <div class="inbox-file">
          <label>
            Ajouter à une conversation
            <select data-testid="inbox-conversation" value={conversation} onChange={(e) => setConversation((e.target as HTMLSelectElement).value)}>
              <option value="">Choisir…</option>
              {chat.conversations.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.display_title}
                </option>
              ))}
            </select>
          </label>{" "}
          <button
            class="btn btn-secondary"
            data-testid="inbox-file"
            disabled={!conversation}
            onClick={() => run(() => inboxApi.file(mail.id, { conversation }), "Courrier ajouté à la conversation.")}
          >
            Ajouter
          </button>
          {mail.patient && (
            <button class="btn btn-secondary" data-testid="inbox-file-patient" onClick={() => run(() => inboxApi.file(mail.id, { patient: mail.patient! }), "Courrier classé dans le dossier du patient.")}>
              Classer dans le dossier du patient
            </button>
          )}
        </div>
      )}
      {notice && (
        <p role="status" class="notice" data-testid="inbox-notice">
          {notice}
        </p>
      )}
      {error && (
        <p role="alert" class="alert" data-testid="inbox-error">
          {error}
        </p>
      )}
      <details class="inbox-history">
        <summary>Historique</summary>
        <ol>
          {mail.history.map((h, i) => (
            <li key={i}>
              {when(h.at)} — {h.label}
              {h.actor ? ` (${h.actor})` : ""}
            </li>
          ))}
        </ol>
      </details>
    </article>
  );
}

export function InboxScreen() {
  const [boxes, setBoxes] = useState<InboxMailbox[] | null>(null);
  const [box, setBox] = useState<Id | null>(null);
  const [folder, setFolder] = useState<Folder>("inbox");
  const [mails, setMails] = useState<InboxSummary[]>([]);
  const [open, setOpen] = useState<InboxMail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    inboxApi
      .mailboxes()
      .then((r) => {
        setBoxes(r.mailboxes);
        setBox((b) => b ?? r.mailboxes[0]?.id ?? null);
      })
      .catch((e) => setError(errorText(e)));
  }, [tick]);

  useEffect(() => {
    if (!box) return;
    inboxApi
      .list(box, folder)
      .then((r) => setMails(r.messages))
      .catch((e) => setError(errorText(e)));
  }, [box, folder, tick]);

  const openMail = (id: Id) =>
    inboxApi
      .read(id)
      .then((m) => {
        setOpen(m);
        setTick((t) => t + 1);
      })
      .catch((e) => setError(errorText(e)));

  if (boxes === null) return <div class="page">Chargement…</div>;
  if (!boxes.length)
    return (
      <div class="page" data-testid="inbox-empty">
        <h1>Messagerie MSSanté</h1>
        <p>Aucune boîte aux lettres MSSanté ne vous est attribuée.</p>
      </div>
    );
  return (
    <div class={`inbox ${open ? "inbox-reading" : ""}`} data-testid="inbox">
      <nav class="inbox-boxes" aria-label="Boîtes aux lettres">
        <h1>Messagerie MSSanté</h1>
        {boxes.map((b) => (
          <div key={b.id} class="inbox-box">
            <button class={`inbox-box-name ${b.id === box ? "active" : ""}`} onClick={() => { setBox(b.id); setOpen(null); }} data-testid="inbox-box">
              {b.display_name || b.address} {b.unread > 0 && <span class="nav-badge" aria-label={`${b.unread} non lu(s)`}>{b.unread}</span>}
            </button>
            {b.state === "error" || b.state === "waiting" ? <p class="alert-warning">{b.state_detail || "Connexion à l'opérateur impossible."}</p> : null}
            {b.id === box && (
              <ul class="inbox-folders">
                {FOLDERS.map((f) => (
                  <li key={f.id}>
                    <button class={f.id === folder ? "active" : ""} onClick={() => { setFolder(f.id); setOpen(null); }} data-testid={`inbox-folder-${f.id}`}>
                      {f.label}
                      {f.id === "todo" && b.todo > 0 ? ` (${b.todo})` : ""}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))}
      </nav>
      <section class="inbox-list" aria-label="Courriers">
        {error && <p role="alert" class="alert">{error}</p>}
        {!mails.length && <p class="muted" data-testid="inbox-list-empty">Aucun courrier dans ce dossier.</p>}
        <ul>
          {mails.map((m) => (
            <li key={m.id}>
              <button class={`inbox-row ${m.unread ? "unread" : ""}`} onClick={() => void openMail(m.id)} data-testid="inbox-row">
                <span class="inbox-row-from">{m.from_name || m.from}</span>
                <span class="inbox-row-subject">{m.subject}</span>
                <span class="inbox-row-meta">
                  {when(m.received_at)} · {STATE_LABEL[m.team_state]}
                  {m.has_attachments ? " · pièce jointe" : ""}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      {open && (
        <section class="inbox-reader">
          <button class="btn btn-secondary inbox-back" onClick={() => setOpen(null)}>
            Retour à la liste
          </button>
          <MailView mail={open} onChanged={() => void openMail(open.id)} />
        </section>
      )}
    </div>
  );
}
