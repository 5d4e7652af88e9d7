/**
 * « Tester ma caméra et mon réseau »: camera, then a WebRTC connection to the server's echo
 * peer (non-trickle: the offer is posted once ICE gathering is complete), which sends our video
 * back and echoes data-channel messages, so we can measure the round trip.
 */
import { ApiError, http } from "../api/http";
import { fetchIceServers } from "./manager";
import { medianMs } from "./logic";

export type EchoFailure = "permission" | "no-media" | "unsupported" | "busy" | "server" | "timeout" | "network";

export interface EchoCallbacks {
  onStep?: (step: string) => void;
  onLocal?: (stream: MediaStream) => void;
  onRemote?: (stream: MediaStream) => void;
  onRtt?: (ms: number) => void;
}

export interface EchoResult {
  ok: boolean;
  failure?: EchoFailure;
  message: string;
  rttMs: number | null;
}

export const ECHO_MESSAGES: Record<EchoFailure, string> = {
  permission: "L'accès à la caméra a été refusé. Autorisez la caméra pour ce site dans les réglages du navigateur, puis relancez le test.",
  "no-media": "Aucune caméra n'a été détectée (ou elle est utilisée par une autre application).",
  unsupported: "Ce navigateur ne permet pas les appels vidéo. Utilisez une version récente de Firefox, Chrome, Edge ou Safari.",
  busy: "Le service de test est occupé. Réessayez dans une minute.",
  server: "Le serveur de test n'a pas répondu correctement.",
  timeout: "La connexion n'a pas abouti à temps : votre réseau bloque peut-être les appels vidéo (pare-feu, proxy).",
  network: "Impossible de joindre le serveur. Vérifiez votre connexion.",
};

export function classifyMediaError(err: unknown): EchoFailure {
  const name = err && typeof err === "object" && "name" in err ? String((err as { name: unknown }).name) : "";
  if (name === "NotAllowedError" || name === "SecurityError") return "permission";
  return "no-media";
}

export class EchoTest {
  private pc: RTCPeerConnection | null = null;
  private stream: MediaStream | null = null;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private cancelled = false;

  constructor(private readonly cb: EchoCallbacks = {}, private readonly timeoutMs = 20_000) {}

  stop(): void {
    this.cancelled = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.pc) {
      this.pc.ontrack = null;
      this.pc.close();
    }
    this.pc = null;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
  }

  private fail(failure: EchoFailure, rttMs: number | null = null): EchoResult {
    this.stop();
    return { ok: false, failure, message: ECHO_MESSAGES[failure], rttMs };
  }

  async run(): Promise<EchoResult> {
    const md = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
    if (!md?.getUserMedia || typeof RTCPeerConnection === "undefined") return this.fail("unsupported");

    this.cb.onStep?.("Accès à la caméra…");
    try {
      this.stream = await md.getUserMedia({ video: true, audio: true }).catch((err: unknown) => {
        if (classifyMediaError(err) === "permission") throw err;
        return md.getUserMedia({ video: true });
      });
    } catch (err) {
      return this.fail(classifyMediaError(err));
    }
    if (this.cancelled) return this.fail("timeout");
    if (!this.stream.getVideoTracks().length) return this.fail("no-media");
    this.cb.onLocal?.(this.stream);

    this.cb.onStep?.("Connexion au serveur de test…");
    const iceServers = await fetchIceServers();
    const pc = new RTCPeerConnection({ iceServers: iceServers as RTCIceServer[] });
    this.pc = pc;
    for (const t of this.stream.getTracks()) pc.addTrack(t, this.stream);
    const channel = pc.createDataChannel("echo");

    const remoteVideo = new Promise<void>((resolve) => {
      pc.ontrack = (e) => {
        if (e.track.kind !== "video") return;
        this.cb.onRemote?.(e.streams[0] ?? new MediaStream([e.track]));
        resolve();
      };
    });
    const rtts: number[] = [];
    const pings = new Promise<void>((resolve) => {
      let sent = 0;
      channel.onmessage = (e) => {
        try {
          const msg = JSON.parse(String(e.data)) as { t?: number };
          if (typeof msg.t === "number") {
            const rtt = performance.now() - msg.t;
            rtts.push(rtt);
            this.cb.onRtt?.(medianMs(rtts) ?? Math.round(rtt));
          }
        } catch {
          /* not ours */
        }
        if (rtts.length >= 5) resolve();
      };
      channel.onopen = () => {
        const ping = () => {
          if (channel.readyState !== "open" || sent >= 8 || rtts.length >= 5) return;
          sent += 1;
          channel.send(JSON.stringify({ n: sent, t: performance.now() }));
          this.timers.push(setTimeout(ping, 400));
        };
        ping();
      };
    });

    try {
      await pc.setLocalDescription(await pc.createOffer());
      await this.gatheringComplete(pc, 5000);
      const local = pc.localDescription;
      if (!local) return this.fail("server");
      const answer = await http.post<{ sdp: string; type: RTCSdpType }>("/api/calls/echo", { sdp: local.sdp, type: "offer" });
      if (this.cancelled) return this.fail("timeout");
      await pc.setRemoteDescription({ type: answer.type || "answer", sdp: answer.sdp });
    } catch (err) {
      if (err instanceof ApiError) return this.fail(err.code === "echo_busy" ? "busy" : err.status === 0 ? "network" : "server");
      return this.fail("server");
    }

    this.cb.onStep?.("Mesure du temps de réponse…");
    const timeout = new Promise<"timeout">((resolve) => this.timers.push(setTimeout(() => resolve("timeout"), this.timeoutMs)));
    const outcome = await Promise.race([Promise.all([remoteVideo, pings]).then(() => "ok" as const), timeout]);
    const rttMs = medianMs(rtts);
    if (outcome === "timeout") return this.fail("timeout", rttMs);
    // keep the connection open so the returned video keeps playing; the page stops it on leave
    return { ok: true, message: "Votre caméra et votre réseau fonctionnent.", rttMs };
  }

  private gatheringComplete(pc: RTCPeerConnection, maxMs: number): Promise<void> {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (pc.iceGatheringState === "complete") {
          pc.removeEventListener("icegatheringstatechange", done);
          resolve();
        }
      };
      pc.addEventListener("icegatheringstatechange", done);
      this.timers.push(setTimeout(resolve, maxMs));
    });
  }
}

/** A few words about a round trip, for the verdict. */
export function rttVerdict(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 150) return "Temps de réponse excellent pour la vidéo.";
  if (ms < 400) return "Temps de réponse correct ; la vidéo peut parfois saccader.";
  return "Temps de réponse élevé : la vidéo risque d'être de mauvaise qualité.";
}
