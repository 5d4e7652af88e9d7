/** MSSanté patient messaging: INS check, sending, outbox. */
import { http, type HttpClient } from "./http";
import type { components } from "./schema.gen";
import type { Id } from "./types";

export interface InsCheck {
  valid: boolean;
  ins: string;
  sex: string;
  birth_year: number;
  birth_month: number | null;
  birth_department: string | null;
  summary: string;
  mssante_address: string;
}

export type RecipientStatus = "queued" | "sent" | "failed" | "read";

/** A queued MSSanté message and its recipients (one type for the outbox and the send status). */
export type MssMessage = components["schemas"]["OutboundMessage"];
export type MssRecipient = components["schemas"]["Recipient"];

export interface SendPayload {
  from: string;
  to: string[];
  subject: string;
  body: string;
  attachments: Id[];
  close_exchange: boolean;
  read_receipt: boolean;
  /** The patient record the mail is about (« Écrire à ce patient » from a conversation). */
  patient?: Id;
}

export function createMssanteApi(client: HttpClient = http) {
  return {
    insCheck: (ins: string) => client.post<InsCheck>("/api/patients/ins-check", { ins }),
    send: (data: SendPayload) => client.post<MssMessage>("/api/mssante/messages", data),
    outbox: async (): Promise<MssMessage[]> => {
      const r = await client.get<components["schemas"]["OutboundMessageList"]>("/api/mssante/messages");
      return r.results;
    },
  };
}

export const mssApi = createMssanteApi();
