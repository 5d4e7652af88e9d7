/** Live teleexpertise updates: the chat socket forwards `teleexpertise.updated` frames here. */
import type { Id } from "../api/types";

export interface TeUpdate {
  id: Id;
  status?: string;
  [k: string]: unknown;
}

type Listener = (update: TeUpdate) => void;
const listeners = new Set<Listener>();

export function onTeleexpertiseUpdated(l: Listener): () => void {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
}

export function emitTeleexpertiseUpdated(request: unknown): void {
  if (!request || typeof request !== "object" || !("id" in request)) return;
  for (const l of [...listeners]) l(request as TeUpdate);
}
