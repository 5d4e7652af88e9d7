/**
 * The patient identity carried by a received XDM, complete: birth name, birth first names, sex,
 * birth date, birth place (INSEE code: no commune table ships with the platform), the INS with
 * its OID and status, and whether it matches a patient of the reader's structures (with the
 * traits that differ, for identity vigilance).
 */
import type { InboxMail, KnownPatient, XdmInfo } from "../../api/inbox";

const INS_LABEL: Record<string, string> = {
  valid: "INS valide",
  invalid_key: "INS invalide (clé)",
  invalid: "INS invalide",
  unknown_oid: "Autorité de l'INS inconnue",
  absent: "Sans INS",
};
const MATCH_LABEL: Record<string, string> = {
  matched: "Patient reconnu dans vos dossiers",
  offer: "Patient inconnu dans vos dossiers : vous pouvez créer son dossier",
  invalid: "Identité invalide : aucun rapprochement",
  none: "",
};
const TRAIT_LABEL: Record<string, string> = {
  birth_name: "nom de naissance",
  first_names: "prénoms de naissance",
  birth_date: "date de naissance",
  sex: "sexe",
  birth_place: "lieu de naissance",
};

function Row({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={`xdm-${id}`}>{value || <span class="muted">non renseigné</span>}</dd>
    </>
  );
}

function Known({ known }: { known: KnownPatient }) {
  return (
    <div class="inbox-xdm-known" data-testid="xdm-known">
      <p>
        Dossier : <strong>{known.birth_name}</strong> {known.first_names.join(" ")}, né(e) le {known.birth_date} —{" "}
        {known.identity_status_label.toLowerCase()}
      </p>
      {known.differences.length > 0 ? (
        <p class="alert-warning" role="alert" data-testid="xdm-differences">
          Traits différents du dossier : {known.differences.map((d) => TRAIT_LABEL[d] ?? d).join(", ")}. Vérifiez l'identité avant de classer.
        </p>
      ) : (
        <p class="muted" data-testid="xdm-coherent">
          Les traits du document concordent avec le dossier.
        </p>
      )}
    </div>
  );
}

export function XdmIdentity({ xdm, mail }: { xdm: XdmInfo; mail: InboxMail }) {
  const oid = xdm.ins_oid ? `${xdm.ins_oid}${xdm.ins_oid_label ? ` (${xdm.ins_oid_label})` : ""}` : "";
  return (
    <section class="inbox-xdm" data-testid="inbox-xdm" aria-label="Identité du patient (XDM)">
      <h3>Document de santé — identité du patient</h3>
      <dl class="inbox-xdm-traits">
        <Row label="Nom de naissance" value={xdm.birth_name} id="birth-name" />
        <Row label="Prénoms de naissance" value={xdm.given_names} id="given-names" />
        <Row label="Premier prénom" value={xdm.first_name ?? ""} id="first-name" />
        <Row label="Sexe" value={xdm.sex_label ?? xdm.sex ?? ""} id="sex" />
        <Row label="Date de naissance" value={xdm.birth_date} id="birth-date" />
        <Row label="Lieu de naissance (code INSEE)" value={xdm.birth_place ?? ""} id="birth-place" />
        <Row label="INS" value={xdm.ins} id="ins" />
        <Row label="OID de l'INS" value={oid} id="ins-oid" />
      </dl>
      <p>
        <strong data-testid="inbox-ins-status">{INS_LABEL[xdm.ins_status] ?? xdm.ins_status}</strong>
        {xdm.ins_problem ? ` — ${xdm.ins_problem}` : ""}
      </p>
      {mail.patient_match && MATCH_LABEL[mail.patient_match] && (
        <p class="muted" data-testid="xdm-match" data-match={mail.patient_match}>
          {MATCH_LABEL[mail.patient_match]}
        </p>
      )}
      {mail.patient_known && <Known known={mail.patient_known} />}
      <ul>
        {xdm.documents.map((d) => (
          <li key={d.uri} data-testid="xdm-document">
            {d.title}
            {/* The document's type (JDV_J07 label): a prescription reads as one. */}
            {d.type_display && d.type_display !== d.title && (
              <span class="muted"> — {d.type_display}</span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
