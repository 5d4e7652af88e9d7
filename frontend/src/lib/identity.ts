/** A patient's identity as shown beside a conversation (DOMAIN.md: strict traits and status). */

export type IdentityStatus = "PROV" | "RECUP" | "VALI" | "QUAL";

const STATUS: Record<IdentityStatus, string> = {
  PROV: "provisoire",
  RECUP: "récupérée",
  VALI: "validée",
  QUAL: "qualifiée",
};

/** « qualifiée », « provisoire »… (the identity status in one word). */
export function statusWord(status: string | undefined): string {
  return STATUS[status as IdentityStatus] ?? "provisoire";
}

/** « 14/03/1985 » from an ISO date, without any time zone shift. */
export function frenchDate(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split("-");
  return y && m && d ? `${d}/${m}/${y}` : iso;
}

/** « née le 14/03/1985 » / « né le … ». */
export function bornOn(sex: string | undefined, iso: string): string {
  return `${sex === "F" ? "née" : "né"} le ${frenchDate(iso)}`;
}

/** What a search box holds: an INS (15 characters), a birth date (JJ/MM/AAAA), or a name. */
export function patientQuery(raw: string): { ins?: string; birth_date?: string; q?: string } {
  const text = raw.trim();
  const compact = text.replace(/[\s.-]/g, "").toUpperCase();
  if (/^[0-9][0-9AB]{12,14}$/.test(compact) && compact.length === 15) return { ins: compact };
  const date = text.match(/(\d{1,2})\/(\d{1,2})\/(\d{4})/);
  if (date) {
    const rest = text.replace(date[0], "").trim();
    const birth_date = `${date[3]}-${date[2].padStart(2, "0")}-${date[1].padStart(2, "0")}`;
    return rest ? { birth_date, q: rest } : { birth_date };
  }
  return text ? { q: text } : {};
}
