/** A file field that uploads each picked file to /api/attachments and lists them (removable). */
import { useState } from "preact/hooks";
import { ApiError } from "../api/http";
import type { Attachment } from "../api/types";
import { uploadAttachment } from "../api/upload";

function errorMessage(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.message : fallback;
}

export function Uploader({
  label,
  testId,
  multiple,
  files,
  onChange,
}: {
  label: string;
  testId: string;
  multiple: boolean;
  files: Attachment[];
  onChange: (files: Attachment[]) => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = `${testId}-input`;
  async function pick(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const list = Array.from(input.files ?? []);
    input.value = "";
    let current = files;
    for (const f of list) {
      setBusy(f.name);
      setError(null);
      try {
        const att = await uploadAttachment(f, () => undefined).promise;
        current = multiple ? [...current, att] : [att];
        onChange(current);
      } catch (err) {
        setError(errorMessage(err, "Envoi du fichier impossible."));
      }
    }
    setBusy(null);
  }
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="file" multiple={multiple} onChange={pick} data-testid={testId} />
      {busy && <p class="help" role="status">Envoi de {busy}…</p>}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      {!!files.length && (
        <ul class="file-list">
          {files.map((f) => (
            <li key={String(f.id)}>
              <span>{f.name || "Document"}</span>
              <button type="button" class="btn btn-link btn-small" onClick={() => onChange(files.filter((x) => x.id !== f.id))} aria-label={`Retirer ${f.name || "le document"}`}>
                Retirer
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
