import type { PresenceStatus } from "../api/types";
import { initials } from "../lib/people";

const PRESENCE_LABEL: Record<PresenceStatus, string> = {
  online: "en ligne",
  away: "absent",
  offline: "hors ligne",
};

export function PresenceDot({ status }: { status: PresenceStatus | undefined }) {
  if (!status) return null;
  return (
    <span class={`presence presence-${status}`} role="img" aria-label={PRESENCE_LABEL[status]} title={PRESENCE_LABEL[status]} data-testid="presence-dot" data-status={status} />
  );
}

export function Avatar({ name, presence, group }: { name: string; presence?: PresenceStatus; group?: boolean }) {
  return (
    <span class={`avatar${group ? " avatar-group" : ""}`} aria-hidden={presence ? undefined : "true"}>
      <span aria-hidden="true">{group ? "👥" : initials(name)}</span>
      <PresenceDot status={presence} />
    </span>
  );
}
