/** Conversation syntheses (PDF exports): request, follow, send over MSSanté; address checks. */
import { http, type HttpClient } from "./http";
import type { MssMessage } from "./mssante";
import type { Id } from "./types";

export type ExportStatus = "queued" | "running" | "done" | "failed";

export interface Export {
  id: Id;
  conversation: Id;
  status: ExportStatus;
  progress: number;
  from_seq: number | null;
  to_seq: number | null;
  document_id: string;
  download: string | null;
  /** Of the PDF file itself (download integrity, not shown). */
  sha256: string | null;
  /** The one fingerprint shown: of the messages, printed in the PDF's footer. */
  content_sha256?: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface AddressCheck {
  accepted: boolean;
  kind: string | null;
  code: string | null;
  reason: string | null;
  address: string;
}

export interface ExportSendPayload {
  recipients: string[];
  to_patient_record: boolean;
  from: string | null;
  /** The DMP visibility of the copy sent to the patient's record; absent: the server's default
   * for this patient (a minor's record hides it from the legal representatives). */
  visibility?: DmpVisibility;
}

export type DmpVisibility = "normal" | "invisible_patient" | "masked_professionals" | "invisible_representatives";

/** The author's choices for a document sent to the patient's record (DMP), in French. */
export const DMP_VISIBILITIES: { value: DmpVisibility; label: string }[] = [
  { value: "normal", label: "Visible par le patient et les professionnels autorisés" },
  { value: "invisible_patient", label: "Non visible par le patient (en attente d'une consultation d'annonce)" },
  { value: "masked_professionals", label: "Masqué aux autres professionnels de santé" },
  { value: "invisible_representatives", label: "Non visible par les représentants légaux du patient" },
];


const enc = (id: Id) => encodeURIComponent(String(id));

export function createExportsApi(client: HttpClient = http) {
  return {
    requestSynthesis: (conversation: Id, range: { from_seq?: number; to_seq?: number } = {}) =>
      client.post<{ export: Export }>(`/api/conversations/${enc(conversation)}/synthesis`, range),
    get: (id: Id, signal?: AbortSignal) => client.get<Export>(`/api/exports/${enc(id)}`, { signal }),
    send: (id: Id, data: ExportSendPayload) => client.post<{ messages: { id: Id; status: string }[] }>(`/api/exports/${enc(id)}/send`, data),
    checkAddress: (address: string) => client.post<AddressCheck>("/api/mssante/check-address", { address }),
    message: (id: Id) => client.get<MssMessage>(`/api/mssante/messages/${enc(id)}`),
  };
}

export const exportsApi = createExportsApi();
export type ExportsApi = ReturnType<typeof createExportsApi>;

/** Download link of a finished export (the server sends it as an attachment). */
export function exportDownloadUrl(e: Pick<Export, "id" | "download">): string {
  return e.download ?? `/api/exports/${enc(e.id)}/download`;
}
