/** Who is signed in, and the chat controller that lives as long as the session. */
import { api } from "../api/endpoints";
import { ApiError, http } from "../api/http";
import type { Me } from "../api/types";
import { notifyIncoming } from "../lib/notify";
import { navigate } from "../lib/router";
import { ChatController } from "./chat";
import { Store } from "./store";
import { emitExportUpdated } from "./exports";
import { emitTeleexpertiseUpdated } from "./teleexpertise";

export interface SessionState {
  status: "loading" | "anonymous" | "authenticated";
  me: Me | null;
  /** Shown on the sign-in screen after an involuntary sign-out. */
  reason: string | null;
}

export const session = new Store<SessionState>({ status: "loading", me: null, reason: null });

let chat: ChatController | null = null;

export function getChat(): ChatController {
  if (!chat) throw new Error("no session");
  return chat;
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function startChat(me: Me): void {
  chat?.stop(false);
  chat = new ChatController({
    api,
    meId: me.id,
    storage: safeSessionStorage(),
    isVisible: () => document.visibilityState === "visible" && document.hasFocus(),
    onIncoming: (message) => notifyIncoming(message, () => navigate(`/conversations/${encodeURIComponent(String(message.conversation))}`)),
    onAuthLost: () => void checkSession(),
    onSessionEnded: (_reason, message) => {
      signedOut(message);
      navigate("/", { replace: true });
    },
    onTeleexpertiseUpdated: emitTeleexpertiseUpdated,
    onExportUpdated: emitExportUpdated,
  });
  chat.start();
}

function signedIn(me: Me): void {
  startChat(me);
  session.set({ status: "authenticated", me, reason: null });
}

function signedOut(reason: string | null): void {
  chat?.stop(true);
  chat = null;
  session.set({ status: "anonymous", me: null, reason });
}

http.onUnauthorized = (err) => {
  if (session.get().status === "authenticated") signedOut(err.message || "Votre session a expiré. Veuillez vous reconnecter.");
};

export async function bootstrap(): Promise<void> {
  try {
    const me = await api.me();
    signedIn(me);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      signedOut(null);
      void api.csrf().catch(() => undefined); // sets the csrftoken cookie for the login POST
    } else {
      session.set({ status: "anonymous", me: null, reason: err instanceof Error ? err.message : null });
    }
  }
}

async function checkSession(): Promise<void> {
  try {
    await api.me();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signedOut("Votre session a expiré. Veuillez vous reconnecter.");
  }
}

export async function login(username: string, password: string, otp?: string): Promise<void> {
  const me = await api.login(username, password, otp);
  signedIn(me);
}

export async function logout(): Promise<void> {
  let pscLogout: string | undefined;
  try {
    pscLogout = (await api.logout())?.psc_logout_url;
  } catch {
    /* signed out locally anyway */
  }
  signedOut(null);
  if (pscLogout) {
    // Ends the Pro Santé Connect session too (RP-initiated logout); PSC sends the browser back.
    window.location.assign(pscLogout);
    return;
  }
  navigate("/", { replace: true });
}
