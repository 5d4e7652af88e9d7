/** « Journal d'accès » endpoints (organisation admins and the DPO). */
import { http, type HttpClient } from "./http";
import type { Id } from "./types";

export interface JournalPatient {
  id: Id;
  display_name: string;
  birth_date: string;
  sex: string;
  ins: string | null;
}

export interface JournalEvent {
  id: number;
  at: string;
  actor: Id | null;
  actor_name: string | null;
  verb: string;
  label: string;
  object_type: string;
  object_id: string;
  patient_id: string | null;
  ip: string | null;
  data?: Record<string, unknown>;
}

export interface MessageVersion {
  change: "edited" | "deleted";
  body: string;
  written_at: string;
  replaced_at: string;
}

export interface JournalFilters {
  patient?: string;
  user?: string;
  from?: string;
  to?: string;
  action?: string;
}

export function journalQuery(filters: JournalFilters): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  return q.toString();
}

export function createAuditApi(client: HttpClient = http) {
  return {
    patients: (query: { q?: string; ins?: string; birth_date?: string }) =>
      client.get<{ patients: JournalPatient[] }>(`/api/audit/journal/patients?${journalQuery(query as JournalFilters)}`),
    versions: (messageId: string) =>
      client.get<{ versions: MessageVersion[] }>(`/api/audit/messages/${encodeURIComponent(messageId)}/versions`),
    events: (filters: JournalFilters) =>
      client.get<{ events: JournalEvent[]; count: number; actions: { verb: string; label: string }[] }>(
        `/api/audit/journal/events?${journalQuery(filters)}`,
      ),
  };
}

export const auditApi = createAuditApi();
