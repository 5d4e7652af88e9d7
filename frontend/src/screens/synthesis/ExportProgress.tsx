import { type Export } from "../../api/exports";
import { exportStatusLabel } from "../../state/exports";

/** Where the rendering of a synthesis is: queued, running (with its progress), done, failed. */
export function ExportProgress({ exp }: { exp: Export }) {
  const value = exp.status === "done" ? 100 : exp.progress;
  return (
    <div class="synth-progress" data-testid="synthesis-status" data-status={exp.status}>
      <p id="synth-progress-label" role="status" aria-live="polite">
        {exportStatusLabel(exp)}
      </p>
      <div
        class={`progress-track${exp.status === "failed" ? " failed" : ""}`}
        role="progressbar"
        aria-labelledby="synth-progress-label"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        data-testid="synthesis-progress"
      >
        <div class="progress-fill" style={{ width: `${value}%` }} />
      </div>
      {exp.status === "failed" && (
        <p class="field-error" role="alert">
          {exp.error || "Erreur inconnue."}
        </p>
      )}
    </div>
  );
}
