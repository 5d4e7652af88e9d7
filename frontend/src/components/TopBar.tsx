import { useState } from "preact/hooks";
import type { Me } from "../api/types";
import { notificationPermission, requestNotificationPermission } from "../lib/notify";
import { personName } from "../lib/people";
import { linkClick } from "../lib/router";
import { logout } from "../state/session";

export function TopBar({ me }: { me: Me }) {
  const [perm, setPerm] = useState(notificationPermission());
  const [busy, setBusy] = useState(false);
  const org = me.organizations[0]?.name ?? null;
  return (
    <header class="topbar" data-testid="topbar">
      <a href="/" class="brand" aria-label="Liaison Santé — accueil" onClick={(e) => linkClick(e, "/")}>
        <img src="/static/icons/icon.svg" alt="" width={28} height={28} />
        <span class="brand-text">Liaison Santé</span>
      </a>
      <div class="topbar-right">
        {perm === "default" && (
          <button
            type="button"
            class="btn btn-ghost btn-small hide-narrow"
            onClick={async () => setPerm(await requestNotificationPermission())}
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
        <button
          type="button"
          class="btn btn-secondary btn-small"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await logout();
          }}
          data-testid="logout-button"
        >
          Se déconnecter
        </button>
      </div>
    </header>
  );
}
