import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { billingQuery, exportUrl } from "../src/api/billing";
import type { Me } from "../src/api/types";
import { TopBar } from "../src/components/TopBar";
import {
  actStatusLabel,
  formatAmount,
  formatDate,
  nextActStatuses,
  quotaLabel,
  recipientStatusLabel,
  summarySentence,
  teStatusLabel,
  validateConsent,
} from "../src/lib/format";
import { canAccess, homePath, isBillingOnly, navItems, sectionOf } from "../src/lib/roles";
import { StatusBadges } from "../src/screens/teleexpertise/common";
import { ChatController } from "../src/state/chat";
import { onTeleexpertiseUpdated } from "../src/state/teleexpertise";
import { flush, json, signedIn } from "./fixtures";

function me(roles: string[][], over: Partial<Me> = {}): Me {
  const organizations = roles.map((r, i) => ({ id: String(i), name: `Org ${i}`, finess: "", kind: "practice", roles: r as never }));
  return signedIn({ organizations, ...over });
}

describe("role-based navigation", () => {
  it("billing-only users see billing only", () => {
    const u = me([["billing"]], { mailboxes: [] });
    expect(isBillingOnly(u)).toBe(true);
    expect(navItems(u).map((i) => i.section)).toEqual(["billing", "directory"]);
    expect(homePath(u)).toBe("/facturation");
    expect(canAccess(u, "/")).toBe(false);
    expect(canAccess(u, "/teleexpertise")).toBe(false);
    expect(canAccess(u, "/teleexpertise/12")).toBe(false);
    expect(canAccess(u, "/conversations/3")).toBe(false);
    expect(canAccess(u, "/facturation")).toBe(true);
  });
  it("clinicians see messaging, teleexpertise and patient writing, not billing", () => {
    const u = me([["clinician"]]);
    expect(navItems(u).map((i) => i.section)).toEqual(["messaging", "mssante", "teleexpertise", "patient", "directory"]);
    expect(canAccess(u, "/facturation")).toBe(false);
    expect(homePath(u)).toBe("/");
  });
  it("billing + clinical roles (across organisations) see both", () => {
    const u = me([["clinician"], ["billing"]]);
    expect(navItems(u).map((i) => i.section)).toEqual(["messaging", "mssante", "teleexpertise", "patient", "billing", "directory"]);
    expect(isBillingOnly(u)).toBe(false);
  });
  it("admin counts as billing", () => {
    expect(canAccess(me([["admin"]]), "/facturation")).toBe(true);
  });
});

describe("formatting", () => {
  it("amounts in euros, French style", () => {
    expect(formatAmount("23.00")).toBe("23,00\u00a0€");
    expect(formatAmount("1234.5")).toBe("1\u202f234,50\u00a0€");
    expect(formatAmount("abc")).toBe("—");
  });
  it("dates JJ/MM/AAAA without time-zone shift", () => {
    expect(formatDate("2025-03-04")).toBe("04/03/2025");
    expect(formatDate(new Date(2024, 11, 31, 23, 30).toISOString())).toBe("31/12/2024");
    expect(formatDate(null)).toBe("—");
  });
  it("quota label", () => {
    const now = new Date(2026, 5, 1);
    expect(quotaLabel({ used: 3, limit: 4, year: 2026 }, now)).toBe("3/4 actes utilisés cette année");
    expect(quotaLabel({ used: 1, limit: 4, year: 2026 }, now)).toBe("1/4 acte utilisé cette année");
    expect(quotaLabel({ used: 0, limit: 4, year: 2025 }, now)).toBe("0/4 acte utilisé en 2025");
  });
  it("status labels", () => {
    expect(["submitted", "accepted", "declined", "answered", "filed", "closed"].map(teStatusLabel)).toEqual([
      "Envoyée",
      "Acceptée",
      "Refusée",
      "Répondue",
      "Classée",
      "Clôturée",
    ]);
    expect(["declared", "transmitted", "paid", "rejected"].map(actStatusLabel)).toEqual(["Déclaré", "Transmis", "Payé", "Rejeté"]);
    expect(nextActStatuses("declared")).toEqual(["transmitted", "rejected"]);
    expect(nextActStatuses("paid")).toEqual([]);
    expect(recipientStatusLabel("queued")).toBe("En attente");
    expect(recipientStatusLabel("sent")).toBe("Envoyé");
    expect(recipientStatusLabel("read")).toBe("Lu");
    expect(recipientStatusLabel("failed", "boîte inconnue")).toBe("Échec : boîte inconnue");
  });
  it("summary sentence is lower case after the colon", () => {
    expect(summarySentence("Une femme, née en mars 1985, née dans le département 77")).toBe(
      "Vous vous apprêtez à écrire à : une femme, née en mars 1985, née dans le département 77",
    );
    expect(summarySentence("Un homme, né en 1950, né à l'étranger")).toBe("Vous vous apprêtez à écrire à : un homme, né en 1950, né à l'étranger");
  });
});

describe("consent validation", () => {
  const now = new Date(2026, 0, 10, 12, 0);
  it("requires method, date and the informed checkbox", () => {
    const e = validateConsent({ method: "", collectedAt: "", informed: false }, now);
    expect(Object.keys(e).sort()).toEqual(["collected_at", "method", "patient_informed"]);
  });
  it("refuses a future date", () => {
    expect(validateConsent({ method: "oral", collectedAt: "2026-01-11T12:00", informed: true }, now).collected_at).toBeTruthy();
  });
  it("accepts a complete consent", () => {
    expect(validateConsent({ method: "written", collectedAt: "2026-01-10T11:00", informed: true }, now)).toEqual({});
  });
});

describe("billing filters -> query string", () => {
  it("drops empty values and adds paging", () => {
    expect(billingQuery({ from: "2026-01-01", to: "", code: "TE2", status: "paid", professional: " " }, { limit: 25, offset: 50 })).toBe(
      "from=2026-01-01&code=TE2&status=paid&limit=25&offset=50",
    );
  });
  it("export links keep the filters, not the paging", () => {
    expect(exportUrl("csv", { status: "rejected" })).toBe("/api/billing/acts.csv?status=rejected");
    expect(exportUrl("xlsx", {})).toBe("/api/billing/acts.xlsx");
  });
});

let root: HTMLElement | null = null;
afterEach(() => {
  vi.unstubAllGlobals();
  if (root) {
    render(null, root);
    root.remove();
    root = null;
  }
});

describe("UI pieces", () => {
  it("top bar nav follows roles and marks the current section", async () => {
    // A fake server: the badge of received requests asks for their count (no network in tests).
    const fetch = vi.fn(async (_url: string) => json(200, { pending: 2 }));
    vi.stubGlobal("fetch", fetch);
    root = document.createElement("div");
    document.body.appendChild(root);
    await act(async () => {
      render(<TopBar me={me([["clinician"], ["billing"]])} path="/teleexpertise/4" />, root!);
    });
    await act(flush);
    expect(fetch.mock.calls.map(([url]) => String(url))).toEqual(["/api/teleexpertise/requests/pending"]);
    expect(root.querySelector('[data-testid="nav-te-badge"]')!.textContent).toBe("2");
    const label = (l: Element | null) => l!.firstChild!.textContent; // without the badge
    const links = Array.from(root.querySelectorAll(".mainnav-link"));
    expect(links.map(label)).toEqual(["Messagerie", "Messagerie MSSanté", "Téléexpertise", "Écrire à un patient", "Facturation", "Annuaire"]);
    expect(label(root.querySelector('[aria-current="page"]'))).toBe("Téléexpertise");
    await act(async () => {
      render(<TopBar me={me([["billing"]], { mailboxes: [] })} path="/facturation" />, root!);
    });
    expect(root.querySelector('[data-testid="nav-messaging"]')).toBeNull();
    expect(root.querySelector('[data-testid="nav-teleexpertise"]')).toBeNull();
  });

  it("status badges show « En retard » when overdue", async () => {
    root = document.createElement("div");
    document.body.appendChild(root);
    await act(async () => {
      render(<StatusBadges request={{ status: "accepted", overdue: true, urgency: "normal" }} />, root!);
    });
    expect(root.querySelector('[data-testid="te-status"]')!.textContent).toBe("Acceptée");
    expect(root.textContent).toContain("En retard");
  });
});

describe("teleexpertise.updated frames", () => {
  it("are forwarded by the chat controller", () => {
    const received: unknown[] = [];
    const off = onTeleexpertiseUpdated((u) => received.push(u));
    const onTe = vi.fn();
    const chat = new ChatController({
      api: {} as never,
      meId: "1",
      createSocket: () => ({ start() {}, stop() {}, send: () => true, reconnectNow() {}, isOpen: true }),
      onTeleexpertiseUpdated: onTe,
    });
    chat.handleFrame({ type: "teleexpertise.updated", request: { id: "7", status: "accepted" } as never });
    expect(onTe).toHaveBeenCalledWith({ id: "7", status: "accepted" });
    off();
    expect(received).toEqual([]);
  });
});

describe("MSSanté inbox", () => {
  it("a clinician without a mailbox has no « Messagerie MSSanté » entry", () => {
    const u = me([["clinician"]], { mailboxes: [] });
    expect(navItems(u).map((i) => i.section)).not.toContain("mssante");
    expect(sectionOf("/mssante")).toBe("mssante");
    expect(canAccess(me([["billing"]]), "/mssante")).toBe(false);
  });
});
