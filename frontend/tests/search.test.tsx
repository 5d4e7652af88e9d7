import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MessageHit } from "../src/api/search";
import { Highlighted } from "../src/components/Highlighted";
import { isSearchShortcut, isTextField } from "../src/lib/keys";
import { MessageSearchResults } from "../src/screens/search/MessageSearchResults";

function hit(seq: number, over: Partial<MessageHit> = {}): MessageHit {
  return {
    conversation: "c1",
    conversation_title: "Avis cardio",
    message: `m${seq}`,
    seq,
    sender: { id: "u2", display_name: "Paul Bernard", title: "Dr", profession_label: "Médecin", organization: "CH du Mans" },
    created_at: "2026-11-27T10:00:00Z",
    edited: false,
    snippet: [
      { text: "Échographie", mark: true },
      { text: " cardiaque prévue", mark: false },
    ],
    ...over,
  };
}

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe("search shortcut", () => {
  it("Ctrl+K and ⌘K anywhere, « / » outside text fields only", () => {
    expect(isSearchShortcut(key("k", { ctrlKey: true }), true)).toBe(true);
    expect(isSearchShortcut(key("K", { metaKey: true }), false)).toBe(true);
    expect(isSearchShortcut(key("/"), false)).toBe(true);
    expect(isSearchShortcut(key("/"), true)).toBe(false);
    expect(isSearchShortcut(key("k"), false)).toBe(false);
    expect(isSearchShortcut(key("k", { ctrlKey: true, altKey: true }), false)).toBe(false);
  });
  it("knows text fields", () => {
    expect(isTextField(document.createElement("textarea"))).toBe(true);
    expect(isTextField(document.createElement("input"))).toBe(true);
    expect(isTextField(document.createElement("button"))).toBe(false);
    expect(isTextField(null)).toBe(false);
  });
});

describe("highlighted snippet", () => {
  let host: HTMLElement | null = null;
  afterEach(() => {
    if (host) render(null, host);
    host?.remove();
    host = null;
    vi.useRealTimers();
  });

  it("renders marks as <mark> and markup from a message as text", () => {
    host = document.createElement("div");
    render(<Highlighted parts={[{ text: "<img src=x onerror=alert(1)> ", mark: false }, { text: "éruption", mark: true }]} />, host);
    expect(host.querySelector("img")).toBeNull();
    expect(host.querySelector("mark")?.textContent).toBe("éruption");
    expect(host.textContent).toBe("<img src=x onerror=alert(1)> éruption");
  });

  it("searches after a pause, shows results, pages, and picks one", async () => {
    vi.useFakeTimers();
    const search = vi.fn(async (_q: string, opts: { offset?: number } = {}) =>
      opts.offset ? { results: [hit(1)], next_offset: null } : { results: [hit(3), hit(2, { edited: true })], next_offset: 2 },
    );
    const onPick = vi.fn();
    host = document.createElement("div");
    document.body.appendChild(host);
    await act(async () => {
      render(<MessageSearchResults q="echo" onPick={onPick} search={search as never} />, host!);
    });
    expect(search).not.toHaveBeenCalled();
    await act(async () => {
      vi.advanceTimersByTime(300);
    });
    await act(async () => {
      await Promise.resolve();
    });
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0][0]).toBe("echo");
    const hits = () => Array.from(host!.querySelectorAll('[data-testid="message-search-hit"]')) as HTMLElement[];
    expect(hits().length).toBe(2);
    expect(hits()[0].querySelector("mark")?.textContent).toBe("Échographie");
    expect(hits()[0].textContent).toContain("Avis cardio");
    expect(hits()[1].textContent).toContain("(modifié)");
    await act(async () => {
      (host!.querySelector('[data-testid="message-search-more"]') as HTMLElement).click();
    });
    expect(search.mock.calls[1][1]).toMatchObject({ offset: 2 });
    expect(hits().map((h) => h.dataset.seq)).toEqual(["3", "2", "1"]);
    expect(host.querySelector('[data-testid="message-search-more"]')).toBeNull();
    hits()[2].click();
    expect(onPick).toHaveBeenCalledWith(expect.objectContaining({ seq: 1 }));
  });

  it("says so in French when nothing matches, and waits for two characters", async () => {
    vi.useFakeTimers();
    const search = vi.fn(async () => ({ results: [], next_offset: null }));
    host = document.createElement("div");
    document.body.appendChild(host);
    await act(async () => {
      render(<MessageSearchResults q="e" conversation="c1" onPick={() => undefined} search={search as never} />, host!);
    });
    expect(host.textContent).toContain("au moins 2 caractères");
    await act(async () => {
      render(<MessageSearchResults q="zona" conversation="c1" onPick={() => undefined} search={search as never} />, host!);
    });
    await act(async () => {
      vi.advanceTimersByTime(300);
    });
    await act(async () => {
      await Promise.resolve();
    });
    expect(search).toHaveBeenCalledTimes(1);
    expect(host.querySelector('[data-testid="message-search-empty"]')?.textContent).toBe("Aucun message ne contient « zona » dans cette conversation.");
  });
});
