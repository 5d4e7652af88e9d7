/** Teleexpertise endpoints: requests, experts, patients search, expert profile. */
import { http, type HttpClient } from "./http";
import type { Id, Person } from "./types";

export type TeStatus = "submitted" | "accepted" | "declined" | "answered" | "filed" | "closed";
export type Urgency = "normal" | "urgent";

export interface QuotaEntry {
  used: number;
  limit: number;
  year: number;
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
  expert: TePerson;
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
}

export interface NewRequestPayload {
  expert: Id;
  patient: Id;
  question: string;
  urgency: Urgency;
  consent: { method: "oral" | "written"; collected_at: string; document?: Id; patient_informed: true };
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
    list: (role: "sent" | "received") => client.get<{ requests: TeRequest[] }>(`/api/teleexpertise/requests?role=${role}`),
    get: (id: Id) => client.get<{ request: TeRequest }>(base(id)),
    create: (data: NewRequestPayload) => client.post<{ request: TeRequest }>("/api/teleexpertise/requests", data),
    accept: (id: Id) => client.post<{ request: TeRequest }>(`${base(id)}/accept`, {}),
    decline: (id: Id, reason: string) => client.post<{ request: TeRequest }>(`${base(id)}/decline`, { reason }),
    report: (id: Id, data: ReportPayload) => client.post<{ request: TeRequest }>(`${base(id)}/report`, data),
    file: (id: Id, declareActs = true) =>
      client.post<{ request: TeRequest }>(`${base(id)}/file`, declareActs ? {} : { declare_acts: false }),
    withdrawConsent: (id: Id) => client.post<{ request: TeRequest }>(`${base(id)}/consent/withdraw`, {}),
    experts: (params: { q?: string; specialty?: string; patient?: Id }, signal?: AbortSignal) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
      return client.get<{ experts: Expert[]; quota?: { RQD?: QuotaEntry } }>(`/api/teleexpertise/experts?${q}`, { signal });
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
