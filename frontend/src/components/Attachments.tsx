import { useState } from "preact/hooks";
import { attachmentUrl } from "../api/endpoints";
import type { Attachment } from "../api/types";
import { formatSize } from "../lib/people";
import { Dialog } from "./Dialog";

export const isImage = (a: Pick<Attachment, "content_type">) => /^image\/(png|jpe?g|gif|webp)$/i.test(a.content_type);
export const isPdf = (a: Pick<Attachment, "content_type">) => a.content_type === "application/pdf";

export function AttachmentList({ attachments }: { attachments: Attachment[] }) {
  const [preview, setPreview] = useState<Attachment | null>(null);
  if (!attachments.length) return null;
  return (
    <ul class="attachments" data-testid="message-attachments">
      {attachments.map((a) => (
        <li key={String(a.id)} class="attachment" data-testid="attachment">
          {isImage(a) && (
            <button type="button" class="attachment-thumb" onClick={() => setPreview(a)} aria-label={`Aperçu de ${a.name}`}>
              <img src={attachmentUrl(a.id, true)} alt="" loading="lazy" />
            </button>
          )}
          <span class="attachment-meta">
            <span class="attachment-name">{a.name}</span>
            <span class="attachment-size">{formatSize(a.size)}</span>
          </span>
          <span class="attachment-actions">
            {(isPdf(a) || isImage(a)) && (
              <button type="button" class="btn btn-link" onClick={() => setPreview(a)} data-testid="attachment-preview">
                Aperçu
              </button>
            )}
            <a class="btn btn-link" href={attachmentUrl(a.id)} download={a.name} data-testid="attachment-download">
              Télécharger
            </a>
          </span>
        </li>
      ))}
      {preview && (
        <Dialog title={preview.name} onClose={() => setPreview(null)} wide testId="attachment-preview-dialog">
          <div class="preview-body">
            {isImage(preview) ? (
              <img src={attachmentUrl(preview.id, true)} alt={preview.name} />
            ) : (
              <iframe src={attachmentUrl(preview.id, true)} title={`Aperçu de ${preview.name}`} />
            )}
          </div>
          <div class="dialog-actions">
            <a class="btn btn-secondary" href={attachmentUrl(preview.id)} download={preview.name}>
              Télécharger
            </a>
          </div>
        </Dialog>
      )}
    </ul>
  );
}
