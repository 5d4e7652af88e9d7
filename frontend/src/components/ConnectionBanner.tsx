import type { SocketStatus } from "../ws/socket";

/** Shown while the realtime socket is down (not during the very first connection). */
export function ConnectionBanner({ status, onRetry }: { status: SocketStatus; onRetry: () => void }) {
  if (status !== "reconnecting") return null;
  return (
    <div class="connection-banner" role="status" aria-live="polite" data-testid="connection-banner">
      <span>Connexion perdue — nouvelle tentative…</span>
      <button type="button" class="btn btn-link" onClick={onRetry}>
        Réessayer maintenant
      </button>
    </div>
  );
}
