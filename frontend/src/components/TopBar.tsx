import { useEffect, useState } from "preact/hooks";
import { teApi } from "../api/teleexpertise";
import type { Me, PscSummary } from "../api/types";
import { notificationPermission, requestNotificationPermission } from "../lib/notify";
import { refreshPush } from "../offline/push";
import { personName } from "../lib/people";
import { hasClinical, homePath, navItems, sectionOf } from "../lib/roles";
import { linkClick } from "../lib/router";
import { logout } from "../state/session";
import { onTeleexpertiseUpdated } from "../state/teleexpertise";

/** Received requests waiting for an answer: the badge on « Téléexpertise ». */
function usePendingRequests(enabled: boolean): number {
  const [pending, setPending] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let alive = true;
    const load = () =>
      teApi
        .pending()
        .then((r) => alive && setPending(r.pending))
        .catch(() => undefined);
    void load();
    const off = onTeleexpertiseUpdated(() => void load());
    return () => {
      alive = false;
      off();
    };
  }, [enabled]);
  return pending;
}

export function TopBar({ me, path = "/" }: { me: Me; path?: string }) {
  const [perm, setPerm] = useState(notificationPermission());
  const [busy, setBusy] = useState(false);
  const org = me.organizations[0]?.name ?? null;
  const home = homePath(me);
  const items = navItems(me);
  const current = sectionOf(path);
  const pending = usePendingRequests(hasClinical(me));
  return (
    <header class="topbar" data-testid="topbar">
      <a href={home} class="brand" aria-label="Liaison Santé — accueil" onClick={(e) => linkClick(e, home)}>
        <img src="/static/icons/icon.svg" alt="" width={28} height={28} />
        <span class="brand-text">Liaison Santé</span>
      </a>
      {items.length > 1 && (
        <nav class="mainnav" aria-label="Navigation principale" data-testid="main-nav">
          {items.map((it) => (
            <a
              key={it.section}
              href={it.href}
              class="mainnav-link"
              aria-current={it.section === current ? "page" : undefined}
              onClick={(e) => linkClick(e, it.href)}
              data-testid={`nav-${it.section}`}
            >
              {it.label}
              {it.section === "teleexpertise" && pending > 0 && (
                <span class="nav-badge" data-testid="nav-te-badge" aria-label={`${pending} demande(s) reçue(s) à traiter`}>
                  {pending}
                </span>
              )}
            </a>
          ))}
        </nav>
      )}
      <div class="topbar-right">
        {perm === "default" && (
          <button
            type="button"
            class="btn btn-ghost btn-small hide-narrow"
            onClick={async () => {
              const answer = await requestNotificationPermission();
              setPerm(answer);
              if (answer === "granted") void refreshPush(); // Web Push: told even when the app is closed
            }}
            data-testid="enable-notifications"
          >
            Activer les notifications
          </button>
        )}
        <div class="whoami">
          <span class="whoami-name" data-testid="topbar-user">
            {personName({ display_name: me.display_name, title: me.title })}
          </span>
          {org && (
            <span class="whoami-org" data-testid="topbar-org">
              {org}
            </span>
          )}
        </div>
        {hasClinical(me) && (
          <a
            href="/test-reseau"
            class="topbar-echo-link"
            title="Tester ma caméra et mon réseau"
            aria-current={path === "/test-reseau" ? "page" : undefined}
            onClick={(e) => linkClick(e, "/test-reseau")}
            data-testid="nav-network-test"
          >
            <span class="topbar-echo-icon" aria-hidden="true" />
            <span class="topbar-echo-text">Tester caméra et réseau</span>
          </a>
        )}
        {me.psc && <PscExercices summary={me.psc} />}
        <button
          type="button"
          class="btn btn-secondary btn-small logout-button"
          aria-label="Se déconnecter"
          title="Se déconnecter"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await logout();
          }}
          data-testid="logout-button"
        >
          <svg class="logout-icon" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
            <path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10" />
          </svg>
          <span class="logout-text">Se déconnecter</span>
        </button>
      </div>
    </header>
  );
}

/** The exercices Pro Santé Connect asserted at sign-in; sites the platform does not match are
 * marked (the organisation's administrators were told). */
function PscExercices({ summary }: { summary: PscSummary }) {
  const mismatches = new Set(summary.mismatches);
  return (
    <details class="psc-exercices" data-testid="psc-exercices">
      <summary>Exercices (Pro Santé Connect)</summary>
      <div class="psc-exercices-panel">
        {summary.exercices.length === 0 && <p>Aucun exercice transmis par Pro Santé Connect.</p>}
        {summary.exercices.map((ex, i) => (
          <ul key={i}>
            {ex.sites.map((site) => (
              <li key={site.finess} class={mismatches.has(site.finess) ? "psc-mismatch" : undefined}>
                {site.name || "Structure"} — FINESS {site.finess}
                {site.city ? ` (${site.city})` : ""}
                {mismatches.has(site.finess) && " : pas de rattachement sur Liaison Santé (signalé à l'administrateur)"}
              </li>
            ))}
          </ul>
        ))}
        {summary.mismatches.some((f) => !summary.exercices.some((ex) => ex.sites.some((s) => s.finess === f))) && (
          <p class="psc-mismatch">Un de vos rattachements n'est pas confirmé par Pro Santé Connect : votre administrateur a été prévenu.</p>
        )}
      </div>
    </details>
  );
}
