/** What a message can become (issue #18, item 8): forwarded to a conversation or by MSSanté,
 * acknowledged when urgent (the WebSocket's `message.acknowledge` does the same). */
import { http, type HttpClient } from "./http";
import type { Id, Message } from "./types";
import type { components } from "./schema.gen";

export type ForwardedMail = components["schemas"]["ForwardedMail"];

function base(conversation: Id, message: Id): string {
  return `/api/conversations/${encodeURIComponent(String(conversation))}/messages/${encodeURIComponent(String(message))}`;
}

export function createMessagesApi(client: HttpClient = http) {
  return {
    forward: (message: Message, target: Id, clientId: string) =>
      client.post<Message>(`${base(message.conversation, message.id)}/forward`, { conversation: target, client_id: clientId }),
    forwardByMssante: (message: Message, recipients: string[]) =>
      client.post<ForwardedMail>(`${base(message.conversation, message.id)}/forward-mssante`, { recipients }),
  };
}

export const messagesApi = createMessagesApi();
