import { useEffect, useState } from "preact/hooks";
import { type ExportsApi } from "../../api/exports";
import type { MssMessage } from "../../api/mssante";
import { ApiError } from "../../api/http";
import type { Id, Me } from "../../api/types";
import { recipientStatusLabel } from "../../lib/format";
import { linkClick } from "../../lib/router";

/** After sending: each MSSanté message and its recipients' delivery, followed until final. */
export function SentConfirmation({ messages, api, me, onClose }: { messages: { id: Id; status: string }[]; api: ExportsApi; me: Me; onClose: () => void }) {
  const [details, setDetails] = useState<Record<string, MssMessage | string>>({});
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let alive = true;
    for (const m of messages) {
      api
        .message(m.id)
        .then((d) => alive && setDetails((cur) => ({ ...cur, [String(m.id)]: d })))
        .catch((err: unknown) => alive && setDetails((cur) => ({ ...cur, [String(m.id)]: err instanceof ApiError ? err.message : "Statut indisponible." })));
    }
    return () => {
      alive = false;
    };
  }, [messages, api, tick]);

  return (
    <div class="synth-sent" data-testid="synthesis-sent">
      <div class="alert alert-success" role="status">
        {messages.length > 1 ? `${messages.length} messages MSSanté mis en file d'envoi.` : "Message MSSanté mis en file d'envoi."}
      </div>
      <ul class="plain-list">
        {messages.map((m) => {
          const d = details[String(m.id)];
          return (
            <li key={String(m.id)} data-testid="synthesis-sent-message">
              {typeof d === "object" && d.recipients?.length ? (
                <ul class="plain-list">
                  {d.recipients.map((r) => (
                    <li key={r.address}>
                      {r.address} :{" "}
                      <span class={`status-badge rcpt-${r.status}`} data-testid="synthesis-sent-status" data-status={r.status}>
                        {recipientStatusLabel(r.status, r.reason)}
                      </span>
                    </li>
                  ))}
                </ul>
              ) : (
                <span>
                  Message {String(m.id).slice(0, 8)} :{" "}
                  <span class="status-badge" data-testid="synthesis-sent-status" data-status={typeof d === "object" ? d.status : m.status}>
                    {typeof d === "string" ? d : recipientStatusLabel((typeof d === "object" ? d.status : m.status) ?? "")}
                  </span>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <div class="dialog-actions">
        <button type="button" class="btn btn-link" onClick={() => setTick((n) => n + 1)} data-testid="synthesis-sent-refresh">
          Actualiser les statuts
        </button>
        {me.mailboxes.length > 0 && (
          <a
            class="btn btn-secondary"
            href="/patient/ecrire#outbox-h"
            onClick={(e) => {
              onClose();
              linkClick(e, "/patient/ecrire");
            }}
            data-testid="synthesis-outbox-link"
          >
            Messages envoyés
          </a>
        )}
        <button type="button" class="btn btn-primary" onClick={onClose}>
          Terminer
        </button>
      </div>
    </div>
  );
}
