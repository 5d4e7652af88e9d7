/**
 * Reconnection delays: exponential backoff with "equal jitter", capped at 30 s.
 * attempt 0 -> 0.5..1 s, 1 -> 1..2 s, 2 -> 2..4 s ... capped to 15..30 s.
 * The jitter spreads reconnections of many tabs after a server restart.
 */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 30_000;

export function backoffDelay(attempt: number, random: () => number = Math.random, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS): number {
  const exp = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  const half = exp / 2;
  return Math.round(half + random() * half);
}
