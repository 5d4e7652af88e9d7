/** How often a synthesis being rendered, and a sent synthesis's delivery, are checked again. */
export const POLL_MS = 2000;
