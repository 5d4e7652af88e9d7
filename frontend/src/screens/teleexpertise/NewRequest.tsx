import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../../api/http";
import { teApi, type Expert, type Patient, type QuotaEntry, type TeTeam, type Urgency } from "../../api/teleexpertise";
import type { Attachment } from "../../api/types";
import { Uploader } from "../../components/Uploader";
import { formatDate, identityLabel, quotaLabel, quotaReached, toLocalInput, validateConsent } from "../../lib/format";
import { personName } from "../../lib/people";
import { linkClick, navigate } from "../../lib/router";
import { useDebounced } from "../NewConversation";
import { errorMessage, FieldError } from "./common";

const STEPS = ["Patient", "Expert", "Consentement", "Question"];
const INS_RE = /^[0-9][0-9AB0-9]{12}[0-9]{2}$/i;

export function NewRequestScreen() {
  const [step, setStep] = useState(0);
  const [patient, setPatient] = useState<Patient | null>(null);
  const [expert, setExpert] = useState<Expert | null>(null);
  const [method, setMethod] = useState<"" | "oral" | "written">("");
  const [collectedAt, setCollectedAt] = useState(() => toLocalInput(new Date()));
  const [informed, setInformed] = useState(false);
  const [consentDoc, setConsentDoc] = useState<Attachment[]>([]);
  const [consentErrors, setConsentErrors] = useState<Record<string, string>>({});
  const [consenter, setConsenter] = useState<"patient" | "representative">("patient");
  const [repName, setRepName] = useState("");
  const [repQuality, setRepQuality] = useState("");
  const [question, setQuestion] = useState("");
  const [urgency, setUrgency] = useState<Urgency>("normal");
  const [files, setFiles] = useState<Attachment[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, [step]);

  function go(n: number) {
    setError(null);
    setStep(n);
  }

  /** A consent belongs to one patient: choosing another patient clears what was recorded. */
  function clearConsent() {
    setMethod("");
    setInformed(false);
    setConsentDoc([]);
    setConsenter("patient");
    setRepName("");
    setRepQuality("");
    setCollectedAt(toLocalInput(new Date()));
    setConsentErrors({});
  }

  function nextFromConsent() {
    const errs = validateConsent({ method, collectedAt, informed });
    if (consenter === "representative" && !repName.trim()) errs.representative_name = "Indiquez le nom du représentant légal.";
    if (consenter === "representative" && !repQuality) errs.representative_quality = "Indiquez la qualité du représentant légal.";
    setConsentErrors(errs);
    if (!Object.keys(errs).length) go(3);
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!patient || !expert || busy) return;
    if (!question.trim()) {
      setFieldErrors({ question: "Rédigez votre question à l'expert." });
      return;
    }
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const r = await teApi.create({
        ...(expert.kind === "team" ? { team: expert.id } : { expert: expert.id }),
        patient: patient.id,
        question: question.trim(),
        urgency,
        consent: {
          method: method as "oral" | "written",
          collected_at: new Date(collectedAt).toISOString(),
          ...(consentDoc[0] ? { document: consentDoc[0].id } : {}),
          patient_informed: true,
          patient: patient.id,
          consenter,
          ...(consenter === "representative" ? { representative_name: repName.trim(), representative_quality: repQuality } : {}),
        },
        attachments: files.map((f) => f.id),
      });
      navigate(`/teleexpertise/${encodeURIComponent(String(r.request.id))}`);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError) {
        setError(err.message);
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(err.fields)) flat[k] = v[0];
        setFieldErrors(flat);
        const consentFlat: Record<string, string> = {};
        for (const [k, v] of Object.entries(err.fields)) if (k.startsWith("consent")) consentFlat[k.replace(/^consent\.?/, "") || "method"] = v[0];
        if (Object.keys(consentFlat).length) setConsentErrors(consentFlat);
      } else setError("Envoi impossible.");
    }
  }

  return (
    <div class="page" data-testid="te-new">
      <p>
        <a href="/teleexpertise" class="btn btn-link" onClick={(e) => linkClick(e, "/teleexpertise")}>
          ← Mes demandes
        </a>
      </p>
      <h1>Nouvelle demande de téléexpertise</h1>
      <ol class="stepper" aria-label="Étapes">
        {STEPS.map((s, i) => (
          <li key={s} class={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>
            <span class="step-num">{i + 1}</span> {s}
          </li>
        ))}
      </ol>
      {error && (
        <div class="alert alert-error" role="alert" data-testid="te-error">
          {error}
        </div>
      )}
      <section class="panel">
        <h2 tabIndex={-1} ref={headingRef} class="step-title">
          Étape {step + 1} sur 4 : {STEPS[step]}
        </h2>
        {step === 0 && (
          <PatientStep
            selected={patient}
            onSelect={(p) => {
              if (!patient || String(patient.id) !== String(p.id)) clearConsent();
              setPatient(p);
              setExpert(null);
              go(1);
            }}
          />
        )}
        {step === 1 && patient && (
          <ExpertStep
            patient={patient}
            selected={expert}
            onBack={() => go(0)}
            onSelect={(x) => {
              setExpert(x);
              go(2);
            }}
          />
        )}
        {step === 2 && (
          <div data-testid="te-consent">
            <p class="recap" data-testid="te-consent-patient">
              Consentement de : <strong>{patient?.display_name}</strong>
              {patient?.birth_date ? ` (né·e le ${formatDate(patient.birth_date)})` : ""}
            </p>
            <fieldset class="field">
              <legend>Qui a consenti ?</legend>
              <label class="radio">
                <input type="radio" name="consenter" checked={consenter === "patient"} onChange={() => setConsenter("patient")} data-testid="te-consenter-patient" /> Le patient
              </label>
              <label class="radio">
                <input
                  type="radio"
                  name="consenter"
                  checked={consenter === "representative"}
                  onChange={() => setConsenter("representative")}
                  data-testid="te-consenter-representative"
                />{" "}
                Son représentant légal (mineur, majeur protégé)
              </label>
            </fieldset>
            {consenter === "representative" && (
              <>
                <div class="field">
                  <label for="consent-rep-name">Nom et prénom du représentant légal</label>
                  <input
                    id="consent-rep-name"
                    value={repName}
                    onInput={(e) => setRepName(e.currentTarget.value)}
                    aria-invalid={!!consentErrors.representative_name}
                    aria-describedby={consentErrors.representative_name ? "consent-rep-name-error" : undefined}
                    data-testid="te-consent-rep-name"
                  />
                  <FieldError id="consent-rep-name-error" message={consentErrors.representative_name} />
                </div>
                <div class="field">
                  <label for="consent-rep-quality">Qualité</label>
                  <select
                    id="consent-rep-quality"
                    value={repQuality}
                    onChange={(e) => setRepQuality(e.currentTarget.value)}
                    aria-invalid={!!consentErrors.representative_quality}
                    aria-describedby={consentErrors.representative_quality ? "consent-rep-quality-error" : undefined}
                    data-testid="te-consent-rep-quality"
                  >
                    <option value="">Choisir…</option>
                    <option value="parent">Titulaire de l'autorité parentale</option>
                    <option value="guardian">Tuteur</option>
                    <option value="family">Personne habilitée (habilitation familiale)</option>
                    <option value="curator">Curateur</option>
                  </select>
                  <FieldError id="consent-rep-quality-error" message={consentErrors.representative_quality} />
                </div>
              </>
            )}
            <fieldset class="field" aria-describedby={consentErrors.method ? "consent-method-error" : undefined}>
              <legend>Mode de recueil du consentement</legend>
              <label class="radio">
                <input type="radio" name="consent-method" value="oral" checked={method === "oral"} onChange={() => setMethod("oral")} data-testid="te-consent-oral" /> Oral
              </label>
              <label class="radio">
                <input type="radio" name="consent-method" value="written" checked={method === "written"} onChange={() => setMethod("written")} data-testid="te-consent-written" /> Écrit
              </label>
              <FieldError id="consent-method-error" message={consentErrors.method} />
            </fieldset>
            <div class="field">
              <label for="consent-at">Date et heure du recueil</label>
              <input
                id="consent-at"
                type="datetime-local"
                value={collectedAt}
                max={toLocalInput(new Date(Date.now() + 5 * 60_000))}
                onInput={(e) => setCollectedAt(e.currentTarget.value)}
                aria-invalid={!!consentErrors.collected_at}
                aria-describedby={consentErrors.collected_at ? "consent-at-error" : undefined}
                data-testid="te-consent-date"
              />
              <FieldError id="consent-at-error" message={consentErrors.collected_at} />
            </div>
            <div class="field">
              <label class="checkbox">
                <input
                  type="checkbox"
                  checked={informed}
                  onChange={(e) => setInformed(e.currentTarget.checked)}
                  aria-invalid={!!consentErrors.patient_informed}
                  aria-describedby={consentErrors.patient_informed ? "consent-informed-error" : undefined}
                  required
                  data-testid="te-consent-informed"
                />{" "}
                Le patient a été informé et consent à la téléexpertise
              </label>
              <FieldError id="consent-informed-error" message={consentErrors.patient_informed} />
            </div>
            <Uploader label="Document de consentement scanné (facultatif)" testId="te-consent-document" multiple={false} files={consentDoc} onChange={setConsentDoc} />
            <FieldError id="consent-doc-error" message={consentErrors.document} />
            <div class="form-actions">
              <button type="button" class="btn btn-secondary" onClick={() => go(1)}>
                Précédent
              </button>
              <button type="button" class="btn btn-primary" onClick={nextFromConsent} data-testid="te-consent-next">
                Continuer
              </button>
            </div>
          </div>
        )}
        {step === 3 && patient && expert && (
          <form onSubmit={submit} noValidate>
            <p class="recap">
              Patient : <strong>{patient.display_name}</strong> · {expert.kind === "team" ? "Équipe" : "Expert"} : <strong>{personName(expert)}</strong>
              {expert.kind === "team" ? "" : ` (${expert.specialty})`}
            </p>
            <div class="field">
              <label for="te-question">Question posée à l'expert</label>
              <textarea
                id="te-question"
                rows={6}
                value={question}
                onInput={(e) => setQuestion(e.currentTarget.value)}
                aria-invalid={!!fieldErrors.question}
                aria-describedby={fieldErrors.question ? "te-question-error" : undefined}
                data-testid="te-question"
              />
              <FieldError id="te-question-error" message={fieldErrors.question} />
            </div>
            <fieldset class="field">
              <legend>Urgence</legend>
              <label class="radio">
                <input type="radio" name="urgency" checked={urgency === "normal"} onChange={() => setUrgency("normal")} data-testid="te-urgency-normal" /> Normale
              </label>
              <label class="radio">
                <input type="radio" name="urgency" checked={urgency === "urgent"} onChange={() => setUrgency("urgent")} data-testid="te-urgency-urgent" /> Urgente
              </label>
            </fieldset>
            <Uploader label="Pièces jointes (facultatif)" testId="te-attachments" multiple files={files} onChange={setFiles} />
            {Object.entries(fieldErrors)
              .filter(([k]) => k !== "question")
              .map(([k, v]) => (
                <p key={k} class="field-error">
                  {v}
                </p>
              ))}
            <div class="form-actions">
              <button type="button" class="btn btn-secondary" onClick={() => go(2)}>
                Précédent
              </button>
              <button type="submit" class="btn btn-primary" disabled={busy} data-testid="te-submit">
                {busy ? "Envoi…" : "Envoyer la demande"}
              </button>
            </div>
          </form>
        )}
      </section>
    </div>
  );
}

function PatientStep({ selected, onSelect }: { selected: Patient | null; onSelect: (p: Patient) => void }) {
  const [query, setQuery] = useState("");
  const q = useDebounced(query.trim(), 300);
  const [results, setResults] = useState<Patient[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (q.length < 2) {
      setResults(null);
      setError(null);
      return;
    }
    const ctrl = new AbortController();
    const byIns = /^[0-9]/.test(q) && q.replace(/\s/g, "").length === 15 && INS_RE.test(q.replace(/\s/g, ""));
    if (/^[0-9]/.test(q) && !byIns) {
      setResults(null);
      setError(q.replace(/\s/g, "").length < 15 ? "Saisissez les 15 caractères de l'INS, ou le début du nom de naissance." : "INS invalide.");
      return;
    }
    setError(null);
    teApi
      .patients(byIns ? { ins: q.replace(/\s/g, "") } : { q }, ctrl.signal)
      .then((r) => setResults(r.results))
      .catch((err) => {
        if ((err as { name?: string })?.name !== "AbortError") setError(errorMessage(err, "Recherche impossible."));
      });
    return () => ctrl.abort();
  }, [q]);

  return (
    <div>
      <div class="field">
        <label for="te-patient-search">Rechercher le patient (début du nom de naissance ou INS)</label>
        <input id="te-patient-search" type="search" autocomplete="off" value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="te-patient-search" />
        <p class="help" aria-live="polite">
          {error ?? (results && !results.length ? "Aucun patient trouvé." : q.length < 2 ? "Tapez au moins 2 caractères." : "")}
        </p>
      </div>
      {selected && !results && (
        <p class="recap">
          Patient choisi : <strong>{selected.display_name}</strong>{" "}
          <button type="button" class="btn btn-link" onClick={() => onSelect(selected)}>
            Continuer avec ce patient
          </button>
        </p>
      )}
      {results && !!results.length && (
        <ul class="card-list" aria-label="Patients trouvés">
          {results.map((p) => (
            <li key={String(p.id)}>
              <button type="button" class="card-link card-button" onClick={() => onSelect(p)} data-testid="te-patient-item">
                <span class="card-title">{p.display_name}</span>
                <span class="card-sub">
                  Né(e) le {formatDate(p.birth_date)} · {identityLabel(p.identity_status)}
                  {p.ins ? ` · INS ${p.ins}` : ""}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ExpertStep({ patient, selected, onSelect, onBack }: { patient: Patient; selected: Expert | null; onSelect: (x: Expert) => void; onBack: () => void }) {
  const [query, setQuery] = useState("");
  const [specialty, setSpecialty] = useState("");
  const q = useDebounced(query.trim(), 300);
  const sp = useDebounced(specialty.trim(), 300);
  const [experts, setExperts] = useState<Expert[] | null>(null);
  const [teams, setTeams] = useState<TeTeam[]>([]);
  const [rqd, setRqd] = useState<QuotaEntry | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    setError(null);
    teApi
      .experts({ q, specialty: sp, patient: patient.id }, ctrl.signal)
      .then((r) => {
        setExperts(r.experts);
        setTeams(r.teams ?? []);
        setRqd(r.quota?.RQD);
      })
      .catch((err) => {
        if ((err as { name?: string })?.name !== "AbortError") setError(errorMessage(err, "Recherche impossible."));
      });
    return () => ctrl.abort();
  }, [q, sp, patient.id]);

  return (
    <div>
      <p class="recap">
        Patient : <strong>{patient.display_name}</strong>
      </p>
      {rqd && (
        <p class={`quota${quotaReached(rqd) ? " quota-full" : ""}`} data-testid="te-quota-requester">
          Vos demandes pour ce patient : {quotaLabel(rqd)}
        </p>
      )}
      <div class="filters">
        <div class="field">
          <label for="te-expert-q">Nom de l'expert</label>
          <input id="te-expert-q" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="te-expert-search" />
        </div>
        <div class="field">
          <label for="te-expert-sp">Spécialité</label>
          <input id="te-expert-sp" type="search" value={specialty} onInput={(e) => setSpecialty(e.currentTarget.value)} data-testid="te-expert-specialty" />
        </div>
      </div>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {!experts && !error && <p class="muted">Chargement…</p>}
      {experts && !experts.length && <p class="empty-state">Aucun expert ne correspond à cette recherche.</p>}
      {experts && !!experts.length && (
        <ul class="card-list" aria-label="Experts">
          {experts.map((x) => {
            const te2 = x.quota?.TE2;
            const full = quotaReached(te2);
            return (
              <li key={String(x.id)} class={`expert-card${selected?.id === x.id ? " selected" : ""}`} data-testid="te-expert-item">
                <div class="card-line">
                  <span class="card-title">{personName(x)}</span>
                  {!x.accepting && <span class="status-badge status-declined">N'accepte pas de demande</span>}
                </div>
                <span class="card-sub">
                  {x.specialty}
                  {x.organization ? ` · ${x.organization}` : ""}
                </span>
                {x.description && <p class="expert-desc">{x.description}</p>}
                {x.prerequisites && (
                  <p class="expert-prereq" data-testid="te-expert-prerequisites">
                    <strong>Prérequis :</strong> {x.prerequisites}
                  </p>
                )}
                {te2 && (
                  <p class={`quota${full ? " quota-full" : ""}`} data-testid="te-quota">
                    {quotaLabel(te2)}
                    {full ? " — quota atteint pour ce patient" : ""}
                  </p>
                )}
                <button type="button" class="btn btn-secondary btn-small" disabled={!x.accepting} onClick={() => onSelect(x)} data-testid="te-expert-choose">
                  Choisir cet expert
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {!!teams.length && (
        <>
          <h3>Ou une équipe de spécialité</h3>
          <ul class="card-list" aria-label="Équipes">
            {teams.map((t) => (
              <li key={String(t.id)} class={`expert-card${selected?.id === t.id ? " selected" : ""}`} data-testid="te-team-item">
                <span class="card-title">{t.display_name}</span>
                <span class="card-sub">Un expert de l'équipe prendra en charge la demande ; son secrétariat la voit aussi.</span>
                <button
                  type="button"
                  class="btn btn-secondary btn-small"
                  onClick={() =>
                    onSelect({ id: t.id, kind: "team", display_name: t.display_name, title: null, specialty: t.display_name, description: "", prerequisites: "", accepting: true })
                  }
                  data-testid="te-team-choose"
                >
                  Choisir cette équipe
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <div class="form-actions">
        <button type="button" class="btn btn-secondary" onClick={onBack}>
          Précédent
        </button>
      </div>
    </div>
  );
}
