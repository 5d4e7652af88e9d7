/** MSSanté inbox: mailboxes the user may read, their mails, team states, replies, filing. */
import { http, type HttpClient } from "./http";
import type { components } from "./schema.gen";
import type { Id } from "./types";

// The shapes come from the server's declarations (backend/mssante/inbox/payloads.py) through the
// OpenAPI document: `make api-types` regenerates them, `make contract` fails when they drift.
type Schemas = components["schemas"];
export type InboxMailbox = Schemas["InboxMailbox"];
export type InboxSummary = Schemas["InboxSummary"];
export type TeamState = InboxSummary["team_state"];
export type InboxPart = Schemas["InboxPart"];
export type XdmInfo = Schemas["XdmIdentity"];
/** The patient of the reader's structures whom the XDM's INS matched. */
export type KnownPatient = Schemas["KnownPatient"];
export type InboxMail = Schemas["InboxMail"];
type InboxReply = Schemas["InboxReply"];
type InboxFiling = Schemas["InboxFiling"];

export type Folder = "inbox" | "todo" | "taken" | "done" | "reports" | "quarantine";

export function createInboxApi(client: HttpClient = http) {
  return {
    mailboxes: () => client.get<Schemas["InboxMailboxes"]>("/api/mssante/mailboxes"),
    list: (box: Id, folder: Folder) =>
      client.get<Schemas["InboxMessages"]>(`/api/mssante/mailboxes/${box}/inbox?folder=${folder}`),
    read: (id: Id) => client.get<InboxMail>(`/api/mssante/inbox/${id}`),
    partUrl: (id: Id, index: number) => `/api/mssante/inbox/${id}/parts/${index}`,
    state: (id: Id, action: Schemas["InboxStateChange"]["action"]) =>
      client.post<InboxSummary>(`/api/mssante/inbox/${id}/state`, { action }),
    reply: (id: Id, data: InboxReply) =>
      client.post<Schemas["InboxReplyQueued"]>(`/api/mssante/inbox/${id}/reply`, data),
    file: (id: Id, data: InboxFiling) =>
      client.post<Schemas["InboxFiled"]>(`/api/mssante/inbox/${id}/file`, data),
  };
}

export const inboxApi = createInboxApi();
