/** Teleexpertise endpoints: requests, experts, patients search, expert profile. */
import { http, type HttpClient } from "./http";
import type { Id, Person } from "./types";

export type TeStatus = "submitted" | "accepted" | "declined" | "answered" | "filed" | "closed";
export type Urgency = "normal" | "urgent";

export interface QuotaEntry {
  used: number;
  limit: number;
  year: number;
  label?: string;
}

export interface TeTeam {
  id: Id;
  address: string;
  display_name: string;
}

export interface Delivery {
  address: string;
  role: string;
  label: string;
  name: string;
  status: "queued" | "sent" | "delivered" | "read" | "failed" | string;
  reason: string | null;
}

export interface ActRefusal {
  code: string;
  reason: string;
  message: string;
}

export interface FilingPreview {
  recipients: { role: string; label: string; name: string; address: string }[];
  visibilities: { value: string; label: string }[];
  /** The patient's default (a minor's differs: see teleexpertise/filing.py). */
  default_visibility?: string;
  patient_is_minor?: boolean;
  acts: { TE2?: QuotaEntry; RQD?: QuotaEntry };
}

export interface RequestFilters {
  status?: string;
  urgency?: string;
  due?: string;
}

export interface Patient {
  id: Id;
  display_name: string;
  birth_date: string;
  identity_status: string;
  ins: string | null;
  sex?: string;
  birth_name?: string;
  first_names?: string[];
}

export interface Expert {
  id: Id;
  /** "team": a specialty team's ORG mailbox (one of its experts takes the request). */
  kind?: "team";
  display_name: string;
  title: string | null;
  specialty: string;
  description: string;
  prerequisites: string;
  accepting: boolean;
  organization?: string | null;
  profession_label?: string | null;
  rpps?: string | null;
  quota?: { TE2?: QuotaEntry };
}

export interface TePerson extends Person {
  rpps?: string | null;
  specialty?: string | null;
}

export interface Consent {
  method: "oral" | "written";
  collected_at: string;
  collected_by?: Person | null;
  patient_informed: boolean;
  consenter?: "patient" | "representative";
  representative_name?: string | null;
  representative_quality?: string | null;
  document: Id | { id: Id; name?: string } | null;
  withdrawn_at: string | null;
  withdrawn_by?: Person | null;
}

export interface Report {
  context: string;
  question?: string;
  answer: string;
  conclusion: string;
  recommendations: string;
  written_at: string;
}

export interface TeAct {
  code: string;
  act_date: string;
  amount: string;
  status: string;
}

export interface TeRequest {
  id: Id;
  reference: string;
  status: TeStatus;
  urgency: Urgency;
  specialty: string;
  requester: TePerson;
  expert: TePerson | null;
  team?: TeTeam | null;
  patient: Patient & { sex?: string };
  conversation: Id | null;
  consent?: Consent | null;
  question?: string;
  decline_reason?: string | null;
  report?: Report | null;
  acts?: TeAct[];
  report_pdf?: string | null;
  overdue: boolean;
  due_at: string | null;
  created_at?: string;
  quota?: { TE2?: QuotaEntry; RQD?: QuotaEntry };
  filed_at?: string | null;
  deliveries?: Delivery[];
  act_refusals?: ActRefusal[];
  attachments?: { id: Id; name: string; size?: number; content_type?: string }[];
}

export interface NewRequestPayload {
  expert?: Id;
  team?: Id;
  patient: Id;
  question: string;
  urgency: Urgency;
  consent: {
    method: "oral" | "written";
    collected_at: string;
    document?: Id;
    patient_informed: true;
    patient: Id;
    consenter: "patient" | "representative";
    representative_name?: string;
    representative_quality?: string;
  };
  attachments: Id[];
}

export interface ReportPayload {
  context: string;
  answer: string;
  conclusion: string;
  recommendations: string;
}

export interface ExpertProfile {
  specialty: string;
  description: string;
  prerequisites: string;
  accepting: boolean;
}

const enc = (id: Id) => encodeURIComponent(String(id));

export function createTeleexpertiseApi(client: HttpClient = http) {
  const base = (id: Id) => `/api/teleexpertise/requests/${enc(id)}`;
  return {
    list: (role: "sent" | "received", filters: RequestFilters = {}) => {
      const q = new URLSearchParams({ role });
      for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
      return client.get<{ requests: TeRequest[] }>(`/api/teleexpertise/requests?${q}`);
    },
    pending: () => client.get<{ pending: number }>("/api/teleexpertise/requests/pending"),
    take: (id: Id) => client.post<{ request: TeRequest }>(`${base(id)}/take`, {}),
    filingPreview: (id: Id) => client.get<FilingPreview>(`${base(id)}/filing`),
    get: (id: Id) => client.get<{ request: TeRequest }>(base(id)),
    create: (data: NewRequestPayload) => client.post<{ request: TeRequest }>("/api/teleexpertise/requests", data),
    accept: (id: Id) => client.post<{ request: TeRequest }>(`${base(id)}/accept`, {}),
    decline: (id: Id, reason: string) => client.post<{ request: TeRequest }>(`${base(id)}/decline`, { reason }),
    report: (id: Id, data: ReportPayload) => client.post<{ request: TeRequest }>(`${base(id)}/report`, data),
    file: (id: Id, visibility = "normal") => client.post<{ request: TeRequest }>(`${base(id)}/file`, { visibility }),
    withdrawConsent: (id: Id) => client.post<{ request: TeRequest }>(`${base(id)}/consent/withdraw`, {}),
    experts: (params: { q?: string; specialty?: string; patient?: Id }, signal?: AbortSignal) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
      return client.get<{ experts: Expert[]; teams?: TeTeam[]; quota?: { RQD?: QuotaEntry } }>(`/api/teleexpertise/experts?${q}`, { signal });
    },
    myProfile: () => client.get<{ expert: Expert }>("/api/teleexpertise/experts/me"),
    saveProfile: (data: ExpertProfile) => client.request<{ expert: Expert }>("/api/teleexpertise/experts/me", { method: "PUT", body: data }),
    patients: (query: { q?: string; ins?: string }, signal?: AbortSignal) => {
      const q = new URLSearchParams();
      if (query.ins) q.set("ins", query.ins);
      else q.set("q", query.q ?? "");
      return client.get<{ results: Patient[]; count?: number }>(`/api/patients?${q}`, { signal });
    },
  };
}

export const teApi = createTeleexpertiseApi();
