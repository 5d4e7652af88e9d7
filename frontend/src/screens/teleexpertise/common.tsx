import type { TeRequest } from "../../api/teleexpertise";
import { ApiError } from "../../api/http";
import { teStatusLabel } from "../../lib/format";

export function StatusBadges({ request }: { request: Pick<TeRequest, "status" | "overdue" | "urgency"> }) {
  return (
    <span class="te-badges">
      <span class={`status-badge status-${request.status}`} data-testid="te-status" data-status={request.status}>
        {teStatusLabel(request.status)}
      </span>
      {request.urgency === "urgent" && <span class="status-badge status-urgent">Urgente</span>}
      {request.overdue && (
        <span class="status-badge status-overdue" data-testid="te-overdue">
          En retard
        </span>
      )}
    </span>
  );
}

export function errorMessage(err: unknown, fallback: string): string {
  if (err instanceof ApiError) return err.message;
  return fallback;
}

export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p class="field-error" id={id}>
      {message}
    </p>
  );
}
