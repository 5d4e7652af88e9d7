import { describe, expect, it } from "vitest";
import { SyncCursors } from "../src/ws/cursors";

describe("SyncCursors", () => {
  it("advances on consecutive seqs and reports duplicates", () => {
    const c = new SyncCursors();
    c.baseline("10", 5);
    expect(c.observe("10", 6)).toBe("next");
    expect(c.observe("10", 6)).toBe("duplicate");
    expect(c.observe("10", 3)).toBe("duplicate");
    expect(c.get("10")).toBe(6);
  });

  it("does not move past a gap", () => {
    const c = new SyncCursors();
    c.baseline("10", 5);
    expect(c.observe("10", 8)).toBe("gap");
    expect(c.get("10")).toBe(5);
    expect(c.snapshot()).toEqual({ "10": 5 });
  });

  it("starts a cursor for an unknown conversation", () => {
    const c = new SyncCursors();
    expect(c.observe("abc", 1)).toBe("first");
    expect(c.get("abc")).toBe(1);
  });

  it("baseline never moves back", () => {
    const c = new SyncCursors();
    c.baseline("1", 9);
    c.baseline("1", 4);
    expect(c.get("1")).toBe(9);
  });

  it("applies an unordered batch", () => {
    const c = new SyncCursors();
    c.baseline("1", 2);
    expect(c.applyBatch("1", [5, 3, 4])).toBe(5);
  });

  it("snapshots all or selected conversations with string keys", () => {
    const c = new SyncCursors();
    c.baseline("1", 3);
    c.baseline("2", 7);
    expect(c.snapshot()).toEqual({ "1": 3, "2": 7 });
    expect(c.snapshot(["2"])).toEqual({ "2": 7 });
  });
});
