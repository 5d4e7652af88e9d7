/** Typed wrappers around the HTTP endpoints used by the messaging screens. */
import { http, type HttpClient } from "./http";
import type { Conversation, DirectoryEntry, Id, Me, MessagesPage, Message, PatientRecord, SignInMethods } from "./types";

const enc = (v: Id | string) => encodeURIComponent(String(v));

export function createApi(client: HttpClient = http) {
  return {
    csrf: () => client.csrf(true),
    login: (username: string, password: string, otp?: string) =>
      client.post<Me>("/api/auth/login", otp ? { username, password, otp } : { username, password }, { allow401: true }),
    /** 204, or the Pro Santé Connect logout URL to visit when the session came from PSC. */
    logout: () => client.post<{ psc_logout_url?: string } | undefined>("/api/auth/logout", undefined, { allow401: true }),
    signInMethods: () => client.get<SignInMethods>("/api/auth/methods", { allow401: true }),
    me: () => client.get<Me>("/api/me", { allow401: true }),

    conversations: () => client.get<{ results: Conversation[] }>("/api/conversations"),
    createConversation: (data: { participants: (Id | string)[]; title?: string; patient?: Id }) =>
      client.post<Conversation>("/api/conversations", data),
    messages: (conversation: Id, params: { before_seq?: number; after_seq?: number; limit?: number } = {}) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
      const qs = q.toString();
      return client.get<MessagesPage>(`/api/conversations/${encodeURIComponent(String(conversation))}/messages${qs ? `?${qs}` : ""}`);
    },
    postMessage: (
      conversation: Id,
      data: { client_id: string; body: string; attachments: Id[]; reply_to?: Id | null; urgent?: boolean },
    ) =>
      client.post<Message>(`/api/conversations/${encodeURIComponent(String(conversation))}/messages`, data),
    markRead: (conversation: Id, seq: number) =>
      client.post<unknown>(`/api/conversations/${encodeURIComponent(String(conversation))}/read`, { seq }),
    /** Groups and the conversation's patient (conversations/groups/ on the server). */
    renameConversation: (conversation: Id, title: string) => client.patch<Conversation>(`/api/conversations/${enc(conversation)}`, { title }),
    setPatient: (conversation: Id, patient: Id | null) => client.put<Conversation>(`/api/conversations/${enc(conversation)}/patient`, { patient }),
    setPreferences: (conversation: Id, prefs: { muted?: boolean; pinned?: boolean; archived?: boolean }) =>
      client.patch<Conversation>(`/api/conversations/${enc(conversation)}/preferences`, prefs),
    addParticipants: (conversation: Id, participants: (Id | string)[]) =>
      client.post<Conversation>(`/api/conversations/${enc(conversation)}/participants`, { participants }),
    /** A user id, or a team mailbox's address; one's own id is leaving. */
    removeParticipant: (conversation: Id, who: Id | string) => client.del<undefined>(`/api/conversations/${enc(conversation)}/participants/${enc(who)}`),
    searchPatients: (params: { q?: string; ins?: string; birth_date?: string }, signal?: AbortSignal) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
      return client.get<{ results: PatientRecord[]; count: number }>(`/api/patients?${q}`, { signal });
    },
    patient: (id: Id) => client.get<PatientRecord>(`/api/patients/${enc(id)}`),
    directory: (q: string, signal?: AbortSignal) =>
      client.get<{ results: DirectoryEntry[]; count: number }>(`/api/directory?${new URLSearchParams({ q })}`, { signal }),
  };
}

export const api = createApi();
export type Api = ReturnType<typeof createApi>;

export function attachmentUrl(id: Id, inline = false): string {
  return `/api/attachments/${encodeURIComponent(String(id))}/download${inline ? "?inline=1" : ""}`;
}
