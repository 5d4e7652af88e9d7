/**
 * One WebSocket per tab to `/ws/`, JSON frames, automatic reconnection with backoff + jitter.
 * Knows nothing about messages: the chat controller handles frames and what to (re)send on open.
 *
 * Liveness: a phone that loses its network often gets no close event for minutes. The socket
 * pings every PING_EVERY_MS (the server answers `pong`, and its own silence limit relies on these
 * pings) and treats DEAD_AFTER_MS without any frame as a dead connection: the banner shows within
 * DEAD_AFTER_MS + TICK_MS (25 s) and a reconnection starts. The browser's `offline` event drops
 * it at once.
 */
import type { ServerFrame } from "../api/frames.gen";
import { backoffDelay } from "./backoff";

export type SocketStatus = "idle" | "connecting" | "open" | "reconnecting" | "stopped";

export interface WebSocketLike {
  readyState: number;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Every frame the server sends: the union generated from its registry (conversations/frames.py). */
export type { ServerFrame };

export interface SocketOptions {
  url?: () => string;
  createSocket?: (url: string) => WebSocketLike;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  onOpen?: (isReconnect: boolean) => void;
  onFrame?: (frame: ServerFrame) => void;
  onStatus?: (status: SocketStatus, info: { attempt: number; retryInMs?: number }) => void;
  onClose?: (code: number, reason: string) => void;
  /** false: no pings (tests of the reconnection alone). */
  heartbeat?: HeartbeatOptions | false;
}

const OPEN = 1;
export const PING_EVERY_MS = 10_000;
export const DEAD_AFTER_MS = 20_000;
export const TICK_MS = 5_000;

export interface HeartbeatOptions {
  every?: (fn: () => void, ms: number) => unknown;
  cancel?: (handle: unknown) => void;
  now?: () => number;
  /** Where `online` / `offline` events come from (window in a browser). */
  events?: Pick<EventTarget, "addEventListener" | "removeEventListener"> | null;
}

export function defaultSocketUrl(loc: Pick<Location, "protocol" | "host"> = location): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws/`;
}

export class RealtimeSocket {
  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = true;
  private everOpened = false;
  private ticker: unknown = null;
  private lastFrameAt = 0;
  private lastPingAt = 0;
  status: SocketStatus = "idle";

  constructor(private readonly opts: SocketOptions = {}) {}

  private get hb(): HeartbeatOptions | null {
    return this.opts.heartbeat === false ? null : (this.opts.heartbeat ?? {});
  }

  private clock(): number {
    return (this.hb?.now ?? Date.now)();
  }

  private readonly onBrowserOffline = (): void => this.dropDead();
  private readonly onBrowserOnline = (): void => this.reconnectNow();

  private startHeartbeat(): void {
    const hb = this.hb;
    if (!hb || this.ticker !== null) return;
    const every = hb.every ?? ((fn, ms) => setInterval(fn, ms));
    this.ticker = every(() => this.tick(), TICK_MS);
    const target = hb.events === undefined ? (typeof window !== "undefined" ? window : null) : hb.events;
    target?.addEventListener("offline", this.onBrowserOffline);
    target?.addEventListener("online", this.onBrowserOnline);
  }

  private stopHeartbeat(): void {
    const hb = this.hb;
    if (!hb || this.ticker === null) return;
    (hb.cancel ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>)))(this.ticker);
    this.ticker = null;
    const target = hb.events === undefined ? (typeof window !== "undefined" ? window : null) : hb.events;
    target?.removeEventListener("offline", this.onBrowserOffline);
    target?.removeEventListener("online", this.onBrowserOnline);
  }

  /** Every TICK_MS: ping when due, give up on a connection silent for too long. */
  tick(): void {
    if (!this.isOpen) return;
    const now = this.clock();
    if (now - this.lastFrameAt > DEAD_AFTER_MS) {
      this.dropDead();
    } else if (now - this.lastPingAt >= PING_EVERY_MS) {
      this.lastPingAt = now;
      this.send({ type: "ping" });
    }
  }

  /** The connection is gone without a close event: forget it and reconnect (banner shown). */
  private dropDead(): void {
    if (this.stopped || !this.ws) return;
    const ws = this.ws;
    this.ws = null;
    ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
    try {
      ws.close(4000, "no heartbeat");
    } catch {
      /* ignore */
    }
    this.opts.onClose?.(1006, "");
    this.scheduleReconnect();
  }

  get isOpen(): boolean {
    return !!this.ws && this.ws.readyState === OPEN && this.status === "open";
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.startHeartbeat();
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
      try {
        ws.close(1000, "logout");
      } catch {
        /* ignore */
      }
    }
    this.setStatus("stopped");
  }

  /** Reconnect now (e.g. the browser says we are back online), skipping the wait. */
  reconnectNow(): void {
    if (this.stopped || this.isOpen) return;
    this.clearTimer();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
      try {
        ws.close();
      } catch {
        /* ignore */
      }
    }
    this.connect();
  }

  send(frame: Record<string, unknown>): boolean {
    if (!this.isOpen || !this.ws) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private setStatus(status: SocketStatus, retryInMs?: number): void {
    this.status = status;
    this.opts.onStatus?.(status, { attempt: this.attempt, retryInMs });
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      (this.opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)))(this.timer);
      this.timer = null;
    }
  }

  private connect(): void {
    if (this.stopped) return;
    this.setStatus(this.everOpened || this.attempt > 0 ? "reconnecting" : "connecting");
    const url = (this.opts.url ?? (() => defaultSocketUrl()))();
    let ws: WebSocketLike;
    try {
      ws = (this.opts.createSocket ?? ((u) => new WebSocket(u) as unknown as WebSocketLike))(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      const isReconnect = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.lastFrameAt = this.lastPingAt = this.clock();
      this.setStatus("open");
      this.opts.onOpen?.(isReconnect);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = this.clock();
      let frame: unknown;
      try {
        frame = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (frame && typeof frame === "object" && typeof (frame as ServerFrame).type === "string") {
        this.opts.onFrame?.(frame as ServerFrame);
      }
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.opts.onClose?.(ev?.code ?? 1006, ev?.reason ?? "");
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.opts.random);
    this.attempt += 1;
    this.setStatus("reconnecting", delay);
    this.clearTimer();
    this.timer = (this.opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms)))(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }
}
