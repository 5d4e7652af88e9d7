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
  sha256: string | null;
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
}


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
