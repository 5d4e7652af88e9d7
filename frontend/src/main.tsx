import { render } from "preact";
import { App } from "./App";
import { bootstrap } from "./state/session";
import "./styles.css";

render(<App />, document.getElementById("app")!);
void bootstrap();

if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    const url = `${import.meta.env.BASE_URL}sw.js`;
    // Scope "/" lets the shell load offline at every client-side route; it needs Django to send
    // `Service-Worker-Allowed: /` with /static/sw.js. Without it, fall back to the /static/ scope.
    navigator.serviceWorker.register(url, { scope: "/" }).catch(() => navigator.serviceWorker.register(url).catch(() => undefined));
  });
}
