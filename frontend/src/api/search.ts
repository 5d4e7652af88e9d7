/** Message search: GET /api/messages/search (types generated from the OpenAPI document). */
import type { components } from "./schema.gen";
import { http, type HttpClient } from "./http";
import type { Id } from "./types";

export type SnippetPart = components["schemas"]["SnippetPart"];
export type MessageHit = components["schemas"]["MessageHit"];
export type MessageSearchPage = components["schemas"]["MessageSearchPage"];

/** Fewer characters than this are not sent (the server refuses them too). */
export const MIN_QUERY = 2;

export function searchMessages(
  q: string,
  opts: { conversation?: Id; offset?: number; signal?: AbortSignal } = {},
  client: HttpClient = http,
): Promise<MessageSearchPage> {
  const params = new URLSearchParams({ q: q.trim() });
  if (opts.conversation) params.set("conversation", String(opts.conversation));
  if (opts.offset) params.set("offset", String(opts.offset));
  return client.get<MessageSearchPage>(`/api/messages/search?${params}`, { signal: opts.signal });
}
