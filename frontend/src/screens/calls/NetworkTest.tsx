/** /test-reseau — « Tester ma caméra et mon réseau ». */
import "../../styles/calls.css";
import { useEffect, useRef, useState } from "preact/hooks";
import { EchoTest, rttVerdict, type EchoResult } from "../../calls/echo";
import { VideoTile } from "./VideoTile";

type Status = "idle" | "running" | "done";

export function NetworkTestScreen() {
  const [status, setStatus] = useState<Status>("idle");
  const [step, setStep] = useState("");
  const [local, setLocal] = useState<MediaStream | null>(null);
  const [remote, setRemote] = useState<MediaStream | null>(null);
  const [rtt, setRtt] = useState<number | null>(null);
  const [result, setResult] = useState<EchoResult | null>(null);
  const test = useRef<EchoTest | null>(null);

  useEffect(() => () => test.current?.stop(), []);

  async function start() {
    test.current?.stop();
    setLocal(null);
    setRemote(null);
    setRtt(null);
    setResult(null);
    setStatus("running");
    const t = new EchoTest({ onStep: setStep, onLocal: setLocal, onRemote: setRemote, onRtt: setRtt });
    test.current = t;
    const r = await t.run();
    if (test.current !== t) return;
    if (!r.ok) {
      setLocal(null);
      setRemote(null);
    }
    if (r.rttMs !== null) setRtt(r.rttMs);
    setResult(r);
    setStatus("done");
  }

  function stop() {
    test.current?.stop();
    test.current = null;
    setLocal(null);
    setRemote(null);
    setStatus("idle");
    setStep("");
  }

  return (
    <div class="page echo-page" data-testid="network-test">
      <h1>Tester ma caméra et mon réseau</h1>
      <p class="echo-intro">
        Ce test vérifie que votre caméra fonctionne et que votre réseau laisse passer les appels vidéo : votre image part vers le serveur, qui vous la
        renvoie. Rien n'est enregistré.
      </p>
      <div class="echo-actions">
        <button type="button" class="btn btn-primary" onClick={() => void start()} disabled={status === "running"} data-testid="echo-start">
          {status === "idle" ? "Lancer le test" : status === "running" ? "Test en cours…" : "Relancer le test"}
        </button>
        {status !== "idle" && (
          <button type="button" class="btn btn-secondary" onClick={stop} data-testid="echo-stop">
            Arrêter
          </button>
        )}
      </div>
      <div class="echo-videos">
        <figure>
          <VideoTile stream={local} muted mirror testId="echo-local-video" label="Votre caméra" />
          <figcaption>Votre caméra</figcaption>
        </figure>
        <figure>
          <VideoTile stream={remote} muted testId="echo-remote-video" label="Image renvoyée par le serveur" />
          <figcaption>Image renvoyée par le serveur</figcaption>
        </figure>
      </div>
      <p class="echo-rtt" data-testid="echo-rtt" aria-live="polite">
        Temps aller-retour : <strong>{rtt !== null ? `${rtt} ms` : "—"}</strong>
      </p>
      {status === "running" && (
        <p class="echo-step" role="status">
          {step}
        </p>
      )}
      {result && (
        <div class={`alert ${result.ok ? "alert-success" : "alert-error"} echo-result`} role={result.ok ? "status" : "alert"} data-testid="echo-result" data-ok={result.ok ? "true" : "false"}>
          <strong>{result.message}</strong>
          {result.ok && result.rttMs !== null && <span> {rttVerdict(result.rttMs)}</span>}
        </div>
      )}
    </div>
  );
}
