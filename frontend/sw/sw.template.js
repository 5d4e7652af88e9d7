/* Service worker: caches the application shell only (index page + built assets), and shows
 * Web Push notices. Never caches or intercepts /api/ (health data, session) nor /ws/ (realtime):
 * what the app shows offline comes from its IndexedDB cache (src/offline/cache.ts), which is
 * wiped at sign-out.
 * Generated at build time from frontend/sw/sw.template.js. */
const VERSION = __VERSION__;
const BASE = __BASE__;
const PRECACHE = __PRECACHE__;
const CACHE = "app-shell-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((u) => new Request(u, { credentials: "same-origin", cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("app-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isExcluded(url) {
  return (
    url.origin !== self.location.origin ||
    url.pathname.startsWith("/api/") ||
    url.pathname.startsWith("/ws/") ||
    url.pathname.startsWith("/admin") ||
    url.pathname === "/healthz" ||
    url.pathname === "/readyz" ||
    url.pathname === "/metrics"
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (isExcluded(url)) return; // straight to the network, never cached

  if (request.mode === "navigate") {
    // Client-side routes all render the same index: network first, cached shell when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && response.headers.get("content-type")?.includes("text/html")) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put("/", copy));
          }
          return response;
        })
        .catch(() => caches.match("/").then((r) => r || Response.error())),
    );
    return;
  }

  if (url.pathname.startsWith(BASE) && PRECACHE.includes(url.pathname)) {
    // Hashed, immutable shell files: cache first.
    event.respondWith(caches.match(url.pathname).then((cached) => cached || fetch(request)));
  }
});

/* Web Push: the server sends {title, url, tag} and nothing else (« Nouveau message de Dr … »);
 * only the title is shown, never a body, whatever a payload might carry. */
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const title = typeof data.title === "string" && data.title ? data.title.slice(0, 120) : "Nouveau message";
  const url = typeof data.url === "string" && /^\/conversations\/[\w-]+$/.test(data.url) ? data.url : "/";
  const tag = typeof data.tag === "string" ? data.tag.slice(0, 80) : undefined;
  event.waitUntil(
    self.registration.showNotification(title, {
      tag,
      renotify: !!tag,
      icon: "/static/icons/icon-192.png",
      data: { url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const mine = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (!mine) return self.clients.openWindow(url);
      return mine
        .focus()
        .then(() => mine.navigate(url))
        .catch(() => undefined);
    }),
  );
});
