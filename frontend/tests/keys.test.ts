import { describe, expect, it } from "vitest";
import { isSendShortcut, sendShortcutHint } from "../src/lib/keys";

const k = (over: Partial<Parameters<typeof isSendShortcut>[0]>) => ({ key: "Enter", ctrlKey: false, metaKey: false, ...over });

describe("composer shortcut", () => {
  it("Ctrl+Enter and Cmd+Enter send", () => {
    expect(isSendShortcut(k({ ctrlKey: true }))).toBe(true);
    expect(isSendShortcut(k({ metaKey: true }))).toBe(true);
  });

  it("plain Enter and Shift+Enter make a new line", () => {
    expect(isSendShortcut(k({}))).toBe(false);
    expect(isSendShortcut(k({ shiftKey: true }))).toBe(false);
  });

  it("ignores other keys and IME composition", () => {
    expect(isSendShortcut(k({ key: "a", ctrlKey: true }))).toBe(false);
    expect(isSendShortcut(k({ ctrlKey: true, isComposing: true }))).toBe(false);
    expect(isSendShortcut(k({ ctrlKey: true, altKey: true }))).toBe(false);
  });

  it("hints the platform shortcut", () => {
    expect(sendShortcutHint(true)).toContain("⌘");
    expect(sendShortcutHint(false)).toContain("Ctrl");
  });
});
