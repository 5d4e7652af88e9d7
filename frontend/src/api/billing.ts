/** Billing review endpoints (acts, exports, status transitions). */
import { http, type HttpClient } from "./http";
import type { Id } from "./types";

export type ActStatus = "declared" | "transmitted" | "paid" | "rejected";

export interface BillingAct {
  id: Id;
  reference: string;
  code: string;
  act_date: string;
  amount: string;
  amount_display?: string;
  status: ActStatus;
  status_label?: string;
  note: string;
  professional: { display_name: string; rpps: string | null; am_number: string | null };
  patient: { birth_name: string; first_names: string[] | string; birth_date: string; sex: string; ins: string | null };
  request_date: string | null;
}

export interface BillingTotals {
  count: number;
  amount: string;
  amount_display?: string;
  by_code: Record<string, unknown>;
  by_status: Record<string, unknown>;
}

export interface BillingFilters {
  from: string;
  to: string;
  code: string;
  status: string;
  professional: string;
}

export const EMPTY_FILTERS: BillingFilters = { from: "", to: "", code: "", status: "", professional: "" };

/** Filters (+ optional paging) -> query string without "?"; empty values are left out. */
export function billingQuery(filters: Partial<BillingFilters>, page?: { limit: number; offset: number }): string {
  const q = new URLSearchParams();
  for (const k of ["from", "to", "code", "status", "professional"] as const) {
    const v = (filters[k] ?? "").trim();
    if (v) q.set(k, v);
  }
  if (page) {
    q.set("limit", String(page.limit));
    q.set("offset", String(page.offset));
  }
  return q.toString();
}

export function exportUrl(kind: "csv" | "xlsx", filters: Partial<BillingFilters>, own = false): string {
  const qs = billingQuery(filters);
  return `/api/billing/${own ? "my-acts" : "acts"}.${kind}${qs ? `?${qs}` : ""}`;
}

/** The one French amount format: the server's « 1 234,50 € » when given. */
export function amountText(amount: string, display?: string): string {
  return display ?? amount;
}

export function createBillingApi(client: HttpClient = http) {
  return {
    acts: (filters: Partial<BillingFilters>, page: { limit: number; offset: number }) =>
      client.get<{ acts: BillingAct[]; count: number; totals: BillingTotals }>(`/api/billing/acts?${billingQuery(filters, page)}`),
    transition: (id: Id, status: ActStatus, note: string) =>
      client.post<unknown>(`/api/billing/acts/${encodeURIComponent(String(id))}/transition`, { status, note }),
    bulkTransition: (ids: Id[], status: ActStatus, note: string) =>
      client.post<{ acts: BillingAct[]; refused: { id: Id; code: string; message: string }[] }>("/api/billing/acts/transition", {
        acts: ids,
        status,
        note,
      }),
    myActs: (filters: Partial<BillingFilters>, page: { limit: number; offset: number }) =>
      client.get<{ acts: BillingAct[]; count: number; totals: BillingTotals }>(`/api/billing/my-acts?${billingQuery(filters, page)}`),
  };
}

export const billingApi = createBillingApi();
