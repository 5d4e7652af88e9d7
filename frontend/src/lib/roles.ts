/** What a signed-in user may see: billing-only users see billing only; clinicians see the clinical screens. */
import type { Me, Role } from "../api/types";

const CLINICAL: Role[] = ["clinician", "coordinator", "secretary"];

function roles(me: Me): Set<string> {
  return new Set(me.organizations.flatMap((o) => o.roles ?? []));
}

export function hasBilling(me: Me): boolean {
  const r = roles(me);
  return r.has("billing") || r.has("admin");
}

export function hasClinical(me: Me): boolean {
  const r = roles(me);
  return CLINICAL.some((x) => r.has(x));
}

/** The access journal: organisation admins and the DPO. */
export function hasJournal(me: Me): boolean {
  const r = roles(me);
  return r.has("admin") || r.has("dpo");
}

export function isBillingOnly(me: Me): boolean {
  return hasBilling(me) && !hasClinical(me);
}

/** Directory search: clinical staff and billing staff alike (no health data in it). */
export function hasDirectory(me: Me): boolean {
  return hasClinical(me) || hasBilling(me);
}

export function isExpert(me: Me): boolean {
  return !!(me.professional as { is_expert?: boolean } | null)?.is_expert;
}

export type Section = "messaging" | "mssante" | "teleexpertise" | "patient" | "billing" | "directory" | "journal";

export interface NavItem {
  section: Section;
  href: string;
  label: string;
}

export function navItems(me: Me): NavItem[] {
  const items: NavItem[] = [];
  if (hasClinical(me)) {
    items.push({ section: "messaging", href: "/", label: "Messagerie" });
    if (me.mailboxes.length) items.push({ section: "mssante", href: "/mssante", label: "Messagerie MSSanté" });
    items.push({ section: "teleexpertise", href: "/teleexpertise", label: "Téléexpertise" });
    if (me.mailboxes.length) items.push({ section: "patient", href: "/patient/ecrire", label: "Écrire à un patient" });
  }
  if (hasBilling(me)) items.push({ section: "billing", href: "/facturation", label: "Facturation" });
  // the directory holds no health data: every signed-in role may search it (billing staff included)
  if (hasDirectory(me)) items.push({ section: "directory", href: "/annuaire", label: "Annuaire" });
  if (hasJournal(me)) items.push({ section: "journal", href: "/journal", label: "Journal d'accès" });
  return items;
}

/** The section a path belongs to (for aria-current and access checks). */
export function sectionOf(path: string): Section {
  if (path.startsWith("/teleexpertise")) return "teleexpertise";
  if (path.startsWith("/mssante")) return "mssante";
  if (path.startsWith("/facturation")) return "billing";
  if (path.startsWith("/patient")) return "patient";
  if (path.startsWith("/annuaire")) return "directory";
  if (path.startsWith("/journal")) return "journal";
  return "messaging";
}

export function canAccess(me: Me, path: string): boolean {
  const s = sectionOf(path);
  if (s === "billing") return hasBilling(me);
  if (s === "directory") return hasDirectory(me);
  if (s === "journal") return hasJournal(me);
  if (s === "patient") return hasClinical(me) && me.mailboxes.length > 0;
  return hasClinical(me);
}

/** Where "/" leads: billing-only users land on the billing screen. */
export function homePath(me: Me): string {
  if (isBillingOnly(me)) return "/facturation";
  return !hasClinical(me) && hasJournal(me) ? "/journal" : "/";
}
