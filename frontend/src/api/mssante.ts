/** MSSanté patient messaging: INS check, sending, outbox. */
import { http, type HttpClient } from "./http";
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

export interface MssRecipient {
  address: string;
  kind?: string;
  status: RecipientStatus | string;
  reason: string;
  sent_at?: string | null;
  read_at?: string | null;
}

export interface MssMessage {
  id: Id;
  status: string;
  created_at: string;
  subject: string;
  from: string;
  close_exchange?: boolean;
  recipients: MssRecipient[];
}

export interface SendPayload {
  from: string;
  to: string[];
  subject: string;
  body: string;
  attachments: Id[];
  close_exchange: boolean;
  read_receipt: boolean;
}

export function createMssanteApi(client: HttpClient = http) {
  return {
    insCheck: (ins: string) => client.post<InsCheck>("/api/patients/ins-check", { ins }),
    send: (data: SendPayload) => client.post<MssMessage>("/api/mssante/messages", data),
    /** The backend answers {results, count, limit, offset}; older builds may say {messages}. */
    outbox: async (): Promise<MssMessage[]> => {
      const r = await client.get<{ results?: MssMessage[]; messages?: MssMessage[] }>("/api/mssante/messages");
      return r.results ?? r.messages ?? [];
    },
  };
}

export const mssApi = createMssanteApi();
