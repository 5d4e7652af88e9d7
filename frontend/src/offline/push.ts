/**
 * Web Push on this browser: after the user allowed notifications, the service worker subscribes
 * with the server's VAPID key and the server is told the subscription (bound to this session).
 * The notices say « Nouveau message de Dr … » only (the server never puts more in them).
 *
 * At sign-out the browser's subscription is dropped and the notifications still on screen are
 * closed: the next person on a shared PC sees nothing of the previous one (the server also
 * deletes the subscriptions of a session that ends).
 */
import { pushApi, type BrowserSubscriptionJSON, type PushApi } from "../api/push";

interface PushEnv {
  api: PushApi;
  registration: () => Promise<ServiceWorkerRegistration | null>;
  permission: () => NotificationPermission | "unsupported";
}

function browserEnv(): PushEnv {
  return {
    api: pushApi,
    registration: async () => {
      if (typeof navigator === "undefined" || !("serviceWorker" in navigator) || typeof PushManager === "undefined") return null;
      try {
        return (await navigator.serviceWorker.getRegistration("/")) ?? null;
      } catch {
        return null;
      }
    },
    permission: () => (typeof Notification === "undefined" ? "unsupported" : Notification.permission),
  };
}

let env: PushEnv = browserEnv();

/** Tests: another environment. */
export function setPushEnv(other: Partial<PushEnv>): void {
  env = { ...browserEnv(), ...other };
}

export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function sameKey(sub: PushSubscription, key: Uint8Array): boolean {
  const current = sub.options?.applicationServerKey;
  if (!current) return false;
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

/**
 * Subscribes this browser (or renews its subscription for the signed-in session). Returns
 * whether the server now pushes to it; never throws (no push service, no permission, offline).
 */
export async function refreshPush(): Promise<boolean> {
  if (env.permission() !== "granted") return false;
  try {
    const registration = await env.registration();
    if (!registration) return false;
    const { public_key } = await env.api.config();
    const key = base64UrlToBytes(public_key);
    let sub = await registration.pushManager.getSubscription();
    if (sub && !sameKey(sub, key)) {
      await sub.unsubscribe(); // the server's key changed: the old subscription is useless
      sub = null;
    }
    sub = sub ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
    await env.api.subscribe(sub.toJSON() as BrowserSubscriptionJSON);
    return true;
  } catch {
    return false;
  }
}

/** Sign-out: this browser stops receiving, and what is on screen goes. */
export async function forgetDevice(): Promise<void> {
  try {
    const registration = await env.registration();
    if (!registration) return;
    for (const n of await registration.getNotifications()) n.close();
    const sub = await registration.pushManager.getSubscription();
    await sub?.unsubscribe();
  } catch {
    /* nothing subscribed */
  }
}
