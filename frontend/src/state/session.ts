/** Who is signed in, and the chat controller that lives as long as the session. */
import { api } from "../api/endpoints";
import { ApiError, http } from "../api/http";
import type { Me } from "../api/types";
import { notifyIncoming } from "../lib/notify";
import { navigate } from "../lib/router";
import { IdbCache, type CachedSession, type OfflineCache } from "../offline/cache";
import { forgetDevice, refreshPush } from "../offline/push";
import { followUnread } from "../offline/unread";
import { ChatController } from "./chat";
import { Store } from "./store";
import { emitExportUpdated } from "./exports";
import { emitTeleexpertiseUpdated } from "./teleexpertise";

export interface SessionState {
  status: "loading" | "anonymous" | "authenticated";
  me: Me | null;
  /** Shown on the sign-in screen after an involuntary sign-out. */
  reason: string | null;
  /** Opened from this device's cache, the server out of reach: « Hors ligne » until it answers. */
  offline: boolean;
}

export const session = new Store<SessionState>({ status: "loading", me: null, reason: null, offline: false });

/** How long `/api/me` may take before an offline start uses the cache (a phone in a lift)... */
export const ME_TIMEOUT_MS = 5000;
/** ... and, with nothing cached, before the sign-in page says the server does not answer. */
export const ME_TIMEOUT_NO_CACHE_MS = 20_000;
/** A device cache that does not answer (a stuck IndexedDB) counts as empty after this. */
export const CACHE_TIMEOUT_MS = 3000;
/** While offline, how often the session is checked again (besides the `online` event). */
export const REVALIDATE_EVERY_MS = 15_000;

let cache: OfflineCache = new IdbCache();
let chat: ChatController | null = null;
let stopFollowing: (() => void) | null = null;
let revalidateTimer: ReturnType<typeof setInterval> | null = null;

/** Tests: another cache (in memory). */
export function useOfflineCache(other: OfflineCache): void {
  cache = other;
}

export function getChat(): ChatController {
  if (!chat) throw new Error("no session");
  return chat;
}

function hidden(): boolean {
  return typeof document !== "undefined" && document.visibilityState === "hidden";
}

function onVisibility(): void {
  chat?.visibilityChanged();
}

async function startChat(me: Me): Promise<void> {
  stopChat(false);
  const cached = await withTimeout(cache.chat(me.id), CACHE_TIMEOUT_MS).catch(() => null);
  chat = new ChatController({
    api,
    meId: me.id,
    cache,
    cached,
    isHidden: hidden,
    isVisible: () => document.visibilityState === "visible" && document.hasFocus(),
    onIncoming: (message) => notifyIncoming(message, () => navigate(`/conversations/${encodeURIComponent(String(message.conversation))}`)),
    onAuthLost: () => void checkSession(),
    onSessionEnded: (_reason, message) => {
      void signedOut(message);
      navigate("/", { replace: true });
    },
    onTeleexpertiseUpdated: emitTeleexpertiseUpdated,
    onExportUpdated: emitExportUpdated,
  });
  stopFollowing = followUnread(chat.store);
  document.addEventListener("visibilitychange", onVisibility);
  chat.start();
}

function stopChat(clearOutbox: boolean): void {
  chat?.stop(clearOutbox);
  chat = null;
  stopFollowing?.();
  stopFollowing = null;
  if (typeof document !== "undefined") document.removeEventListener("visibilitychange", onVisibility);
}

function expiry(me: Me): number | null {
  const at = me.session_expires_at ? Date.parse(me.session_expires_at) : NaN;
  return Number.isFinite(at) ? at : null;
}

async function remember(me: Me): Promise<void> {
  const previous = await cache.session().catch(() => null);
  // Another user on this browser (a shared PC): nothing of the previous one stays.
  if (previous && String(previous.me.id) !== String(me.id)) await cache.wipe();
  await cache.saveSession({ me, savedAt: Date.now(), expiresAt: expiry(me) });
}

async function signedIn(me: Me): Promise<void> {
  stopRevalidating();
  await remember(me);
  await startChat(me);
  session.set({ status: "authenticated", me, reason: null, offline: false });
  void refreshPush();
}

function startOffline(cached: CachedSession): Promise<void> {
  return startChat(cached.me).then(() => {
    session.set({ status: "authenticated", me: cached.me, reason: null, offline: true });
    startRevalidating();
  });
}

/** Every way out (sign-out, session ended, revoked, expired) forgets what this device kept. */
async function signedOut(reason: string | null): Promise<void> {
  stopRevalidating();
  stopChat(true);
  session.set({ status: "anonymous", me: null, reason, offline: false });
  await Promise.all([cache.wipe(), forgetDevice()]);
}

http.onUnauthorized = (err) => {
  if (session.get().status === "authenticated") void signedOut(err.message || "Votre session a expiré. Veuillez vous reconnecter.");
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ApiError(0, "timeout", "Le serveur ne répond pas.")), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** A cached session still usable offline: not past the server session's end. */
function usable(cached: CachedSession | null, now = Date.now()): cached is CachedSession {
  if (!cached?.me?.id) return false;
  return cached.expiresAt === null || cached.expiresAt > now;
}

export async function bootstrap(): Promise<void> {
  const cached = await withTimeout(cache.session(), CACHE_TIMEOUT_MS).catch(() => null);
  if (cached && !usable(cached)) await cache.wipe(); // the session it belonged to is over
  const fallback = usable(cached) ? cached : null;
  const probe = api.me();
  try {
    // « Chargement… » never lasts: the cache after a short wait, else the sign-in page.
    const me = await withTimeout(probe, fallback ? ME_TIMEOUT_MS : ME_TIMEOUT_NO_CACHE_MS);
    await signedIn(me);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      await signedOut(null);
      void api.csrf().catch(() => undefined); // sets the csrftoken cookie for the login POST
    } else if (fallback) {
      await startOffline(fallback);
      // The slow answer may still come: take it as the revalidation.
      probe.then(
        (me) => void revalidated(me),
        () => undefined,
      );
    } else {
      session.set({ status: "anonymous", me: null, reason: err instanceof Error ? err.message : null, offline: false });
    }
  }
}

async function revalidated(me: Me): Promise<void> {
  const current = session.get();
  if (current.status !== "authenticated" || !current.offline) return;
  if (!current.me || String(current.me.id) !== String(me.id)) {
    await signedOut(null); // the server knows another user in this browser now
    return;
  }
  stopRevalidating();
  await cache.saveSession({ me, savedAt: Date.now(), expiresAt: expiry(me) });
  session.set({ status: "authenticated", me, reason: null, offline: false });
  void refreshPush();
}

/** Offline start: ask the server again until it answers; a revoked session wipes the cache. */
export async function revalidate(): Promise<void> {
  if (!session.get().offline) return;
  try {
    await revalidated(await api.me());
  } catch (err) {
    const me = session.get().me;
    const over = !!me && !usable({ me, savedAt: 0, expiresAt: expiry(me) });
    if ((err instanceof ApiError && err.status === 401) || over) await signedOut("Votre session a expiré. Veuillez vous reconnecter.");
  }
}

const onOnline = (): void => void revalidate();

function startRevalidating(): void {
  stopRevalidating();
  if (typeof window === "undefined") return;
  window.addEventListener("online", onOnline);
  revalidateTimer = setInterval(onOnline, REVALIDATE_EVERY_MS);
}

function stopRevalidating(): void {
  if (typeof window !== "undefined") window.removeEventListener("online", onOnline);
  if (revalidateTimer !== null) clearInterval(revalidateTimer);
  revalidateTimer = null;
}

async function checkSession(): Promise<void> {
  try {
    await api.me();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) await signedOut("Votre session a expiré. Veuillez vous reconnecter.");
  }
}

export async function login(username: string, password: string, otp?: string): Promise<void> {
  const me = await api.login(username, password, otp);
  await signedIn(me);
}

export async function logout(): Promise<void> {
  let pscLogout: string | undefined;
  try {
    pscLogout = (await api.logout())?.psc_logout_url;
  } catch {
    /* signed out locally anyway */
  }
  await signedOut(null);
  if (pscLogout) {
    // Ends the Pro Santé Connect session too (RP-initiated logout); PSC sends the browser back.
    window.location.assign(pscLogout);
    return;
  }
  navigate("/", { replace: true });
}
