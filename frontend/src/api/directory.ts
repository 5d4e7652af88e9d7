/** Directory (annuaire) search and the user's own mailboxes (liste rouge). */
import { http, type HttpClient } from "./http";
import type { components } from "./schema.gen";
import type { DirectoryEntry, MailboxKind } from "./types";

/** One directory entry (the same type as everywhere else: generated from the server). */
export type DirectoryResult = DirectoryEntry;
export type DirectoryPage = components["schemas"]["DirectoryPage"];

export interface DirectoryFilters {
  q: string;
  profession: string;
  city: string;
  postcode: string;
  mssanteOnly: boolean;
}

export interface ManagedMailbox {
  address: string;
  kind: MailboxKind | string;
  display_name: string;
  hidden: boolean;
}

export const DIRECTORY_PAGE_SIZE = 20;

export const EMPTY_FILTERS: DirectoryFilters = { q: "", profession: "", city: "", postcode: "", mssanteOnly: false };

/** A postcode is sent only when it has exactly 5 digits. */
export function isValidPostcode(v: string): boolean {
  return /^\d{5}$/.test(v.trim());
}

/** Query string of a search (empty criteria left out; an incomplete postcode is not sent). */
export function directoryQuery(f: Partial<DirectoryFilters>, offset = 0, limit = DIRECTORY_PAGE_SIZE): string {
  const q = new URLSearchParams();
  const add = (k: string, v: string | undefined) => {
    const t = (v ?? "").trim();
    if (t) q.set(k, t);
  };
  add("q", f.q);
  add("profession", f.profession);
  add("city", f.city);
  if (f.postcode && isValidPostcode(f.postcode)) q.set("postcode", f.postcode.trim());
  if (f.mssanteOnly) q.set("mssante_only", "1");
  q.set("limit", String(limit));
  if (offset > 0) q.set("offset", String(offset));
  return q.toString();
}

/** Whether the filters hold any criterion at all (otherwise the page shows a prompt, not the whole directory). */
export function hasCriteria(f: DirectoryFilters): boolean {
  return !!(f.q.trim() || f.profession.trim() || f.city.trim() || isValidPostcode(f.postcode) || f.mssanteOnly);
}

const KIND_LABELS: Record<string, string> = { PER: "Nominative", ORG: "Organisationnelle", APP: "Applicative" };

export function mailboxKindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** Appends a following page, dropping entries already listed (the directory may shift between calls). */
export function appendPage(current: DirectoryResult[], next: DirectoryResult[]): DirectoryResult[] {
  const seen = new Set(current.map((r) => String(r.id)));
  return [...current, ...next.filter((r) => !seen.has(String(r.id)))];
}

export function createDirectoryApi(client: HttpClient = http) {
  return {
    search: (f: Partial<DirectoryFilters>, offset = 0, signal?: AbortSignal) =>
      client.get<DirectoryPage>(`/api/directory?${directoryQuery(f, offset)}`, { signal }),
    /** Addresses with a MSSanté mailbox matching a free text (for recipient pickers). */
    mssanteSearch: (q: string, signal?: AbortSignal) =>
      client.get<DirectoryPage>(`/api/directory?${new URLSearchParams({ q, mssante_only: "1", limit: "10" })}`, { signal }),
    mailboxes: async (): Promise<ManagedMailbox[]> => {
      const r = await client.get<{ results?: ManagedMailbox[] } | ManagedMailbox[]>("/api/directory/mailboxes");
      return Array.isArray(r) ? r : r.results ?? [];
    },
    setVisibility: (address: string, hidden: boolean) =>
      client.post<ManagedMailbox>(`/api/directory/mailboxes/${encodeURIComponent(address)}/visibility`, { hidden }),
  };
}

export const directoryApi = createDirectoryApi();
