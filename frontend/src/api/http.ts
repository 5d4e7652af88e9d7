/**
 * Minimal JSON client for the Django API: same-origin session cookie, CSRF header on
 * unsafe methods, and one error type carrying the server's `{error: {code, message, fields}}`.
 */
import type { ApiErrorBody } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string[]>;

  constructor(status: number, code: string, message: string, fields: Record<string, string[]> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** First message for one field, if any. */
  field(name: string): string | undefined {
    return this.fields[name]?.[0];
  }
}

export const NETWORK_ERROR_MESSAGE = "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.";

function genericMessage(status: number): string {
  if (status === 401) return "Votre session a expiré. Veuillez vous reconnecter.";
  if (status === 403) return "Vous n'avez pas accès à cette ressource.";
  if (status === 404) return "Élément introuvable.";
  if (status === 413) return "Le fichier est trop volumineux.";
  if (status === 429) return "Trop de tentatives. Réessayez plus tard.";
  if (status >= 500) return `Erreur du serveur (${status}). Réessayez dans un instant.`;
  return `La requête a échoué (${status}).`;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (!value || typeof value !== "object") return false;
  const err = (value as { error?: unknown }).error;
  return !!err && typeof err === "object" && typeof (err as { code?: unknown }).code === "string";
}

/** Builds an ApiError from a status and a (possibly non-JSON) response text. */
export function parseApiError(status: number, text: string): ApiError {
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (isErrorBody(data)) {
    const { code, message, fields } = data.error;
    const cleanFields: Record<string, string[]> = {};
    if (fields && typeof fields === "object") {
      for (const [k, v] of Object.entries(fields)) {
        cleanFields[k] = Array.isArray(v) ? v.map(String) : [String(v)];
      }
    }
    return new ApiError(status, code, message || genericMessage(status), cleanFields);
  }
  return new ApiError(status, `http_${status}`, genericMessage(status));
}

export function readCookie(name: string, cookieString: string = typeof document !== "undefined" ? document.cookie : ""): string | null {
  for (const part of cookieString.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return part.slice(eq + 1).trim();
      }
    }
  }
  return null;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface HttpOptions {
  method?: string;
  body?: unknown;
  /** Do not run the global "session lost" hook on 401 (login form, /api/me probe). */
  allow401?: boolean;
  signal?: AbortSignal;
}

type Fetch = typeof fetch;

export class HttpClient {
  private csrfToken: string | null = null;
  private csrfPromise: Promise<string> | null = null;
  /** Called on a 401 from any ordinary call: the session is gone. */
  onUnauthorized: ((err: ApiError) => void) | null = null;

  constructor(
    private readonly fetchImpl: Fetch = (...args) => fetch(...args),
    private readonly cookies: () => string = () => (typeof document !== "undefined" ? document.cookie : ""),
  ) {}

  /** The CSRF token: the cookie (Django rotates it at login), else the one /api/auth/csrf returned. */
  async csrf(forceRefresh = false): Promise<string> {
    if (!forceRefresh) {
      const fromCookie = readCookie("csrftoken", this.cookies());
      if (fromCookie) return fromCookie;
      if (this.csrfToken) return this.csrfToken;
    }
    if (!this.csrfPromise) {
      this.csrfPromise = this.send<{ csrf_token: string }>("/api/auth/csrf", { allow401: true })
        .then((r) => {
          this.csrfToken = r.csrf_token;
          return readCookie("csrftoken", this.cookies()) ?? r.csrf_token;
        })
        .finally(() => {
          this.csrfPromise = null;
        });
    }
    return this.csrfPromise;
  }

  /** Current token without a network call, for XHR uploads after csrf() was awaited. */
  csrfSync(): string | null {
    return readCookie("csrftoken", this.cookies()) ?? this.csrfToken;
  }

  async request<T>(path: string, options: HttpOptions = {}): Promise<T> {
    try {
      return await this.send<T>(path, options);
    } catch (err) {
      // A stale CSRF token (e.g. rotated at login in another tab): refresh once and retry.
      if (err instanceof ApiError && err.status === 403 && err.code.includes("csrf")) {
        await this.csrf(true);
        return this.send<T>(path, options);
      }
      throw err;
    }
  }

  get<T>(path: string, options: Omit<HttpOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "GET" });
  }

  post<T>(path: string, body?: unknown, options: Omit<HttpOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "POST", body });
  }

  patch<T>(path: string, body?: unknown, options: Omit<HttpOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "PATCH", body });
  }

  put<T>(path: string, body?: unknown, options: Omit<HttpOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "PUT", body });
  }

  del<T>(path: string, options: Omit<HttpOptions, "method" | "body"> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: "DELETE" });
  }

  private async send<T>(path: string, options: HttpOptions): Promise<T> {
    const method = (options.method ?? "GET").toUpperCase();
    const headers: Record<string, string> = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (UNSAFE.has(method)) headers["X-CSRFToken"] = await this.csrf();

    let response: Response;
    try {
      response = await this.fetchImpl(path, {
        method,
        headers,
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        credentials: "same-origin",
        signal: options.signal,
      });
    } catch (err) {
      if ((err as { name?: string })?.name === "AbortError") throw err;
      throw new ApiError(0, "network_error", NETWORK_ERROR_MESSAGE);
    }

    const text = response.status === 204 ? "" : await response.text();
    if (!response.ok) {
      const error = parseApiError(response.status, text);
      if (response.status === 401 && !options.allow401) this.onUnauthorized?.(error);
      throw error;
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, "invalid_response", "Réponse du serveur illisible.");
    }
  }
}

export const http = new HttpClient();
