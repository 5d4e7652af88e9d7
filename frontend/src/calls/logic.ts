/**
 * Pure call logic (no DOM, no WebRTC): the call state machine driven by WebSocket frames and
 * local actions, who sends offers to whom, connection-quality classification, duration text.
 * The CallManager (manager.ts) runs the effects this module returns.
 */

import type { CallPayload, CallStretch } from "../api/frames.gen";

/** A call as the server describes it (generated from its frame registry). */
export type Call = CallPayload;
export type CallParticipant = CallStretch;
export type CallServerState = Call["state"];

export type CallPhase = "idle" | "outgoing" | "incoming" | "joining" | "active";

export interface CallUiState {
  phase: CallPhase;
  call: Call | null;
  /** Conversation of the call (known before the server's answer for an outgoing call). */
  conversation: string | null;
  /** The user who rings us (incoming). */
  from: string | null;
  /** ref of our pending call.invite / call.accept frame. */
  pendingRef: string | null;
  /** Shown after the call (« Appel refusé », errors...). */
  notice: string | null;
  /** The callee was not connected: the notice offers to write in this conversation instead. */
  writeInstead?: string | null;
}

export const IDLE: CallUiState = { phase: "idle", call: null, conversation: null, from: null, pendingRef: null, notice: null, writeInstead: null };

export type CallEffect =
  | { type: "offer"; to: string[] }
  | { type: "signal"; from: string; data: Record<string, unknown> }
  | { type: "peer-left"; user: string }
  | { type: "teardown" }
  | { type: "ring"; on: boolean };

export interface Step {
  state: CallUiState;
  effects: CallEffect[];
}

export interface Frame {
  type: string;
  [key: string]: unknown;
}

const CLOSED: CallServerState[] = ["ended", "missed", "declined"];

export function isClosed(call: Call | null | undefined): boolean {
  return !!call && CLOSED.includes(call.state);
}

function asCall(value: unknown): Call | null {
  if (!value || typeof value !== "object") return null;
  const c = value as Call;
  return typeof c.id === "string" || typeof c.id === "number" ? { ...c, id: String(c.id), joined: (c.joined ?? []).map(String) } : null;
}

function str(value: unknown): string | null {
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

/** The newcomer (who just accepted) offers to everyone already in the call, itself excepted. */
export function offerTargets(call: Pick<Call, "joined">, meId: string): string[] {
  return call.joined.map(String).filter((u) => u !== String(meId));
}

function endNotice(call: Call, meId: string, cause: "decline" | "hangup" | "ended"): string {
  if (call.state === "declined") return "Appel refusé.";
  if (call.state === "missed") return String(call.started_by) === String(meId) ? "Appel manqué : pas de réponse." : "Appel manqué.";
  if (cause === "decline") return "Appel refusé.";
  return "Appel terminé.";
}

function stop(_state: CallUiState, notice: string | null, wasInCall: boolean): Step {
  const effects: CallEffect[] = [{ type: "ring", on: false }];
  if (wasInCall) effects.push({ type: "teardown" });
  return { state: { ...IDLE, notice }, effects };
}

function inCall(state: CallUiState): boolean {
  return state.phase === "outgoing" || state.phase === "joining" || state.phase === "active";
}

/** Local actions, applied before the corresponding frame is sent. */
export type LocalAction =
  | { type: "invite"; conversation: string; ref: string }
  | { type: "accept"; ref: string }
  | { type: "decline" }
  | { type: "hangup" }
  | { type: "connection-lost" }
  | { type: "dismiss-notice" };

export function reduceLocal(state: CallUiState, action: LocalAction): Step {
  switch (action.type) {
    case "invite":
      if (state.phase !== "idle") return { state, effects: [] };
      return { state: { ...IDLE, phase: "outgoing", conversation: action.conversation, pendingRef: action.ref }, effects: [] };
    case "accept":
      if (state.phase !== "incoming") return { state, effects: [] };
      return { state: { ...state, phase: "joining", pendingRef: action.ref }, effects: [{ type: "ring", on: false }] };
    case "decline":
      if (state.phase !== "incoming") return { state, effects: [] };
      return stop(state, null, false);
    case "hangup":
      if (!inCall(state)) return { state, effects: [] };
      return stop(state, null, true);
    case "connection-lost":
      if (state.phase === "idle") return { state, effects: [] };
      return stop(state, inCall(state) ? "Connexion perdue : l'appel est terminé." : null, inCall(state));
    case "dismiss-notice":
      return { state: { ...state, notice: null }, effects: [] };
  }
}

/** One server frame. Frames about other calls than ours are ignored (except a new invite when idle). */
export function reduceFrame(state: CallUiState, frame: Frame, meId: string): Step {
  const me = String(meId);
  const same = (c: Call | null) => !!c && !!state.call && c.id === state.call.id;
  const none: Step = { state, effects: [] };
  switch (frame.type) {
    case "call.ringing": {
      const call = asCall(frame.call);
      if (state.phase !== "outgoing" || !call || (state.pendingRef && frame.ref !== state.pendingRef)) return none;
      if (isClosed(call) && frame.unreachable) {
        const step = stop(state, "Appel manqué : votre correspondant n'est pas connecté. Laissez-lui plutôt un message.", true);
        return { ...step, state: { ...step.state, writeInstead: call.conversation } };
      }
      if (isClosed(call)) return stop(state, endNotice(call, me, "ended"), true);
      return { state: { ...state, call, conversation: call.conversation, pendingRef: null }, effects: [] };
    }
    case "call.invite": {
      const call = asCall(frame.call);
      if (!call || isClosed(call)) return none;
      if (state.phase === "incoming" && same(call)) return { state: { ...state, call }, effects: [] };
      if (state.phase !== "idle") return none; // busy: another tab or device may answer
      return {
        state: { ...IDLE, phase: "incoming", call, conversation: call.conversation, from: str(frame.from) ?? call.started_by },
        effects: [{ type: "ring", on: true }],
      };
    }
    case "call.accept": {
      const call = asCall(frame.call);
      const user = str(frame.user);
      if (!call) return none;
      if (state.phase === "joining" && state.pendingRef && frame.ref === state.pendingRef) {
        // our own accept: we are the newcomer, we offer to everyone already there
        return { state: { ...state, phase: "active", call, pendingRef: null }, effects: [{ type: "offer", to: offerTargets(call, me) }] };
      }
      if (!same(call)) return none;
      if (state.phase === "incoming") {
        if (user === me) return stop(state, null, false); // answered from another socket
        return { state: { ...state, call }, effects: [] };
      }
      if (state.phase === "outgoing" || state.phase === "active" || state.phase === "joining") {
        // someone joined: they will send us an offer
        return { state: { ...state, phase: state.phase === "outgoing" ? "active" : state.phase, call }, effects: [] };
      }
      return none;
    }
    case "call.answered_elsewhere": {
      const call = asCall(frame.call);
      if (state.phase === "incoming" && same(call)) return stop(state, null, false);
      return none;
    }
    case "call.decline": {
      const call = asCall(frame.call);
      const user = str(frame.user);
      if (!call || !same(call)) return none;
      if (state.phase === "incoming") {
        if (user === me || isClosed(call)) return stop(state, null, false);
        return { state: { ...state, call }, effects: [] };
      }
      if (isClosed(call)) return stop(state, endNotice(call, me, "decline"), inCall(state));
      return { state: { ...state, call }, effects: [] };
    }
    case "call.hangup": {
      const call = asCall(frame.call);
      const user = str(frame.user);
      if (!call || !same(call)) return none;
      if (state.phase === "incoming") {
        if (call.state === "missed") return stop(state, "Appel manqué.", false);
        if (isClosed(call) || user === call.started_by || user === me) return stop(state, null, false);
        return { state: { ...state, call }, effects: [] };
      }
      if (isClosed(call)) return stop(state, endNotice(call, me, "hangup"), inCall(state));
      const effects: CallEffect[] = user && user !== me ? [{ type: "peer-left", user }] : [];
      return { state: { ...state, call }, effects };
    }
    case "call.ended": {
      const call = asCall(frame.call);
      if (!call || !same(call)) return none;
      const missed = call.state === "missed";
      return stop(state, state.phase === "incoming" && !missed ? null : endNotice(call, me, "ended"), inCall(state));
    }
    case "call.signal": {
      const callId = str(frame.call);
      const from = str(frame.from);
      const data = frame.data;
      if (!state.call || callId !== state.call.id || !from || !data || typeof data !== "object") return none;
      if (!inCall(state)) return none;
      return { state, effects: [{ type: "signal", from, data: data as Record<string, unknown> }] };
    }
    case "error": {
      if (!state.pendingRef || frame.ref !== state.pendingRef) return none;
      const message = typeof frame.message === "string" ? frame.message : "L'appel n'a pas pu aboutir.";
      return stop(state, message, inCall(state));
    }
    default:
      return none;
  }
}

// ------------------------------------------------------------------ quality

export type Quality = "good" | "medium" | "poor";

export const QUALITY_LABEL: Record<Quality, string> = { good: "Bonne", medium: "Moyenne", poor: "Faible" };

/** rtt in seconds, loss as a fraction (0..1). */
export function classifyQuality(sample: { rtt: number | null; loss: number | null }): Quality | null {
  const { rtt, loss } = sample;
  if (rtt === null && loss === null) return null;
  const r = rtt ?? 0;
  const l = loss ?? 0;
  if (r < 0.15 && l < 0.02) return "good";
  if (r < 0.4 && l < 0.08) return "medium";
  return "poor";
}

export function worstQuality(list: (Quality | null)[]): Quality | null {
  const order: Quality[] = ["poor", "medium", "good"];
  for (const q of order) if (list.includes(q)) return q;
  return null;
}

export interface StatsCounters {
  received: number;
  lost: number;
}

/**
 * Reads an RTCStatsReport-like iterable: round-trip time of the selected candidate pair (or the
 * remote-inbound RTT) and the inbound packet counters, summed over audio and video.
 */
export function readStats(report: Iterable<Record<string, unknown>>): { rtt: number | null; counters: StatsCounters } {
  let rtt: number | null = null;
  let remoteRtt: number | null = null;
  const counters: StatsCounters = { received: 0, lost: 0 };
  for (const s of report) {
    if (s.type === "candidate-pair" && (s.nominated || s.selected) && s.state === "succeeded" && typeof s.currentRoundTripTime === "number") {
      rtt = s.currentRoundTripTime;
    } else if (s.type === "remote-inbound-rtp" && typeof s.roundTripTime === "number") {
      remoteRtt = Math.max(remoteRtt ?? 0, s.roundTripTime);
    } else if (s.type === "inbound-rtp") {
      counters.received += Number(s.packetsReceived) || 0;
      counters.lost += Math.max(0, Number(s.packetsLost) || 0);
    }
  }
  return { rtt: rtt ?? remoteRtt, counters };
}

/** Loss over the interval between two counter readings (null when nothing was received). */
export function lossBetween(prev: StatsCounters | null, cur: StatsCounters): number | null {
  const received = cur.received - (prev?.received ?? 0);
  const lost = cur.lost - (prev?.lost ?? 0);
  const total = received + Math.max(0, lost);
  if (total <= 0) return null;
  return Math.max(0, lost) / total;
}

// ------------------------------------------------------------------ duration

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
}

/** Spoken duration for screen readers: « 1 h 5 min 3 s ». */
export function spokenDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [h ? `${h} h` : "", m ? `${m} min` : "", `${sec} s`].filter(Boolean).join(" ");
}

/** Median of round-trip samples (ms), rounded. */
export function medianMs(samples: number[]): number | null {
  if (!samples.length) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const v = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return Math.round(v);
}
