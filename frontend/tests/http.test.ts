import { describe, expect, it, vi } from "vitest";
import { ApiError, HttpClient, parseApiError, readCookie } from "../src/api/http";

function response(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

describe("parseApiError", () => {
  it("reads code, message and field messages", () => {
    const err = parseApiError(400, JSON.stringify({ error: { code: "invalid", message: "Saisie invalide.", fields: { body: ["Trop long."] } } }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid");
    expect(err.message).toBe("Saisie invalide.");
    expect(err.field("body")).toBe("Trop long.");
  });

  it("falls back to a French message for non-JSON bodies", () => {
    const err = parseApiError(502, "<html>Bad gateway</html>");
    expect(err.code).toBe("http_502");
    expect(err.message).toMatch(/Erreur du serveur/);
  });

  it("normalises a field given as a string", () => {
    const err = parseApiError(400, JSON.stringify({ error: { code: "x", message: "m", fields: { a: "seul" } } }));
    expect(err.fields).toEqual({ a: ["seul"] });
  });
});

describe("readCookie", () => {
  it("finds the csrftoken cookie", () => {
    expect(readCookie("csrftoken", "sessionid=abc; csrftoken=tok%3D1; other=2")).toBe("tok=1");
    expect(readCookie("csrftoken", "a=b")).toBeNull();
  });
});

describe("HttpClient", () => {
  it("sends X-CSRFToken from the cookie on unsafe methods, same-origin credentials", async () => {
    const fetchMock = vi.fn(async () => response(200, { ok: true }));
    const client = new HttpClient(fetchMock as unknown as typeof fetch, () => "csrftoken=abc123");
    await client.post("/api/x", { a: 1 });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/x");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("same-origin");
    expect((init.headers as Record<string, string>)["X-CSRFToken"]).toBe("abc123");
    expect(init.body).toBe('{"a":1}');
  });

  it("does not send the header on GET", async () => {
    const fetchMock = vi.fn(async () => response(200, { ok: true }));
    const client = new HttpClient(fetchMock as unknown as typeof fetch, () => "csrftoken=abc123");
    await client.get("/api/me");
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>)["X-CSRFToken"]).toBeUndefined();
  });

  it("fetches /api/auth/csrf when there is no cookie", async () => {
    const fetchMock = vi.fn(async (url: string) => (url === "/api/auth/csrf" ? response(200, { csrf_token: "fromjson" }) : response(204, undefined)));
    const client = new HttpClient(fetchMock as unknown as typeof fetch, () => "");
    await client.post("/api/auth/logout");
    expect(fetchMock.mock.calls.map((c) => (c as unknown as [string])[0])).toEqual(["/api/auth/csrf", "/api/auth/logout"]);
    const init = (fetchMock.mock.calls[1] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>)["X-CSRFToken"]).toBe("fromjson");
  });

  it("throws ApiError with the server message and calls the 401 hook", async () => {
    const fetchMock = vi.fn(async () => response(401, { error: { code: "not_authenticated", message: "Veuillez vous connecter." } }));
    const client = new HttpClient(fetchMock as unknown as typeof fetch, () => "");
    const hook = vi.fn();
    client.onUnauthorized = hook;
    await expect(client.get("/api/conversations")).rejects.toMatchObject({ status: 401, code: "not_authenticated", message: "Veuillez vous connecter." });
    expect(hook).toHaveBeenCalledTimes(1);
    await expect(client.get("/api/me", { allow401: true })).rejects.toBeInstanceOf(ApiError);
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it("retries once with a fresh token after a CSRF failure", async () => {
    let calls = 0;
    const fetchMock = vi.fn(async (url: string) => {
      if (url === "/api/auth/csrf") return response(200, { csrf_token: "fresh" });
      calls += 1;
      return calls === 1 ? response(403, { error: { code: "csrf_failed", message: "CSRF" } }) : response(201, { id: 1 });
    });
    const client = new HttpClient(fetchMock as unknown as typeof fetch, () => "");
    await expect(client.post("/api/conversations", {})).resolves.toEqual({ id: 1 });
  });

  it("maps network failures to a French network_error", async () => {
    const client = new HttpClient((async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch, () => "csrftoken=x");
    await expect(client.get("/api/me")).rejects.toMatchObject({ code: "network_error", status: 0 });
  });
});
