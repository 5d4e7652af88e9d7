/** Date labels in French for day separators, message times and the conversation list. */

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole calendar days between two dates in local time (DST-safe). */
export function dayDiff(a: Date, b: Date): number {
  return Math.round((startOfDay(a) - startOfDay(b)) / 86_400_000);
}

/** « Aujourd'hui », « Hier », « lundi 3 mars » (this year) or « 3 mars 2023 ». */
export function dayLabel(iso: string | Date, now: Date = new Date()): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  const diff = dayDiff(now, d);
  if (diff === 0) return "Aujourd'hui";
  if (diff === 1) return "Hier";
  if (d.getFullYear() === now.getFullYear()) {
    const s = new Intl.DateTimeFormat("fr-FR", { weekday: "long", day: "numeric", month: "long" }).format(d);
    return s.charAt(0).toUpperCase() + s.slice(1);
  }
  return new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "long", year: "numeric" }).format(d);
}

export function dayKey(iso: string | Date): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** « 14:05 » */
export function timeLabel(iso: string | Date): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  return new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit" }).format(d);
}

/** Conversation list: time today, « Hier », weekday this week, else short date. */
export function shortStamp(iso: string | Date, now: Date = new Date()): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  const diff = dayDiff(now, d);
  if (diff === 0) return timeLabel(d);
  if (diff === 1) return "Hier";
  if (diff > 1 && diff < 7) return new Intl.DateTimeFormat("fr-FR", { weekday: "short" }).format(d);
  return new Intl.DateTimeFormat("fr-FR", { day: "2-digit", month: "2-digit", year: d.getFullYear() === now.getFullYear() ? undefined : "2-digit" }).format(d);
}

/** Groups consecutive messages by calendar day; returns the label to show before index i, or null. */
export function separatorBefore<T extends { created_at: string }>(items: T[], i: number, now: Date = new Date()): string | null {
  const cur = items[i];
  if (!cur) return null;
  if (i === 0 || dayKey(items[i - 1].created_at) !== dayKey(cur.created_at)) return dayLabel(cur.created_at, now);
  return null;
}
