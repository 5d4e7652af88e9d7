import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LoginScreen } from "../src/screens/Login";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const flush = () => new Promise((r) => setTimeout(r, 0));

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
});
