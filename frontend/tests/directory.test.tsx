import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendPage, directoryQuery, hasCriteria, isValidPostcode, mailboxKindLabel, EMPTY_FILTERS, type DirectoryResult } from "../src/api/directory";
import { canAccess, navItems } from "../src/lib/roles";
import { DirectoryScreen } from "../src/screens/directory/DirectoryScreen";
import { signedIn } from "./fixtures";

function entry(id: number, over: Partial<DirectoryResult> = {}): DirectoryResult {
  return {
    id,
    name: `Dr ${id}`,
    profession: "Médecin",
    specialty: "Cardiologie",
    rpps: "1000",
    organization: "CH du Mans",
    city: "Le Mans",
    postcode: "72000",
    mssante: [{ address: `p${id}@demo.mssante.fr`, kind: "PER" }],
    user: null,
    kind: "person",
    source: "ps",
    ...over,
  };
}

describe("directory query string", () => {
  it("leaves out empty criteria and sends limit", () => {
    expect(directoryQuery({ q: "  martin " })).toBe("q=martin&limit=20");
    expect(directoryQuery({ ...EMPTY_FILTERS, profession: "10", city: "Le Mans", postcode: "72000", mssanteOnly: true }, 20)).toBe(
      "profession=10&city=Le+Mans&postcode=72000&mssante_only=1&limit=20&offset=20",
    );
  });
  it("does not send an incomplete postcode", () => {
    expect(isValidPostcode("7200")).toBe(false);
    expect(isValidPostcode("72000")).toBe(true);
    expect(directoryQuery({ postcode: "720" })).toBe("limit=20");
    expect(hasCriteria({ ...EMPTY_FILTERS, postcode: "720" })).toBe(false);
    expect(hasCriteria({ ...EMPTY_FILTERS, mssanteOnly: true })).toBe(true);
  });
  it("mailbox kind labels", () => {
    expect(mailboxKindLabel("PER")).toBe("Nominative");
    expect(mailboxKindLabel("ORG")).toBe("Organisationnelle");
    expect(mailboxKindLabel("APP")).toBe("Applicative");
    expect(mailboxKindLabel("XYZ")).toBe("XYZ");
  });
  it("pagination appends without duplicates", () => {
    const a = [entry(1), entry(2)];
    expect(appendPage(a, [entry(2), entry(3)]).map((e) => e.id)).toEqual([1, 2, 3]);
  });
  it("every signed-in role reaches the directory", () => {
    const billing = signedIn({
      organizations: [{ id: "1", name: "O", finess: "", kind: "practice", roles: ["billing"] }],
      mailboxes: [],
    });
    expect(canAccess(billing, "/annuaire")).toBe(true);
    expect(navItems(billing).some((i) => i.href === "/annuaire")).toBe(true);
  });
});

const ME = signedIn({ id: "me" });

describe("directory screen", () => {
  let host: HTMLElement | null = null;
  afterEach(() => {
    if (host) render(null, host);
    host?.remove();
    host = null;
    vi.useRealTimers();
  });

  it("searches (debounced), paginates, starts a conversation and toggles liste rouge", async () => {
    vi.useFakeTimers();
    const search = vi.fn(async (_f: unknown, offset = 0) =>
      offset === 0
        ? { results: [entry(1, { user: "u1" }), entry(2, { mssante: [{ address: "equipe@ch.mssante.fr", kind: "ORG" }] })], count: 3, count_exact: true, next_offset: 2 }
        : { results: [entry(3)], count: 3, count_exact: true, next_offset: null },
    );
    const api = {
      search,
      mssanteSearch: vi.fn(),
      mailboxes: vi.fn(async () => [{ address: "claire@demo.mssante.fr", kind: "PER", display_name: "Dr Claire Martin", hidden: false }]),
      setVisibility: vi.fn(async (address: string, hidden: boolean) => ({ address, kind: "PER", display_name: "", hidden })),
    };
    const create = vi.fn(async () => ({ id: "c9" }) as never);
    host = document.createElement("div");
    document.body.appendChild(host);
    await act(async () => {
      render(<DirectoryScreen me={ME} createConversation={create} api={api as never} />, host!);
    });
    const q = (id: string) => host!.querySelector(`[data-testid="${id}"]`) as HTMLElement;
    const all = (id: string) => Array.from(host!.querySelectorAll(`[data-testid="${id}"]`)) as HTMLElement[];
    const input = q("directory-search") as HTMLInputElement;
    await act(async () => {
      input.value = "m";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.value = "mar";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(async () => {
      (q("directory-mssante-only") as HTMLInputElement).click();
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(400);
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0][0]).toMatchObject({ q: "mar", mssanteOnly: true });
    expect(all("directory-result")).toHaveLength(2);
    expect(all("directory-on-platform")).toHaveLength(1);
    expect(all("directory-start-conversation")).toHaveLength(1);
    expect(all("directory-mailbox-kind").map((e) => e.textContent)).toEqual(["Nominative", "Organisationnelle"]);
    expect(q("directory-start-team")).toBeTruthy();

    await act(async () => {
      q("directory-more").click();
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(search.mock.calls[1][1]).toBe(2);
    expect(all("directory-result")).toHaveLength(3);
    expect(q("directory-more")).toBeNull();

    await act(async () => {
      q("directory-start-conversation").click();
    });
    expect(create).toHaveBeenCalledWith({ participants: ["u1"] });

    const toggle = q("directory-visibility-toggle") as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    await act(async () => {
      toggle.click();
    });
    expect(api.setVisibility).toHaveBeenCalledWith("claire@demo.mssante.fr", true);
    expect((q("directory-visibility-toggle") as HTMLInputElement).checked).toBe(true);
  });

  it("shows empty and error states", async () => {
    vi.useFakeTimers();
    let fail = false;
    const api = {
      search: vi.fn(async () => {
        if (fail) throw new Error("boom");
        return { results: [], count: 0, count_exact: true, next_offset: null };
      }),
      mssanteSearch: vi.fn(),
      mailboxes: vi.fn(async () => []),
      setVisibility: vi.fn(),
    };
    host = document.createElement("div");
    document.body.appendChild(host);
    await act(async () => {
      render(<DirectoryScreen me={ME} createConversation={null} api={api as never} />, host!);
    });
    const q = (id: string) => host!.querySelector(`[data-testid="${id}"]`) as HTMLElement;
    const city = q("directory-city") as HTMLInputElement;
    await act(async () => {
      city.value = "Nulle";
      city.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(400);
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(q("directory-empty")).toBeTruthy();
    fail = true;
    await act(async () => {
      city.value = "Nullepart";
      city.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(400);
    });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1);
    });
    expect(q("directory-error")).toBeTruthy();
    expect(q("directory-redlist")).toBeNull();
  });
});
