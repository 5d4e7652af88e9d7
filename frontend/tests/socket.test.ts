import { describe, expect, it } from "vitest";
import { notificationTitle } from "../src/lib/notify";
import { defaultSocketUrl, RealtimeSocket, type WebSocketLike } from "../src/ws/socket";
import { BOB } from "./fixtures";

class FakeWs implements WebSocketLike {
  readyState = 0;
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  sent: string[] = [];
  send(d: string) {
    this.sent.push(d);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  fail() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 } as CloseEvent);
  }
}

describe("RealtimeSocket", () => {
  it("reconnects with growing backoff, reports status, and resets after a successful open", () => {
    const sockets: FakeWs[] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const statuses: string[] = [];
    const opens: boolean[] = [];
    const s = new RealtimeSocket({
      url: () => "ws://x/ws/",
      createSocket: () => {
        const w = new FakeWs();
        sockets.push(w);
        return w;
      },
      random: () => 1,
      setTimer: (fn, ms) => timers.push({ fn, ms }),
      clearTimer: () => {},
      onStatus: (st) => statuses.push(st),
      onOpen: (re) => opens.push(re),
    });
    s.start();
    sockets[0].open();
    expect(s.isOpen).toBe(true);
    expect(s.send({ type: "typing", conversation: 1 })).toBe(true);
    sockets[0].fail();
    expect(statuses.at(-1)).toBe("reconnecting");
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    timers[0].fn();
    sockets[1].fail();
    timers[1].fn();
    sockets[2].fail();
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000, 4000]);
    timers[2].fn();
    sockets[3].open();
    expect(opens).toEqual([false, true]);
    sockets[3].fail();
    expect(timers.at(-1)!.ms).toBe(1000);
    expect(s.send({ type: "x" })).toBe(false);
  });

  it("parses frames and ignores junk", () => {
    const frames: unknown[] = [];
    let ws!: FakeWs;
    const s = new RealtimeSocket({ createSocket: () => (ws = new FakeWs()), onFrame: (f) => frames.push(f), url: () => "" });
    s.start();
    ws.open();
    ws.onmessage?.({ data: '{"type":"presence","user":2,"status":"online"}' } as MessageEvent);
    ws.onmessage?.({ data: "not json" } as MessageEvent);
    ws.onmessage?.({ data: '{"no":"type"}' } as MessageEvent);
    expect(frames).toEqual([{ type: "presence", user: 2, status: "online" }]);
    s.stop();
  });

  it("uses wss on https pages", () => {
    expect(defaultSocketUrl({ protocol: "https:", host: "msg.example.fr" })).toBe("wss://msg.example.fr/ws/");
    expect(defaultSocketUrl({ protocol: "http:", host: "localhost:8000" })).toBe("ws://localhost:8000/ws/");
  });
});

describe("notifications", () => {
  it("name the sender only", () => {
    expect(notificationTitle({ sender: BOB })).toBe("Nouveau message de Dr Bob Durand");
  });
});

function fakeSockets(): { sockets: FakeWs[]; createSocket: () => FakeWs } {
  const sockets: FakeWs[] = [];
  return {
    sockets,
    createSocket: () => {
      const w = new FakeWs();
      sockets.push(w);
      return w;
    },
  };
}

describe("RealtimeSocket liveness", () => {
  it("pings while alive and declares a silent connection dead within 25 s, then reconnects", () => {
    const { sockets, createSocket } = fakeSockets();
    const retries: number[] = [];
    const statuses: string[] = [];
    let tick: () => void = () => {};
    let now = 0;
    const s = new RealtimeSocket({
      url: () => "ws://x/ws/",
      createSocket,
      random: () => 1,
      setTimer: (_fn, ms) => retries.push(ms),
      clearTimer: () => {},
      onStatus: (st) => statuses.push(st),
      heartbeat: { every: (fn) => ((tick = fn), 1), cancel: () => {}, now: () => now, events: null },
    });
    s.start();
    sockets[0].open();
    const pings = () => sockets[0].sent.filter((f) => JSON.parse(f).type === "ping").length;
    now = 5_000;
    tick();
    expect(pings()).toBe(0);
    now = 10_000;
    tick();
    expect(pings()).toBe(1);
    sockets[0].onmessage?.({ data: JSON.stringify({ type: "pong" }) } as MessageEvent);
    // from here on the network is gone: no frame, no close event
    for (now = 15_000; now <= 30_000; now += 5_000) tick();
    expect(statuses.at(-1)).toBe("open");
    now = 35_000;
    tick();
    expect(statuses.at(-1)).toBe("reconnecting");
    expect(s.isOpen).toBe(false);
    expect(retries).toEqual([1000]);
  });

  it("the browser going offline shows the connection lost at once", () => {
    const target = new EventTarget();
    const { sockets, createSocket } = fakeSockets();
    const statuses: string[] = [];
    const s = new RealtimeSocket({
      url: () => "ws://x/ws/",
      createSocket,
      setTimer: () => 1,
      clearTimer: () => {},
      onStatus: (st) => statuses.push(st),
      heartbeat: { every: () => 1, cancel: () => {}, events: target },
    });
    s.start();
    sockets[0].open();
    target.dispatchEvent(new Event("offline"));
    expect(statuses.at(-1)).toBe("reconnecting");
    target.dispatchEvent(new Event("online"));
    expect(sockets.length).toBe(2);
    s.stop();
  });
});
