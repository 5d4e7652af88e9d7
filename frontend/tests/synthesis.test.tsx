import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Export, ExportsApi } from "../src/api/exports";
import { addRecipient, applyCheck, applyCheckError, applySendError, canSend, normalizeAddress, removeRecipient, sendErrorMessage } from "../src/screens/synthesis/recipients";
import { SendForm } from "../src/screens/synthesis/SendForm";
import { POLL_MS, SynthesisDialog } from "../src/screens/synthesis/SynthesisDialog";
import { ChatController } from "../src/state/chat";
import { emitExportUpdated, exportStatusLabel, isTerminal, onExportUpdated, reduceExport } from "../src/state/exports";
import { conv, patientRef, signedIn } from "./fixtures";

function exp(over: Partial<Export> = {}): Export {
  return {
    id: "e1",
    conversation: "10",
    status: "queued",
    progress: 0,
    from_seq: null,
    to_seq: null,
    document_id: "SYN-1",
    download: null,
    sha256: null,
    error: null,
    created_at: "2026-01-01T10:00:00Z",
    finished_at: null,
    ...over,
  };
}

describe("export progress reducer", () => {
  it("takes the first update and moves forward", () => {
    let s = reduceExport(null, exp());
    s = reduceExport(s, exp({ status: "running", progress: 30 }));
    expect(s?.progress).toBe(30);
    s = reduceExport(s, exp({ status: "running", progress: 60 }));
    expect(s?.status).toBe("running");
    expect(s?.progress).toBe(60);
  });
  it("never goes backwards (late poll answer after a newer frame)", () => {
    let s = reduceExport(null, exp({ status: "running", progress: 70 }));
    s = reduceExport(s, exp({ status: "running", progress: 40 }));
    expect(s?.progress).toBe(70);
    s = reduceExport(s, exp({ status: "queued", progress: 0 }));
    expect(s?.status).toBe("running");
  });
  it("done is terminal and means 100 %", () => {
    let s = reduceExport(null, exp({ status: "running", progress: 90 }));
    s = reduceExport(s, exp({ status: "done", progress: 95, download: "/api/exports/e1/download" }));
    expect(s?.progress).toBe(100);
    expect(isTerminal(s)).toBe(true);
    const after = reduceExport(s, exp({ status: "running", progress: 99 }));
    expect(after).toBe(s);
    expect(reduceExport(s, exp({ status: "failed", error: "x" }))).toBe(s);
  });
  it("ignores other exports and clamps odd progress values", () => {
    const s = reduceExport(null, exp({ status: "running", progress: 250 }));
    expect(s?.progress).toBe(100);
    expect(reduceExport(s, exp({ id: "other", status: "done" }))).toBe(s);
    expect(reduceExport(null, exp({ progress: Number.NaN }))?.progress).toBe(0);
  });
  it("labels", () => {
    expect(exportStatusLabel({ status: "running", progress: 42 })).toBe("Génération en cours : 42 %");
    expect(exportStatusLabel({ status: "done", progress: 100 })).toBe("Synthèse prête.");
  });
  it("the chat controller forwards export.updated frames to the listeners", () => {
    const seen: Export[] = [];
    const off = onExportUpdated((e) => seen.push(e));
    const chat = new ChatController({
      api: {} as never,
      meId: "1",
      onExportUpdated: emitExportUpdated,
      createSocket: () => ({ start() {}, stop() {}, send: () => false, reconnectNow() {}, isOpen: false }),
    });
    chat.handleFrame({ type: "export.updated", export: exp({ status: "running", progress: 10 }) });
    chat.handleFrame({ type: "export.updated", export: "junk" } as never);
    off();
    chat.handleFrame({ type: "export.updated", export: exp() });
    expect(seen).toHaveLength(1);
    expect(seen[0].progress).toBe(10);
  });
});

describe("synthesis recipients", () => {
  it("normalises, dedupes and refuses malformed addresses locally", () => {
    expect(normalizeAddress("  Paul.Bernard@Demo.MSSante.fr ")).toBe("paul.bernard@demo.mssante.fr");
    let l = addRecipient([], "Paul.Bernard@demo.mssante.fr");
    l = addRecipient(l, "paul.bernard@demo.mssante.fr ");
    expect(l).toHaveLength(1);
    expect(l[0].state).toBe("checking");
    l = addRecipient(l, "pas-une-adresse");
    expect(l[1]).toMatchObject({ state: "refused", code: "malformed" });
    expect(removeRecipient(l, "pas-une-adresse")).toHaveLength(1);
  });
  it("applies the server check (accepted / refused with reason / error)", () => {
    let l = addRecipient(addRecipient(addRecipient([], "a@demo.mssante.fr"), "x@gmail.com"), "b@demo.mssante.fr");
    l = applyCheck(l, "a@demo.mssante.fr", { accepted: true, kind: "professional", code: null, reason: null, address: "a@demo.mssante.fr" });
    l = applyCheck(l, "X@gmail.com", { accepted: false, kind: null, code: "outside_trust_space", reason: "Hors espace de confiance", address: "x@gmail.com" });
    expect(canSend(l, false, "me@demo.mssante.fr")).toMatchObject({ ok: false, message: "Vérification des adresses en cours…" });
    l = applyCheckError(l, "b@demo.mssante.fr", "Réseau");
    expect(l.map((r) => r.state)).toEqual(["accepted", "refused", "error"]);
    expect(l[1].reason).toBe("Hors espace de confiance");
    expect(canSend(l, false, "me@demo.mssante.fr").ok).toBe(false);
    l = removeRecipient(removeRecipient(l, "x@gmail.com"), "b@demo.mssante.fr");
    expect(canSend(l, false, "me@demo.mssante.fr")).toEqual({ ok: true, message: null });
  });
  it("needs a destination and a sender mailbox", () => {
    expect(canSend([], false, "me@x.fr").ok).toBe(false);
    expect(canSend([], true, "me@x.fr").ok).toBe(true);
    expect(canSend([], true, "").message).toBe("Choisissez la boîte d'envoi.");
  });
  it("marks addresses named by a refused send", () => {
    let l = addRecipient([], "a@demo.mssante.fr");
    l = applyCheck(l, "a@demo.mssante.fr", { accepted: true, kind: null, code: null, reason: null, address: "a@demo.mssante.fr" });
    const after = applySendError(l, "lookalike_domain", "Le domaine de a@demo.mssante.fr ressemble…");
    expect(after[0].state).toBe("refused");
    expect(applySendError(l, "export_not_ready", "a@demo.mssante.fr")).toBe(l);
    expect(sendErrorMessage("export_not_ready", "")).toBe("La synthèse n'est pas encore prête.");
    expect(sendErrorMessage("x", "Message serveur")).toBe("Message serveur");
  });
});

const ME = signedIn();

describe("synthesis dialog", () => {
  let host: HTMLElement | null = null;
  afterEach(() => {
    if (host) render(null, host);
    host?.remove();
    host = null;
    vi.useRealTimers();
  });

  it("generates, follows frames and polling, then sends", async () => {
    vi.useFakeTimers();
    const api = {
      requestSynthesis: vi.fn(async () => ({ export: exp() })),
      get: vi.fn(async () => exp({ status: "running", progress: 50 })),
      send: vi.fn(async () => ({ messages: [{ id: "m1", status: "queued" }] })),
      checkAddress: vi.fn(async (address: string) =>
        address.endsWith("gmail.com")
          ? { accepted: false, kind: null, code: "outside_trust_space", reason: "Hors de l'espace de confiance", address }
          : { accepted: true, kind: "professional", code: null, reason: null, address },
      ),
      message: vi.fn(async () => ({ id: "m1", status: "queued", recipients: [{ address: "p@demo.mssante.fr", status: "sent", reason: "" }] })),
    } as unknown as ExportsApi;
    const directory = { mssanteSearch: vi.fn(async () => ({ results: [], count: 0, count_exact: true, next_offset: null })) };
    host = document.createElement("div");
    document.body.appendChild(host);
    await act(async () => {
      render(<SynthesisDialog conversation={conv({ patient: patientRef({ id: "5", display_name: "DUPONT Jean" }), last_seq: 12 })} me={ME} onClose={() => undefined} api={api} directory={directory} />, host!);
    });
    const q = (id: string) => host!.querySelector(`[data-testid="${id}"]`) as HTMLElement;
    await act(async () => {
      (q("synthesis-generate") as HTMLButtonElement).click();
    });
    expect(api.requestSynthesis).toHaveBeenCalledWith("10", {});
    expect(q("synthesis-progress").getAttribute("aria-valuenow")).toBe("0");
    await act(async () => {
      emitExportUpdated(exp({ status: "running", progress: 20 }));
    });
    expect(q("synthesis-progress").getAttribute("aria-valuenow")).toBe("20");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_MS + 10);
    });
    expect(api.get).toHaveBeenCalled();
    expect(q("synthesis-progress").getAttribute("aria-valuenow")).toBe("50");
    await act(async () => {
      emitExportUpdated(exp({ status: "done", progress: 100, download: "/api/exports/e1/download" }));
    });
    expect(q("synthesis-download").getAttribute("href")).toBe("/api/exports/e1/download");
    expect(q("synthesis-to-patient")).toBeTruthy();

    const input = q("synthesis-recipient-input") as HTMLInputElement;
    for (const addr of ["x@gmail.com", "p@demo.mssante.fr"]) {
      await act(async () => {
        input.value = addr;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
      await act(async () => {
        input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      });
    }
    expect(q("synthesis-recipient-error").textContent).toContain("Hors de l'espace de confiance");
    await act(async () => {
      (q("synthesis-send") as HTMLButtonElement).click();
    });
    expect(api.send).not.toHaveBeenCalled();
    expect(q("synthesis-send-blocked")).toBeTruthy();
    await act(async () => {
      (host!.querySelector('[aria-label="Retirer x@gmail.com"]') as HTMLButtonElement).click();
    });
    await act(async () => {
      (q("synthesis-send") as HTMLButtonElement).click();
    });
    expect(api.send).toHaveBeenCalledWith("e1", { recipients: ["p@demo.mssante.fr"], to_patient_record: false, from: "claire@demo.mssante.fr" });
    expect(q("synthesis-sent")).toBeTruthy();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(q("synthesis-sent-status").dataset.status).toBe("sent");
  });

  it("offers the DMP visibility only for the patient's record, and sends the author's choice", async () => {
    const api = { send: vi.fn(async () => ({ messages: [{ id: "m1", status: "queued" }] })), message: vi.fn() } as unknown as ExportsApi;
    const directory = { mssanteSearch: vi.fn(async () => ({ results: [], count: 0, count_exact: true, next_offset: null })) };
    host = document.createElement("div");
    document.body.appendChild(host);
    await act(async () => {
      render(
        <SendForm exp={exp({ status: "done", progress: 100 })} conversation={conv({ patient: patientRef({ id: "5", display_name: "DUPONT Léa" }) })} me={ME} api={api} directory={directory} onClose={() => undefined} />,
        host!,
      );
    });
    const q = (id: string) => host!.querySelector(`[data-testid="${id}"]`) as HTMLElement | null;
    expect(q("synthesis-visibility")).toBeNull();
    await act(async () => {
      (q("synthesis-to-patient") as HTMLInputElement).click();
    });
    const select = q("synthesis-visibility") as HTMLSelectElement;
    expect(select.value).toBe("");
    expect(Array.from(select.options).map((o) => o.value)).toEqual(["", "normal", "invisible_patient", "masked_professionals", "invisible_representatives"]);
    await act(async () => {
      select.value = "invisible_patient";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await act(async () => {
      (q("synthesis-send") as HTMLButtonElement).click();
    });
    expect(api.send).toHaveBeenCalledWith("e1", { recipients: [], to_patient_record: true, from: "claire@demo.mssante.fr", visibility: "invisible_patient" });
  });
});
