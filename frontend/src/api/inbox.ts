/** MSSanté inbox: mailboxes the user may read, their mails, team states, replies, filing. */
import { http, type HttpClient } from "./http";
import type { Id } from "./types";

export interface InboxMailbox {
  id: Id;
  address: string;
  kind: "PER" | "ORG" | "APP";
  display_name: string;
  unread: number;
  todo: number;
  state: string;
  state_detail: string;
}

export type TeamState = "todo" | "taken" | "done";

export interface InboxSummary {
  id: Id;
  mailbox: Id;
  from: string;
  from_name: string;
  subject: string;
  received_at: string;
  kind: string;
  status: "ok" | "quarantined";
  team_state: TeamState;
  taken_by: string | null;
  unread: boolean;
  has_attachments: boolean;
  health_document: boolean;
}

export interface InboxPart {
  index: number;
  filename: string;
  content_type: string;
  size: number;
}

export interface XdmInfo {
  ins: string;
  ins_oid: string;
  ins_status: string;
  ins_problem: string;
  birth_name: string;
  given_names: string;
  first_name?: string;
  birth_date: string;
  sex?: string;
  sex_label?: string;
  birth_place?: string;
  ins_oid_label?: string;
  documents: { uri: string; title: string; type_code: string; type_display: string }[];
}

/** The patient of the reader's structures whom the XDM's INS matched. */
export interface KnownPatient {
  id: Id;
  birth_name: string;
  first_names: string[];
  birth_date: string;
  sex: string;
  birth_place: string;
  ins: string;
  identity_status: string;
  identity_status_label: string;
  differences: string[];
}

export interface InboxMail extends InboxSummary {
  history: { verb: string; label: string; actor: string | null; at: string }[];
  quarantine_reason?: string;
  to?: string[];
  cc?: string[];
  text?: string;
  parts?: InboxPart[];
  warnings?: { code: string; message: string }[];
  xdm?: XdmInfo | null;
  patient?: Id | null;
  patient_match?: string;
  patient_known?: KnownPatient | null;
}

export type Folder = "inbox" | "todo" | "taken" | "done" | "reports" | "quarantine";

export function createInboxApi(client: HttpClient = http) {
  return {
    mailboxes: () => client.get<{ mailboxes: InboxMailbox[] }>("/api/mssante/mailboxes"),
    list: (box: Id, folder: Folder) =>
      client.get<{ messages: InboxSummary[] }>(`/api/mssante/mailboxes/${box}/inbox?folder=${folder}`),
    read: (id: Id) => client.get<InboxMail>(`/api/mssante/inbox/${id}`),
    partUrl: (id: Id, index: number) => `/api/mssante/inbox/${id}/parts/${index}`,
    state: (id: Id, action: "take" | "release" | "done" | "reopen") =>
      client.post<InboxSummary>(`/api/mssante/inbox/${id}/state`, { action }),
    reply: (id: Id, data: { mode: "reply" | "reply_all" | "forward"; text: string; to?: string[] }) =>
      client.post<{ id: Id; status: string }>(`/api/mssante/inbox/${id}/reply`, data),
    file: (id: Id, data: { conversation?: Id; patient?: Id }) =>
      client.post<Record<string, string>>(`/api/mssante/inbox/${id}/file`, data),
  };
}

export const inboxApi = createInboxApi();
