import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../../api/http";
import { teApi, type ExpertProfile } from "../../api/teleexpertise";
import { linkClick } from "../../lib/router";
import { errorMessage, FieldError } from "./common";

export function ExpertProfileScreen() {
  const [data, setData] = useState<ExpertProfile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    teApi
      .myProfile()
      .then((r) => setData({ specialty: r.expert.specialty ?? "", description: r.expert.description ?? "", prerequisites: r.expert.prerequisites ?? "", accepting: !!r.expert.accepting }))
      .catch((err) => setError(errorMessage(err, "Chargement impossible.")));
  }, []);

  async function save(e: Event) {
    e.preventDefault();
    if (!data) return;
    setBusy(true);
    setError(null);
    setFields({});
    setSaved(false);
    try {
      await teApi.saveProfile(data);
      setSaved(true);
    } catch (err) {
      setError(errorMessage(err, "Enregistrement impossible."));
      if (err instanceof ApiError) setFields(Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, v[0]])));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="page" data-testid="te-profile">
      <p>
        <a href="/teleexpertise" class="btn btn-link" onClick={(e) => linkClick(e, "/teleexpertise")}>
          ← Mes demandes
        </a>
      </p>
      <h1>Mon profil d'expert</h1>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {saved && (
        <div class="alert alert-success" role="status">
          Profil enregistré.
        </div>
      )}
      {!data && !error && <p class="muted">Chargement…</p>}
      {data && (
        <form class="panel" onSubmit={save}>
          <div class="field">
            <label for="ep-specialty">Spécialité</label>
            <input id="ep-specialty" value={data.specialty} onInput={(e) => setData({ ...data, specialty: e.currentTarget.value })} data-testid="te-profile-specialty" />
            <FieldError id="ep-specialty-error" message={fields.specialty} />
          </div>
          <div class="field">
            <label for="ep-description">Présentation</label>
            <textarea id="ep-description" rows={4} value={data.description} onInput={(e) => setData({ ...data, description: e.currentTarget.value })} data-testid="te-profile-description" />
            <FieldError id="ep-description-error" message={fields.description} />
          </div>
          <div class="field">
            <label for="ep-prereq">Prérequis demandés aux requérants</label>
            <textarea id="ep-prereq" rows={4} value={data.prerequisites} onInput={(e) => setData({ ...data, prerequisites: e.currentTarget.value })} data-testid="te-profile-prerequisites" />
            <FieldError id="ep-prereq-error" message={fields.prerequisites} />
          </div>
          <div class="field">
            <label class="checkbox">
              <input type="checkbox" checked={data.accepting} onChange={(e) => setData({ ...data, accepting: e.currentTarget.checked })} data-testid="te-profile-accepting" /> J'accepte de nouvelles
              demandes
            </label>
          </div>
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={busy} data-testid="te-profile-save">
              Enregistrer
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
