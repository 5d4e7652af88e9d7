/**
 * Runs calls in the browser: listens to the chat socket's call frames, feeds them to the pure
 * state machine (logic.ts), and carries out its effects — local media, one RTCPeerConnection per
 * other participant (full mesh), offers/answers/trickle ICE over `call.signal`, quality stats.
 * Tracks and peer connections are released on hang-up, end of call, or socket loss.
 */
import { http } from "../api/http";
import type { ChatController } from "../state/chat";
import { Store } from "../state/store";
import type { ServerFrame } from "../ws/socket";
import {
  classifyQuality,
  IDLE,
  lossBetween,
  readStats,
  reduceFrame,
  reduceLocal,
  worstQuality,
  type CallEffect,
  type CallUiState,
  type LocalAction,
  type Quality,
  type StatsCounters,
  type Step,
} from "./logic";

export interface RemotePeer {
  user: string;
  stream: MediaStream | null;
  connection: RTCPeerConnectionState | "new";
}

export interface CallState extends CallUiState {
  localStream: MediaStream | null;
  remotes: RemotePeer[];
  micMuted: boolean;
  cameraOff: boolean;
  sharingScreen: boolean;
  canSwitchCamera: boolean;
  /** When we became active in the call (local clock), for the duration. */
  activeSince: number | null;
  quality: Quality | null;
  mediaError: string | null;
}

const INITIAL: CallState = {
  ...IDLE,
  localStream: null,
  remotes: [],
  micMuted: false,
  cameraOff: false,
  sharingScreen: false,
  canSwitchCamera: false,
  activeSince: null,
  quality: null,
  mediaError: null,
};

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

let iceCache: { servers: IceServer[]; until: number } | null = null;

/** ICE servers from the API (cached for their ttl); `[]` when none are configured or on error. */
export async function fetchIceServers(): Promise<IceServer[]> {
  if (iceCache && iceCache.until > Date.now()) return iceCache.servers;
  try {
    const res = await http.get<{ ice_servers?: IceServer[]; ttl?: number }>("/api/calls/ice-servers");
    const servers = Array.isArray(res.ice_servers) ? res.ice_servers : [];
    const ttl = Math.max(0, Number(res.ttl) || 0);
    iceCache = { servers, until: Date.now() + Math.min(ttl, 3600) * 500 };
    return servers;
  } catch {
    return [];
  }
}

/** Camera + microphone, falling back to microphone only, then nothing (receive only). */
export async function getCallMedia(): Promise<{ stream: MediaStream | null; error: string | null }> {
  const md = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
  if (!md?.getUserMedia) return { stream: null, error: "Ce navigateur ne donne pas accès à la caméra." };
  try {
    return { stream: await md.getUserMedia({ audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 } } }), error: null };
  } catch (err) {
    try {
      const audio = await md.getUserMedia({ audio: true });
      return { stream: audio, error: mediaErrorText(err) };
    } catch (err2) {
      return { stream: null, error: mediaErrorText(err2) };
    }
  }
}

export function mediaErrorText(err: unknown): string {
  const name = err && typeof err === "object" && "name" in err ? String((err as { name: unknown }).name) : "";
  if (name === "NotAllowedError" || name === "SecurityError") return "Accès à la caméra ou au micro refusé : autorisez-le dans le navigateur.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "Aucune caméra ou aucun micro détecté.";
  if (name === "NotReadableError") return "La caméra ou le micro est déjà utilisé par une autre application.";
  return "Caméra ou micro indisponible.";
}

interface Peer {
  pc: RTCPeerConnection;
  pending: RTCIceCandidateInit[];
  stats: StatsCounters | null;
}

let refCounter = 0;
function newRef(kind: string): string {
  refCounter += 1;
  return `call:${kind}:${Date.now().toString(36)}:${refCounter}`;
}

export class CallManager {
  readonly store = new Store<CallState>(INITIAL);
  private peers = new Map<string, Peer>();
  private iceServers: IceServer[] = [];
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private cameraTrack: MediaStreamTrack | null = null;
  private screenTrack: MediaStreamTrack | null = null;
  private ringer: { stop: () => void } | null = null;
  private unsubscribe: (() => void)[] = [];
  private mediaPromise: Promise<void> | null = null;

  constructor(
    private readonly chat: Pick<ChatController, "addFrameListener" | "socket" | "store">,
    private readonly meId: string,
  ) {
    this.unsubscribe.push(chat.addFrameListener((f) => this.onFrame(f)));
    let last = chat.store.get().connection;
    this.unsubscribe.push(
      chat.store.subscribe((s) => {
        if (s.connection === last) return;
        last = s.connection;
        if (s.connection !== "open") this.apply(reduceLocal(this.store.get(), { type: "connection-lost" }));
      }),
    );
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.teardown();
    this.ringing(false);
  }

  private get state(): CallState {
    return this.store.get();
  }

  /** The phase now (a method, so TypeScript does not narrow it across awaits). */
  private phase(): CallState["phase"] {
    return this.store.get().phase;
  }

  private onFrame(frame: ServerFrame): void {
    if (!frame.type.startsWith("call.") && frame.type !== "error") return;
    this.apply(reduceFrame(this.state, frame, this.meId));
  }

  private apply(step: Step): void {
    const prev = this.state;
    const next = step.state;
    const becameActive = next.phase === "active" && prev.phase !== "active";
    this.store.set((s) => ({
      ...s,
      ...next,
      activeSince: becameActive ? Date.now() : next.phase === "active" ? s.activeSince : null,
    }));
    for (const e of step.effects) this.run(e);
  }

  private run(effect: CallEffect): void {
    switch (effect.type) {
      case "ring":
        this.ringing(effect.on);
        break;
      case "teardown":
        this.teardown();
        break;
      case "offer":
        for (const user of effect.to) void this.offerTo(user);
        this.startStats();
        break;
      case "signal":
        void this.onSignal(effect.from, effect.data);
        this.startStats();
        break;
      case "peer-left":
        this.closePeer(effect.user);
        break;
    }
  }

  // ---------------------------------------------------------------- user actions

  async start(conversation: string): Promise<void> {
    if (this.state.phase !== "idle") return;
    const ref = newRef("invite");
    this.apply(reduceLocal(this.state, { type: "invite", conversation, ref }));
    await this.prepareMedia();
    if (this.phase() !== "outgoing" || this.state.pendingRef !== ref) return; // cancelled meanwhile
    if (!this.chat.socket.send({ type: "call.invite", conversation, ref })) {
      this.apply(reduceLocal(this.state, { type: "connection-lost" }));
      this.store.update({ notice: "Connexion indisponible : l'appel n'a pas pu être lancé." });
    }
  }

  async accept(): Promise<void> {
    const call = this.state.call;
    if (this.state.phase !== "incoming" || !call) return;
    const ref = newRef("accept");
    this.apply(reduceLocal(this.state, { type: "accept", ref } as LocalAction));
    await this.prepareMedia();
    if (this.phase() !== "joining") return;
    if (!this.chat.socket.send({ type: "call.accept", call: call.id, ref })) {
      this.apply(reduceLocal(this.state, { type: "connection-lost" }));
    }
  }

  decline(reason = ""): void {
    const call = this.state.call;
    if (this.state.phase !== "incoming" || !call) return;
    this.chat.socket.send({ type: "call.decline", call: call.id, reason, ref: newRef("decline") });
    this.apply(reduceLocal(this.state, { type: "decline" }));
  }

  hangup(): void {
    const call = this.state.call;
    if (call) this.chat.socket.send({ type: "call.hangup", call: call.id, ref: newRef("hangup") });
    this.apply(reduceLocal(this.state, { type: "hangup" }));
  }

  dismissNotice(): void {
    this.apply(reduceLocal(this.state, { type: "dismiss-notice" }));
  }

  toggleMute(): void {
    const muted = !this.state.micMuted;
    for (const t of this.state.localStream?.getAudioTracks() ?? []) t.enabled = !muted;
    this.store.update({ micMuted: muted });
  }

  toggleCamera(): void {
    const off = !this.state.cameraOff;
    if (this.cameraTrack) this.cameraTrack.enabled = !off;
    this.store.update({ cameraOff: off });
  }

  async switchCamera(): Promise<void> {
    const md = navigator.mediaDevices;
    const current = this.cameraTrack;
    if (!md || !current) return;
    const cams = (await md.enumerateDevices()).filter((d) => d.kind === "videoinput");
    if (cams.length < 2) return;
    const curId = current.getSettings().deviceId;
    const idx = cams.findIndex((c) => c.deviceId === curId);
    const next = cams[(idx + 1) % cams.length];
    try {
      const s = await md.getUserMedia({ video: { deviceId: { exact: next.deviceId } } });
      const track = s.getVideoTracks()[0];
      track.enabled = !this.state.cameraOff;
      this.replaceLocalVideo(current, track);
      current.stop();
      this.cameraTrack = track;
      if (!this.screenTrack) await this.replaceSenders(track);
    } catch {
      this.store.update({ mediaError: "Impossible de changer de caméra." });
    }
  }

  async toggleScreenShare(): Promise<void> {
    if (this.screenTrack) {
      this.stopScreenShare();
      return;
    }
    const md = navigator.mediaDevices as MediaDevices & { getDisplayMedia?: (c?: DisplayMediaStreamOptions) => Promise<MediaStream> };
    if (!md?.getDisplayMedia) return;
    try {
      const s = await md.getDisplayMedia({ video: true, audio: false });
      const track = s.getVideoTracks()[0];
      this.screenTrack = track;
      track.addEventListener("ended", () => this.stopScreenShare());
      await this.replaceSenders(track);
      this.store.update({ sharingScreen: true });
    } catch {
      /* the user cancelled the picker */
    }
  }

  private stopScreenShare(): void {
    const t = this.screenTrack;
    if (!t) return;
    this.screenTrack = null;
    t.stop();
    void this.replaceSenders(this.cameraTrack);
    this.store.update({ sharingScreen: false });
  }

  private replaceLocalVideo(old: MediaStreamTrack, track: MediaStreamTrack): void {
    const stream = this.state.localStream;
    if (!stream) return;
    const next = new MediaStream([...stream.getAudioTracks(), track]);
    void old;
    this.store.update({ localStream: next });
  }

  /** replaceTrack on each peer connection's video sender (no renegotiation). */
  private async replaceSenders(track: MediaStreamTrack | null): Promise<void> {
    for (const { pc } of this.peers.values()) {
      const sender = pc.getTransceivers().find((t) => t.receiver.track?.kind === "video")?.sender ?? pc.getSenders().find((s) => s.track?.kind === "video");
      if (sender) await sender.replaceTrack(track).catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------- media and peers

  private prepareMedia(): Promise<void> {
    if (this.state.localStream) return Promise.resolve();
    if (!this.mediaPromise) {
      this.mediaPromise = (async () => {
        const [{ stream, error }, ice] = await Promise.all([getCallMedia(), fetchIceServers()]);
        this.iceServers = ice;
        this.mediaPromise = null;
        if (this.state.phase === "idle" || this.state.phase === "incoming") {
          for (const t of stream?.getTracks() ?? []) t.stop(); // the call ended while we waited
          return;
        }
        this.cameraTrack = stream?.getVideoTracks()[0] ?? null;
        let cams = 0;
        try {
          cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput").length;
        } catch {
          cams = 0;
        }
        this.store.update({ localStream: stream, mediaError: error, canSwitchCamera: cams > 1 && !!this.cameraTrack });
      })();
    }
    return this.mediaPromise;
  }

  private createPeer(user: string): Peer {
    this.closePeer(user);
    const pc = new RTCPeerConnection({ iceServers: this.iceServers as RTCIceServer[] });
    const peer: Peer = { pc, pending: [], stats: null };
    this.peers.set(user, peer);
    const stream = this.state.localStream;
    const video = this.screenTrack ?? this.cameraTrack;
    const audio = stream?.getAudioTracks()[0] ?? null;
    if (audio && stream) pc.addTrack(audio, stream);
    else pc.addTransceiver("audio", { direction: "recvonly" });
    if (video && stream) pc.addTrack(video, stream);
    else pc.addTransceiver("video", { direction: "recvonly" });
    pc.onicecandidate = (e) => {
      this.signal(user, { candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    pc.ontrack = (e) => {
      const remote = e.streams[0] ?? new MediaStream([e.track]);
      this.setRemote(user, { stream: remote });
    };
    pc.onconnectionstatechange = () => this.setRemote(user, { connection: pc.connectionState });
    this.setRemote(user, {});
    return peer;
  }

  private setRemote(user: string, patch: Partial<RemotePeer>): void {
    if (!this.peers.has(user)) return;
    this.store.set((s) => {
      const list = s.remotes.slice();
      const idx = list.findIndex((r) => r.user === user);
      if (idx < 0) list.push({ user, stream: null, connection: "new", ...patch });
      else list[idx] = { ...list[idx], ...patch };
      return { ...s, remotes: list };
    });
  }

  private signal(to: string, data: Record<string, unknown>): void {
    const call = this.state.call;
    if (!call) return;
    this.chat.socket.send({ type: "call.signal", call: call.id, to, data });
  }

  private async offerTo(user: string): Promise<void> {
    await this.prepareMedia();
    const peer = this.createPeer(user);
    try {
      const offer = await peer.pc.createOffer();
      await peer.pc.setLocalDescription(offer);
      this.signal(user, { sdp: { type: offer.type, sdp: offer.sdp } });
    } catch {
      this.store.update({ mediaError: "La connexion avec un participant a échoué." });
    }
  }

  private async onSignal(from: string, data: Record<string, unknown>): Promise<void> {
    const sdp = data.sdp as RTCSessionDescriptionInit | undefined;
    try {
      if (sdp && typeof sdp === "object" && typeof sdp.sdp === "string") {
        if (sdp.type === "offer") {
          await this.prepareMedia();
          const peer = this.createPeer(from);
          await peer.pc.setRemoteDescription(sdp);
          const answer = await peer.pc.createAnswer();
          await peer.pc.setLocalDescription(answer);
          this.signal(from, { sdp: { type: answer.type, sdp: answer.sdp } });
          await this.flushCandidates(peer);
        } else if (sdp.type === "answer") {
          const peer = this.peers.get(from);
          if (!peer) return;
          await peer.pc.setRemoteDescription(sdp);
          await this.flushCandidates(peer);
        }
      } else if ("candidate" in data) {
        const peer = this.peers.get(from);
        const cand = data.candidate as RTCIceCandidateInit | null;
        if (!cand) return; // end of candidates
        if (!peer || !peer.pc.remoteDescription) {
          if (peer) peer.pending.push(cand);
          else this.earlyCandidates(from).push(cand);
          return;
        }
        await peer.pc.addIceCandidate(cand);
      }
    } catch {
      /* a bad candidate or a late answer: the connection state shows the outcome */
    }
  }

  private early = new Map<string, RTCIceCandidateInit[]>();
  private earlyCandidates(user: string): RTCIceCandidateInit[] {
    let list = this.early.get(user);
    if (!list) this.early.set(user, (list = []));
    return list;
  }

  private async flushCandidates(peer: Peer): Promise<void> {
    const user = [...this.peers.entries()].find(([, p]) => p === peer)?.[0];
    const early = user ? (this.early.get(user) ?? []) : [];
    if (user) this.early.delete(user);
    const list = [...early, ...peer.pending];
    peer.pending = [];
    for (const c of list) await peer.pc.addIceCandidate(c).catch(() => undefined);
  }

  private closePeer(user: string): void {
    const peer = this.peers.get(user);
    if (!peer) return;
    this.peers.delete(user);
    peer.pc.onicecandidate = peer.pc.ontrack = peer.pc.onconnectionstatechange = null;
    peer.pc.close();
    this.store.set((s) => ({ ...s, remotes: s.remotes.filter((r) => r.user !== user) }));
  }

  private startStats(): void {
    if (this.statsTimer !== null) return;
    this.statsTimer = setInterval(() => void this.sampleStats(), 2000);
  }

  private async sampleStats(): Promise<void> {
    const qualities: (Quality | null)[] = [];
    for (const peer of this.peers.values()) {
      try {
        const report = await peer.pc.getStats();
        const { rtt, counters } = readStats(report.values() as Iterable<Record<string, unknown>>);
        const loss = lossBetween(peer.stats, counters);
        peer.stats = counters;
        qualities.push(classifyQuality({ rtt, loss }));
      } catch {
        /* closed meanwhile */
      }
    }
    if (this.state.phase === "active") this.store.update({ quality: worstQuality(qualities) });
  }

  /** Releases everything: tracks (camera light off), peer connections, timers. */
  private teardown(): void {
    for (const user of [...this.peers.keys()]) this.closePeer(user);
    this.early.clear();
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsTimer = null;
    for (const t of this.state.localStream?.getTracks() ?? []) t.stop();
    this.cameraTrack?.stop();
    this.screenTrack?.stop();
    this.cameraTrack = null;
    this.screenTrack = null;
    this.store.update({
      localStream: null,
      remotes: [],
      micMuted: false,
      cameraOff: false,
      sharingScreen: false,
      canSwitchCamera: false,
      activeSince: null,
      quality: null,
      mediaError: null,
    });
  }

  private ringing(on: boolean): void {
    if (!on) {
      this.ringer?.stop();
      this.ringer = null;
      return;
    }
    if (this.ringer) return;
    this.ringer = startRingTone();
  }
}

/** A soft two-tone ring with Web Audio (no audio file; silently does nothing if autoplay is blocked). */
function startRingTone(): { stop: () => void } {
  const Ctx = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
  if (!Ctx) return { stop: () => undefined };
  let ctx: AudioContext;
  try {
    ctx = new Ctx();
  } catch {
    return { stop: () => undefined };
  }
  const beep = () => {
    try {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 440;
      gain.gain.value = 0.05;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.8);
    } catch {
      /* ignore */
    }
  };
  beep();
  const timer = setInterval(beep, 3000);
  return {
    stop: () => {
      clearInterval(timer);
      void ctx.close().catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------- one manager per chat session

const managers = new WeakMap<object, CallManager>();
let currentManager: CallManager | null = null;

export function callManagerFor(chat: ChatController, meId: string | number): CallManager {
  let m = managers.get(chat);
  if (!m) {
    currentManager?.dispose();
    m = new CallManager(chat, String(meId));
    managers.set(chat, m);
    currentManager = m;
  }
  return m;
}
