import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import type { Me } from "./api/types";
import { TopBar } from "./components/TopBar";
import { canAccess, hasClinical, homePath, isExpert } from "./lib/roles";
import { matchPath, navigate, usePath } from "./lib/router";
import { JournalScreen } from "./screens/audit/Journal";
import { BillingScreen } from "./screens/billing/Billing";
import { MyActsScreen } from "./screens/billing/MyActs";
import { CallLayer } from "./screens/calls/CallLayer";
import { NetworkTestScreen } from "./screens/calls/NetworkTest";
import { DirectoryScreen } from "./screens/directory/DirectoryScreen";
import { LoginScreen } from "./screens/Login";
import { InboxScreen } from "./screens/inbox/Inbox";
import { MessagingScreen } from "./screens/Messaging";
import { WritePatientScreen } from "./screens/patient/WritePatient";
import { ExpertProfileScreen } from "./screens/teleexpertise/ExpertProfile";
import { NewRequestScreen } from "./screens/teleexpertise/NewRequest";
import { RequestListScreen } from "./screens/teleexpertise/RequestList";
import { RequestPageScreen } from "./screens/teleexpertise/RequestPage";
import { getChat, revalidate, session } from "./state/session";
import { useStore } from "./state/store";

function Forbidden() {
  return (
    <div class="page" data-testid="forbidden">
      <h1>Accès non autorisé</h1>
      <p>Votre rôle ne donne pas accès à cette page.</p>
    </div>
  );
}

/** Route table: path -> screen, with role checks (billing-only users see the billing screen only). */
export function routeScreen(me: Me, path: string): ComponentChildren {
  if (!canAccess(me, path)) return <Forbidden />;
  if (path === "/facturation") return <BillingScreen />;
  if (path === "/journal") return <JournalScreen />;
  if (path === "/teleexpertise/actes") return <MyActsScreen />;
  if (path === "/annuaire") return <DirectoryScreen me={me} createConversation={hasClinical(me) ? (d) => getChat().createConversation(d) : null} />;
  if (path === "/patient/ecrire") return <WritePatientScreen me={me} />;
  if (path === "/mssante") return <InboxScreen />;
  if (path === "/teleexpertise") return <RequestListScreen me={me} />;
  if (path === "/teleexpertise/nouvelle") return <NewRequestScreen />;
  if (path === "/teleexpertise/profil") return isExpert(me) ? <ExpertProfileScreen /> : <Forbidden />;
  if (path === "/test-reseau") return <NetworkTestScreen />;
  const te = matchPath("/teleexpertise/:id", path);
  if (te) return <RequestPageScreen key={te.id} me={me} id={te.id} />;
  const chat = getChat();
  const conv = matchPath("/conversations/:id", path);
  if (conv) return <MessagingScreen chat={chat} me={me} conversationId={conv.id} />;
  return <MessagingScreen chat={chat} me={me} conversationId={null} />;
}

export function App() {
  const state = useStore(session);
  const path = usePath();
  const me = state.me;
  const redirectHome = !!me && state.status === "authenticated" && path === "/" && homePath(me) !== "/";

  useEffect(() => {
    if (redirectHome && me) navigate(homePath(me), { replace: true });
  }, [redirectHome, me]);

  if (state.status === "loading") {
    return (
      <div class="splash" role="status" aria-live="polite">
        Chargement…
      </div>
    );
  }
  if (state.status === "anonymous" || !me) return <LoginScreen />;

  const screen = redirectHome ? null : routeScreen(me, path);

  return (
    <div class="app">
      <a class="skip-link" href="#main">
        Aller au contenu
      </a>
      <TopBar me={me} path={path} />
      {state.offline && (
        <div class="offline-banner" role="status" aria-live="polite" data-testid="offline-banner">
          <span>Hors ligne — dernières données gardées sur cet appareil.</span>
          <button
            type="button"
            class="btn btn-link"
            onClick={() => {
              getChat().socket.reconnectNow();
              void revalidate();
            }}
          >
            Réessayer
          </button>
        </div>
      )}
      <main id="main" class="app-main">
        {screen}
      </main>
      {hasClinical(me) && <CallLayer chat={getChat()} me={me} />}
    </div>
  );
}
