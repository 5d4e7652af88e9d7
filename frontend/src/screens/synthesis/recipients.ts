/** Recipients of a synthesis: each typed or picked address is checked against the MSSanté trust space. */
import type { AddressCheck } from "../../api/exports";

export type RecipientState = "checking" | "accepted" | "refused" | "error";

export interface SynthRecipient {
  address: string;
  state: RecipientState;
  reason: string | null;
  code: string | null;
}

export function normalizeAddress(v: string): string {
  return v.trim().replace(/^mailto:/i, "").toLowerCase();
}

/** A quick syntax check before asking the server (which has the last word). */
export function looksLikeAddress(v: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);
}

/** Adds an address (normalised, no duplicates). Malformed ones are added as refused with a local reason. */
export function addRecipient(list: SynthRecipient[], raw: string): SynthRecipient[] {
  const address = normalizeAddress(raw);
  if (!address || list.some((r) => r.address === address)) return list;
  if (!looksLikeAddress(address)) {
    return [...list, { address, state: "refused", code: "malformed", reason: "Adresse mal formée (attendu : prenom.nom@domaine.mssante.fr)." }];
  }
  return [...list, { address, state: "checking", reason: null, code: null }];
}

export function removeRecipient(list: SynthRecipient[], address: string): SynthRecipient[] {
  return list.filter((r) => r.address !== address);
}

/** Applies the server's answer to POST /api/mssante/check-address. */
export function applyCheck(list: SynthRecipient[], address: string, check: AddressCheck): SynthRecipient[] {
  const key = normalizeAddress(address);
  return list.map((r) =>
    r.address === key
      ? check.accepted
        ? { ...r, state: "accepted", reason: null, code: null }
        : { ...r, state: "refused", code: check.code, reason: check.reason || "Adresse refusée : hors de l'espace de confiance MSSanté." }
      : r,
  );
}

export function applyCheckError(list: SynthRecipient[], address: string, message: string): SynthRecipient[] {
  const key = normalizeAddress(address);
  return list.map((r) => (r.address === key ? { ...r, state: "error", reason: message, code: null } : r));
}

/** Marks the addresses named by a refused send (error fields such as `recipients`). */
export function applySendError(list: SynthRecipient[], code: string, message: string): SynthRecipient[] {
  if (!["outside_trust_space", "lookalike_domain", "malformed", "patient_address_in_recipients"].includes(code)) return list;
  const lower = message.toLowerCase();
  const named = list.filter((r) => lower.includes(r.address));
  if (!named.length) return list;
  return list.map((r) => (named.includes(r) ? { ...r, state: "refused", code, reason: message } : r));
}

export interface SendCheck {
  ok: boolean;
  message: string | null;
}

/** Whether « Envoyer » may go: at least one destination, every address accepted, a sender mailbox. */
export function canSend(list: SynthRecipient[], toPatient: boolean, from: string): SendCheck {
  if (!from) return { ok: false, message: "Choisissez la boîte d'envoi." };
  if (!list.length && !toPatient) return { ok: false, message: "Ajoutez au moins un destinataire ou cochez le versement au DMP." };
  if (list.some((r) => r.state === "checking")) return { ok: false, message: "Vérification des adresses en cours…" };
  if (list.some((r) => r.state !== "accepted")) return { ok: false, message: "Retirez les adresses refusées avant d'envoyer." };
  return { ok: true, message: null };
}

const SEND_ERRORS: Record<string, string> = {
  recipients_required: "Ajoutez au moins un destinataire ou cochez le versement au DMP.",
  outside_trust_space: "Un destinataire est hors de l'espace de confiance MSSanté.",
  lookalike_domain: "Un domaine ressemble à MSSanté sans en faire partie.",
  malformed: "Une adresse est mal formée.",
  mixed_recipients: "Les destinataires ne peuvent pas être mélangés dans un même envoi.",
  patient_not_qualified: "L'identité du patient n'est pas qualifiée (INS) : le versement au DMP est impossible.",
  patient_address_in_recipients: "L'adresse du patient ne peut pas figurer parmi les destinataires : utilisez la case DMP.",
  no_mssante_mailbox: "Vous n'avez pas de boîte aux lettres MSSanté pour envoyer.",
  export_not_ready: "La synthèse n'est pas encore prête.",
};

/** The server's message when it has one, else a French text for the code. */
export function sendErrorMessage(code: string, message: string | null | undefined): string {
  return message || SEND_ERRORS[code] || "Envoi impossible.";
}
