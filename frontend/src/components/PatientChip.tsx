import type { PatientRef } from "../api/types";
import { bornOn, statusWord } from "../lib/identity";

/**
 * The identity chip of a conversation's patient: birth name, first name, birth date and the
 * identity status (provisoire, récupérée, validée, qualifiée). A button: it opens the patient
 * panel (change, detach, « Écrire à ce patient »).
 */
export function PatientChip({ patient, onOpen }: { patient: PatientRef; onOpen: () => void }) {
  const born = bornOn(patient.sex, patient.birth_date);
  return (
    <button
      type="button"
      class="patient-chip"
      onClick={onOpen}
      aria-label={`Patient : ${patient.birth_name} ${patient.first_name}, ${born}, identité ${statusWord(patient.identity_status)}. Ouvrir le patient`}
      data-testid="patient-chip"
      data-status={patient.identity_status}
    >
      <span class="patient-chip-name">
        <strong data-testid="patient-chip-birth-name">{patient.birth_name}</strong> <span data-testid="patient-chip-first-name">{patient.first_name}</span>
      </span>
      <span class="patient-chip-born" data-testid="patient-chip-birth-date">
        {born}
      </span>
      <span class={`identity-status identity-${patient.identity_status.toLowerCase()}`} data-testid="patient-chip-status">
        {statusWord(patient.identity_status)}
      </span>
    </button>
  );
}
