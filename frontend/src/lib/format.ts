/** French formatting helpers and labels shared by the teleexpertise, billing and patient screens. */
import type { QuotaEntry, TeStatus } from "../api/teleexpertise";

/** "23.00" -> « 23,00 € » (narrow no-break space before €, no-break thousands separator). */
export function formatAmount(amount: string | number | null | undefined): string {
  const n = typeof amount === "number" ? amount : Number(String(amount ?? "").replace(",", "."));
  if (!Number.isFinite(n)) return "—";
  const fixed = Math.abs(n).toFixed(2);
  const [int, dec] = fixed.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
  return `${n < 0 ? "-" : ""}${grouped},${dec}\u00a0€`;
}

/** "2025-03-14" or an ISO date-time -> « 14/03/2025 » (date-only strings are not shifted by time zones). */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) return `${m[3]}/${m[2]}/${m[1]}`;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const p = (x: number) => String(x).padStart(2, "0");
  return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}`;
}

/** « 14/03/2025 à 09:05 » */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const p = (x: number) => String(x).padStart(2, "0");
  return `${formatDate(value)} à ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Value for <input type="datetime-local"> in local time. */
export function toLocalInput(d: Date): string {
  const p = (x: number) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export const TE_STATUS_LABELS: Record<TeStatus, string> = {
  submitted: "Envoyée",
  accepted: "Acceptée",
  declined: "Refusée",
  answered: "Répondue",
  filed: "Classée",
  closed: "Clôturée",
};

export function teStatusLabel(status: string): string {
  return TE_STATUS_LABELS[status as TeStatus] ?? status;
}

export const ACT_STATUS_LABELS: Record<string, string> = {
  declared: "Déclaré",
  transmitted: "Transmis",
  paid: "Payé",
  rejected: "Rejeté",
};

export function actStatusLabel(status: string): string {
  return ACT_STATUS_LABELS[status] ?? status;
}

/** Allowed next statuses of a billing act (mirrors the backend's transitions). */
export function nextActStatuses(status: string): string[] {
  if (status === "declared") return ["transmitted", "rejected"];
  if (status === "transmitted") return ["paid", "rejected"];
  return [];
}

/** « 3/4 actes utilisés cette année » (year shown when it is not the current one). */
export function quotaLabel(q: QuotaEntry | null | undefined, now: Date = new Date()): string {
  if (!q) return "";
  const noun = q.used > 1 ? "actes utilisés" : "acte utilisé";
  const when = q.year === now.getFullYear() ? "cette année" : `en ${q.year}`;
  return `${q.used}/${q.limit} ${noun} ${when}`;
}

export function quotaReached(q: QuotaEntry | null | undefined): boolean {
  return !!q && q.used >= q.limit;
}

/** « Vous vous apprêtez à écrire à : une femme, née en mars 1985, … » — lower case after the colon. */
export function summarySentence(summary: string): string {
  const s = summary.trim();
  const lowered = s ? s.charAt(0).toLocaleLowerCase("fr") + s.slice(1) : s;
  return `Vous vous apprêtez à écrire à : ${lowered}`;
}

export const RECIPIENT_STATUS_LABELS: Record<string, string> = {
  queued: "En attente",
  sent: "Envoyé",
  failed: "Échec",
  read: "Lu",
};

export function recipientStatusLabel(status: string, reason?: string | null): string {
  if (status === "failed") return reason ? `Échec : ${reason}` : "Échec";
  return RECIPIENT_STATUS_LABELS[status] ?? status;
}

export interface ConsentDraft {
  method: "" | "oral" | "written";
  collectedAt: string;
  informed: boolean;
}

/** Field -> message for the consent step; empty when it can go on. */
export function validateConsent(c: ConsentDraft, now: Date = new Date()): Record<string, string> {
  const errors: Record<string, string> = {};
  if (c.method !== "oral" && c.method !== "written") errors.method = "Indiquez comment le consentement a été recueilli.";
  const t = c.collectedAt ? new Date(c.collectedAt).getTime() : NaN;
  if (!c.collectedAt || Number.isNaN(t)) errors.collected_at = "Indiquez la date et l'heure du recueil.";
  else if (t > now.getTime() + 5 * 60_000) errors.collected_at = "La date du recueil ne peut pas être dans le futur.";
  if (!c.informed) errors.patient_informed = "Cochez cette case : le patient doit avoir été informé et consentir.";
  return errors;
}

export function sexLabel(sex: string | null | undefined): string {
  if (sex === "F") return "Femme";
  if (sex === "M") return "Homme";
  return sex || "—";
}

export function identityLabel(status: string | null | undefined): string {
  const map: Record<string, string> = {
    QUAL: "Identité qualifiée",
    VALI: "Identité validée",
    RECUP: "Identité récupérée",
    PROV: "Identité provisoire",
  };
  return status ? map[status] ?? status : "—";
}
