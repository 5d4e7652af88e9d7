/**
 * One WebSocket per tab to `/ws/`, JSON frames, automatic reconnection with backoff + jitter.
 * Knows nothing about messages: the chat controller handles frames and what to (re)send on open.
 */
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

export interface ServerFrame {
  type: string;
  ref?: string;
  [key: string]: unknown;
}

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
}

const OPEN = 1;

export function defaultSocketUrl(loc: Pick<Location, "protocol" | "host"> = location): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws/`;
}

export class RealtimeSocket {
  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = true;
  private everOpened = false;
  status: SocketStatus = "idle";

  constructor(private readonly opts: SocketOptions = {}) {}

  get isOpen(): boolean {
    return !!this.ws && this.ws.readyState === OPEN && this.status === "open";
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
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
      this.setStatus("open");
      this.opts.onOpen?.(isReconnect);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
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
