import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { SignInMethods } from "../api/types";
import { login, session } from "../state/session";
import { useStore } from "../state/store";

export function LoginScreen() {
  const reason = useStore(session, (s) => s.reason);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState("");
  const [needOtp, setNeedOtp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(reason);
  const [locked, setLocked] = useState(false);
  const [fields, setFields] = useState<Record<string, string[]>>({});
  const otpRef = useRef<HTMLInputElement>(null);
  const userRef = useRef<HTMLInputElement>(null);
  const [methods, setMethods] = useState<SignInMethods | null>(null);

  useEffect(() => {
    userRef.current?.focus();
    api
      .signInMethods()
      .then(setMethods)
      .catch(() => setMethods(null));
  }, []);
  useEffect(() => {
    if (needOtp) otpRef.current?.focus();
  }, [needOtp]);

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setLocked(false);
    setFields({});
    try {
      await login(username.trim(), password, needOtp ? otp.replace(/\s+/g, "") : undefined);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.code === "otp_required") {
          setNeedOtp(true);
          setError(null);
        } else {
          if (err.code === "otp_invalid") {
            setNeedOtp(true);
            setOtp("");
            otpRef.current?.focus();
          }
          if (err.code === "locked_out" || err.status === 429) setLocked(true);
          setError(err.message);
          setFields(err.fields);
        }
      } else {
        setError("Connexion impossible. Réessayez.");
      }
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (name: string) =>
    fields[name]?.length ? (
      <p class="field-error" id={`login-${name}-error`}>
        {fields[name].join(" ")}
      </p>
    ) : null;

  return (
    <main class="login-page">
      <form class="login-card" onSubmit={onSubmit} data-testid="login-form" aria-busy={busy} noValidate>
        <div class="login-brand">
          <img src="/static/icons/icon.svg" alt="" width={48} height={48} />
          <h1>Liaison Santé</h1>
        </div>
        <p class="muted">Messagerie sécurisée des professionnels de santé. Connectez-vous avec votre identifiant professionnel.</p>

        {error && (
          <div class={locked ? "alert alert-warning" : "alert alert-error"} role="alert" data-testid="login-error">
            {error}
          </div>
        )}

        {methods?.psc && (
          <div class="psc-signin">
            <a class="btn btn-primary btn-block psc-button" href={methods.psc_start_url} data-testid="psc-login">
              Se connecter avec Pro Santé Connect
            </a>
            <p class="help">Avec votre carte CPS ou l'application e-CPS.</p>
            <p class="login-separator" aria-hidden="true">
              <span>ou</span>
            </p>
            {methods.psc_required_for_rpps && (
              <p class="help">
                Identifiant et mot de passe : réservés aux comptes sans numéro RPPS (secrétariat, facturation, administration).
              </p>
            )}
          </div>
        )}

        <div class="field">
          <label for="login-username">Identifiant</label>
          <input
            id="login-username"
            ref={userRef}
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            aria-invalid={!!fields.username}
            aria-describedby={fields.username ? "login-username-error" : undefined}
            data-testid="login-username"
          />
          {fieldError("username")}
        </div>

        <div class="field">
          <label for="login-password">Mot de passe</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-invalid={!!fields.password}
            aria-describedby={fields.password ? "login-password-error" : undefined}
            data-testid="login-password"
          />
          {fieldError("password")}
        </div>

        {needOtp && (
          <div class="field">
            <label for="login-otp">Code de vérification (application d'authentification)</label>
            <input
              id="login-otp"
              ref={otpRef}
              name="otp"
              inputMode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9 ]*"
              maxLength={8}
              required
              value={otp}
              onInput={(e) => setOtp(e.currentTarget.value)}
              aria-describedby="login-otp-help"
              aria-invalid={!!fields.otp}
              data-testid="login-otp"
            />
            <p class="help" id="login-otp-help">
              Saisissez le code à 6 chiffres affiché par votre application.
            </p>
            {fieldError("otp")}
          </div>
        )}

        <button
          type="submit"
          class={methods?.psc ? "btn btn-secondary btn-block" : "btn btn-primary btn-block"}
          disabled={busy}
          data-testid="login-submit"
        >
          {busy ? "Connexion…" : "Se connecter"}
        </button>
      </form>
    </main>
  );
}
