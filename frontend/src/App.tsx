import type { ComponentChildren } from "preact";
import { TopBar } from "./components/TopBar";
import { matchPath, usePath } from "./lib/router";
import { LoginScreen } from "./screens/Login";
import { MessagingScreen } from "./screens/Messaging";
import { getChat, session } from "./state/session";
import { useStore } from "./state/store";

/**
 * Route table. Later features add entries here (e.g. "/teleexpertise", "/teleexpertise/:id",
 * "/appels", "/facturation", "/annuaire") with their own screen under src/screens/.
 */
export function App() {
  const state = useStore(session);
  const path = usePath();

  if (state.status === "loading") {
    return (
      <div class="splash" role="status" aria-live="polite">
        Chargement…
      </div>
    );
  }
  if (state.status === "anonymous" || !state.me) return <LoginScreen />;

  const me = state.me;
  const chat = getChat();
  let screen: ComponentChildren;
  const conv = matchPath("/conversations/:id", path);
  if (conv) screen = <MessagingScreen chat={chat} me={me} conversationId={conv.id} />;
  else screen = <MessagingScreen chat={chat} me={me} conversationId={null} />;

  return (
    <div class="app">
      <a class="skip-link" href="#main">
        Aller au contenu
      </a>
      <TopBar me={me} />
      <main id="main" class="app-main">
        {screen}
      </main>
    </div>
  );
}
