/** Web Push subscriptions of this user's browsers (types generated from /api/schema/). */
import { http, type HttpClient } from "./http";
import type { components } from "./schema.gen";

export type PushConfig = components["schemas"]["PushConfig"];
export type PushSubscriptionInfo = components["schemas"]["PushSubscriptionPayload"];

export interface BrowserSubscriptionJSON {
  endpoint: string;
  expirationTime?: number | null;
  keys: { p256dh: string; auth: string };
}

export function createPushApi(client: HttpClient = http) {
  return {
    config: () => client.get<PushConfig>("/api/push/config"),
    list: () => client.get<{ results: PushSubscriptionInfo[] }>("/api/push/subscriptions"),
    subscribe: (subscription: BrowserSubscriptionJSON) => client.post<PushSubscriptionInfo>("/api/push/subscriptions", subscription),
    remove: (id: string) => client.request<void>(`/api/push/subscriptions/${encodeURIComponent(id)}`, { method: "DELETE" }),
  };
}

export const pushApi = createPushApi();
export type PushApi = ReturnType<typeof createPushApi>;
