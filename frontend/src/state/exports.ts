/**
 * Live synthesis exports: the chat socket forwards `export.updated` frames here, and the
 * synthesis dialog also polls GET /api/exports/{id}. Both feed the same reducer, which never
 * goes backwards (a late poll answer cannot undo a newer frame).
 */
import type { Export, ExportStatus } from "../api/exports";

type Listener = (e: Export) => void;
const listeners = new Set<Listener>();

export function onExportUpdated(l: Listener): () => void {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
}

export function emitExportUpdated(value: unknown): void {
  if (!value || typeof value !== "object" || !("id" in value) || !("status" in value)) return;
  for (const l of [...listeners]) l(value as Export);
}

const RANK: Record<ExportStatus, number> = { queued: 0, running: 1, done: 2, failed: 2 };

export function isTerminal(e: Pick<Export, "status"> | null | undefined): boolean {
  return !!e && (e.status === "done" || e.status === "failed");
}

export function clampProgress(p: unknown): number {
  const n = Number(p);
  if (!Number.isFinite(n)) return 0;
  return Math.max(0, Math.min(100, Math.round(n)));
}

/**
 * Next state of the followed export given an update (frame or poll answer).
 * Updates for another export are ignored; a finished export stays finished; progress only grows.
 */
export function reduceExport(current: Export | null, update: Export): Export | null {
  if (current && String(current.id) !== String(update.id)) return current;
  const next: Export = { ...update, progress: update.status === "done" ? 100 : clampProgress(update.progress) };
  if (!current) return next;
  const rc = RANK[current.status] ?? 0;
  const rn = RANK[next.status] ?? 0;
  if (rn < rc) return current;
  if (rc === 2) return current; // terminal: later updates cannot change it
  if (rn === rc && next.progress < current.progress) return { ...next, progress: current.progress };
  return next;
}

export function exportStatusLabel(e: Pick<Export, "status" | "progress">): string {
  switch (e.status) {
    case "queued":
      return "En attente de génération…";
    case "running":
      return `Génération en cours : ${clampProgress(e.progress)} %`;
    case "done":
      return "Synthèse prête.";
    case "failed":
      return "La génération a échoué.";
    default:
      return String(e.status);
  }
}
