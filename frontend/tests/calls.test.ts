import { describe, expect, it } from "vitest";
import {
  classifyQuality,
  formatDuration,
  IDLE,
  lossBetween,
  medianMs,
  offerTargets,
  readStats,
  reduceFrame,
  reduceLocal,
  spokenDuration,
  worstQuality,
  type Call,
  type CallUiState,
} from "../src/calls/logic";
import { classifyMediaError } from "../src/calls/echo";

const ME = "u-me";
const GP = "u-gp";
const CARDIO = "u-cardio";

function call(patch: Partial<Call> = {}): Call {
  return {
    id: "c1",
    conversation: "conv1",
    state: "ringing",
    started_by: GP,
    started_at: "2025-01-01T10:00:00Z",
    answered_at: null,
    ended_at: null,
    duration_seconds: null,
    joined: [GP],
    participants: [],
    max_participants: 4,
    ...patch,
  };
}

function run(state: CallUiState, ...frames: Record<string, unknown>[]) {
  let s = state;
  const effects = [];
  for (const f of frames) {
    const step = reduceFrame(s, f as { type: string }, ME);
    s = step.state;
    effects.push(...step.effects);
  }
  return { state: s, effects };
}

describe("incoming call", () => {
  const ringing = () => run(IDLE, { type: "call.invite", call: call(), from: GP });

  it("rings on call.invite when idle", () => {
    const { state, effects } = ringing();
    expect(state.phase).toBe("incoming");
    expect(state.from).toBe(GP);
    expect(state.conversation).toBe("conv1");
    expect(effects).toEqual([{ type: "ring", on: true }]);
  });

  it("ignores a second invite while busy", () => {
    const busy: CallUiState = { ...IDLE, phase: "active", call: call({ id: "other" }) };
    expect(run(busy, { type: "call.invite", call: call(), from: GP }).state).toBe(busy);
  });

  it.each([
    [{ type: "call.ended", call: call({ state: "missed" }) }],
    [{ type: "call.hangup", call: call({ state: "missed", joined: [] }), user: GP }],
  ])("a ringing call nobody answered stops and says « Appel manqué » on %o", (frame) => {
    const { state, effects } = run(ringing().state, frame);
    expect(state).toMatchObject({ phase: "idle", notice: "Appel manqué." });
    expect(effects).toContainEqual({ type: "ring", on: false });
    expect(effects).not.toContainEqual({ type: "teardown" });
  });

  it.each([
    [{ type: "call.answered_elsewhere", call: call({ state: "active" }) }],
    [{ type: "call.decline", call: call({ state: "declined" }), user: ME, reason: "" }],
  ])("stops ringing on %o", (frame) => {
    const { state, effects } = run(ringing().state, frame);
    expect(state.phase).toBe("idle");
    expect(state.notice).toBeNull();
    expect(effects).toContainEqual({ type: "ring", on: false });
    expect(effects).not.toContainEqual({ type: "teardown" });
  });

  it("ignores frames about another call", () => {
    const s = ringing().state;
    expect(run(s, { type: "call.ended", call: call({ id: "zzz", state: "ended" }) }).state).toBe(s);
  });

  it("accept: the newcomer offers to everyone already joined except itself", () => {
    let s = ringing().state;
    s = reduceLocal(s, { type: "accept", ref: "call:accept:1" }).state;
    expect(s.phase).toBe("joining");
    const { state, effects } = run(s, {
      type: "call.accept",
      call: call({ state: "active", joined: [GP, CARDIO, ME] }),
      user: ME,
      ref: "call:accept:1",
    });
    expect(state.phase).toBe("active");
    expect(effects).toEqual([{ type: "offer", to: [GP, CARDIO] }]);
  });

  it("an error answering our accept ends the attempt with its message", () => {
    let s = ringing().state;
    s = reduceLocal(s, { type: "accept", ref: "call:accept:2" }).state;
    const { state, effects } = run(s, { type: "error", code: "call_full", message: "Appel complet.", ref: "call:accept:2" });
    expect(state.phase).toBe("idle");
    expect(state.notice).toBe("Appel complet.");
    expect(effects).toContainEqual({ type: "teardown" });
  });

  it("decline locally goes back to idle without tearing down media", () => {
    const step = reduceLocal(ringing().state, { type: "decline" });
    expect(step.state.phase).toBe("idle");
    expect(step.effects).toEqual([{ type: "ring", on: false }]);
  });
});

describe("outgoing call", () => {
  const calling = () => {
    let s = reduceLocal(IDLE, { type: "invite", conversation: "conv1", ref: "call:invite:1" }).state;
    s = run(s, { type: "call.ringing", call: call({ started_by: ME, joined: [ME] }), ref: "call:invite:1" }).state;
    return s;
  };

  it("calling someone not connected says so at once and offers to write instead", () => {
    const s = reduceLocal(IDLE, { type: "invite", conversation: "conv1", ref: "call:invite:9" }).state;
    const { state, effects } = run(s, {
      type: "call.ringing",
      call: call({ started_by: ME, joined: [], state: "missed" }),
      ref: "call:invite:9",
      unreachable: true,
    });
    expect(state.phase).toBe("idle");
    expect(state.notice).toMatch(/^Appel manqué : votre correspondant n'est pas connecté/);
    expect(state.writeInstead).toBe("conv1");
    expect(effects).toContainEqual({ type: "teardown" });
  });

  it("nobody answering before the ring time ends the call as « Appel manqué » for the caller", () => {
    const { state, effects } = run(calling(), { type: "call.ended", call: call({ started_by: ME, state: "missed", joined: [] }) });
    expect(state).toMatchObject({ phase: "idle", notice: "Appel manqué : pas de réponse.", writeInstead: null });
    expect(effects).toContainEqual({ type: "teardown" });
  });

  it("takes the call from call.ringing", () => {
    const s = calling();
    expect(s.phase).toBe("outgoing");
    expect(s.call?.id).toBe("c1");
  });

  it("becomes active when someone accepts, and waits for their offer (no offer from us)", () => {
    const { state, effects } = run(calling(), { type: "call.accept", call: call({ state: "active", joined: [ME, CARDIO] }), user: CARDIO });
    expect(state.phase).toBe("active");
    expect(effects).toEqual([]);
  });

  it("relays signals of our call only", () => {
    const s = run(calling(), { type: "call.accept", call: call({ state: "active", joined: [ME, CARDIO] }), user: CARDIO }).state;
    const data = { sdp: { type: "offer", sdp: "v=0" } };
    expect(run(s, { type: "call.signal", call: "c1", from: CARDIO, data }).effects).toEqual([{ type: "signal", from: CARDIO, data }]);
    expect(run(s, { type: "call.signal", call: "c2", from: CARDIO, data }).effects).toEqual([]);
  });

  it("declined by the callee: notice and teardown", () => {
    const { state, effects } = run(calling(), { type: "call.decline", call: call({ state: "declined", started_by: ME }), user: CARDIO, reason: "" });
    expect(state.phase).toBe("idle");
    expect(state.notice).toBe("Appel refusé.");
    expect(effects).toContainEqual({ type: "teardown" });
  });

  it("a participant leaving a group call closes their peer only", () => {
    let s = run(calling(), { type: "call.accept", call: call({ state: "active", joined: [ME, CARDIO, GP] }), user: CARDIO }).state;
    const step = run(s, { type: "call.hangup", call: call({ state: "active", joined: [ME, GP] }), user: CARDIO });
    s = step.state;
    expect(s.phase).toBe("active");
    expect(step.effects).toEqual([{ type: "peer-left", user: CARDIO }]);
  });

  it("the last other participant leaving ends the call", () => {
    const s = run(calling(), { type: "call.accept", call: call({ state: "active", joined: [ME, CARDIO] }), user: CARDIO }).state;
    const { state, effects } = run(s, { type: "call.hangup", call: call({ state: "ended", joined: [ME] }), user: CARDIO });
    expect(state.phase).toBe("idle");
    expect(state.notice).toBe("Appel terminé.");
    expect(effects).toContainEqual({ type: "teardown" });
  });

  it("socket loss ends the call locally", () => {
    const step = reduceLocal(calling(), { type: "connection-lost" });
    expect(step.state.phase).toBe("idle");
    expect(step.state.notice).toMatch(/Connexion perdue/);
    expect(step.effects).toContainEqual({ type: "teardown" });
  });

  it("an error on the invite (already in a call) is shown", () => {
    const s = reduceLocal(IDLE, { type: "invite", conversation: "conv1", ref: "call:invite:9" }).state;
    const { state } = run(s, { type: "error", code: "call_in_progress", message: "Un appel est déjà en cours.", ref: "call:invite:9" });
    expect(state).toMatchObject({ phase: "idle", notice: "Un appel est déjà en cours." });
  });
});

describe("offerTargets", () => {
  it("excludes me and keeps the joining order", () => {
    expect(offerTargets({ joined: ["a", ME, "b"] }, ME)).toEqual(["a", "b"]);
  });
});

describe("quality", () => {
  it("classifies RTT and loss", () => {
    expect(classifyQuality({ rtt: 0.05, loss: 0 })).toBe("good");
    expect(classifyQuality({ rtt: 0.2, loss: 0.01 })).toBe("medium");
    expect(classifyQuality({ rtt: 0.05, loss: 0.05 })).toBe("medium");
    expect(classifyQuality({ rtt: 0.6, loss: 0 })).toBe("poor");
    expect(classifyQuality({ rtt: 0.05, loss: 0.15 })).toBe("poor");
    expect(classifyQuality({ rtt: null, loss: null })).toBeNull();
  });

  it("reads the selected candidate pair and inbound counters", () => {
    const report = [
      { type: "candidate-pair", state: "succeeded", nominated: true, currentRoundTripTime: 0.031 },
      { type: "candidate-pair", state: "failed", nominated: false, currentRoundTripTime: 3 },
      { type: "inbound-rtp", kind: "video", packetsReceived: 900, packetsLost: 10 },
      { type: "inbound-rtp", kind: "audio", packetsReceived: 100, packetsLost: 0 },
    ];
    const { rtt, counters } = readStats(report);
    expect(rtt).toBe(0.031);
    expect(counters).toEqual({ received: 1000, lost: 10 });
    expect(lossBetween({ received: 900, lost: 0 }, counters)).toBeCloseTo(10 / 110);
    expect(lossBetween(counters, counters)).toBeNull();
  });

  it("falls back to remote-inbound RTT", () => {
    expect(readStats([{ type: "remote-inbound-rtp", roundTripTime: 0.2 }]).rtt).toBe(0.2);
  });

  it("the worst peer wins", () => {
    expect(worstQuality(["good", "medium", null])).toBe("medium");
    expect(worstQuality([null])).toBeNull();
  });
});

describe("durations", () => {
  it("formats mm:ss and h:mm:ss", () => {
    expect(formatDuration(0)).toBe("00:00");
    expect(formatDuration(65.7)).toBe("01:05");
    expect(formatDuration(3600 + 62)).toBe("1:01:02");
    expect(spokenDuration(3725)).toBe("1 h 2 min 5 s");
  });

  it("median round trip", () => {
    expect(medianMs([30, 10, 20])).toBe(20);
    expect(medianMs([10, 20])).toBe(15);
    expect(medianMs([])).toBeNull();
  });
});

describe("network check", () => {
  it("tells a refused permission from a missing camera", () => {
    expect(classifyMediaError({ name: "NotAllowedError" })).toBe("permission");
    expect(classifyMediaError({ name: "NotFoundError" })).toBe("no-media");
  });
});
