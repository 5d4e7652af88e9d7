import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LoginScreen } from "../src/screens/Login";
import { flush, json } from "./fixtures";

let root: HTMLElement;
afterEach(() => {
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
});

async function type(el: HTMLInputElement, value: string) {
  await act(async () => {
    el.value = value;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

describe("LoginScreen", () => {
  it("asks for the TOTP code on otp_required, then shows the lock-out message", async () => {
    const bodies: unknown[] = [];
    let step = 0;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        if (url === "/api/auth/csrf") return json(200, { csrf_token: "t" });
        if (url === "/api/auth/methods") return json(200, { psc: false, psc_start_url: "/auth/psc/start", psc_required_for_rpps: false });
        bodies.push(JSON.parse(String(init.body)));
        step += 1;
        if (step === 1) return json(401, { error: { code: "otp_required", message: "Code requis." } });
        return json(429, { error: { code: "locked_out", message: "Compte verrouillé, réessayez dans 15 minutes." } });
      }),
    );
    root = document.createElement("div");
    document.body.appendChild(root);
    await act(async () => render(<LoginScreen />, root));
    await type(root.querySelector('[data-testid="login-username"]') as HTMLInputElement, "dr.martin");
    await type(root.querySelector('[data-testid="login-password"]') as HTMLInputElement, "secret");
    expect(root.querySelector('[data-testid="login-otp"]')).toBeNull();
    await act(async () => {
      (root.querySelector('[data-testid="login-form"]') as HTMLFormElement).dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
      await flush();
      await flush();
    });
    const otp = root.querySelector('[data-testid="login-otp"]') as HTMLInputElement;
    expect(otp).not.toBeNull();
    await type(otp, "123 456");
    await act(async () => {
      (root.querySelector('[data-testid="login-form"]') as HTMLFormElement).dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
      await flush();
      await flush();
    });
    expect(bodies).toEqual([
      { username: "dr.martin", password: "secret" },
      { username: "dr.martin", password: "secret", otp: "123456" },
    ]);
    expect(root.querySelector('[data-testid="login-error"]')!.textContent).toBe("Compte verrouillé, réessayez dans 15 minutes.");
  });

  it("offers Pro Santé Connect first when the platform has it", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        if (url === "/api/auth/methods") return json(200, { psc: true, psc_start_url: "/auth/psc/start", psc_required_for_rpps: true });
        return json(200, { csrf_token: "t" });
      }),
    );
    root = document.createElement("div");
    document.body.appendChild(root);
    await act(async () => {
      render(<LoginScreen />, root);
      await flush();
      await flush();
      await flush();
    });
    const psc = root.querySelector('[data-testid="psc-login"]') as HTMLAnchorElement;
    expect(psc.textContent).toBe("Se connecter avec Pro Santé Connect");
    expect(psc.getAttribute("href")).toBe("/auth/psc/start");
    const order = [...root.querySelectorAll("[data-testid]")].map((el) => el.getAttribute("data-testid"));
    expect(order.indexOf("psc-login")).toBeLessThan(order.indexOf("login-username"));
    expect(root.textContent).toContain("réservés aux comptes sans numéro RPPS");
  });

  it("shows only the password form when Pro Santé Connect is not configured", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(200, { psc: false, psc_start_url: "/auth/psc/start", psc_required_for_rpps: false })));
    root = document.createElement("div");
    document.body.appendChild(root);
    await act(async () => {
      render(<LoginScreen />, root);
      await flush();
      await flush();
      await flush();
    });
    expect(root.querySelector('[data-testid="psc-login"]')).toBeNull();
    expect(root.querySelector('[data-testid="login-username"]')).not.toBeNull();
  });
});
