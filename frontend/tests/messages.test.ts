import { describe, expect, it } from "vitest";
import { lastSeq, mergeMessages } from "../src/state/messages";
import { msg } from "./fixtures";

describe("mergeMessages", () => {
  it("orders by seq and removes duplicates", () => {
    const merged = mergeMessages([msg(3), msg(1)].sort((a, b) => a.seq - b.seq), [msg(2), msg(3), msg(5), msg(4)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("returns the same array when nothing changes", () => {
    const list = [msg(1), msg(2)];
    expect(mergeMessages(list, [msg(2)])).toBe(list);
    expect(mergeMessages(list, [])).toBe(list);
  });

  it("prepends an older page", () => {
    const merged = mergeMessages([msg(51), msg(52)], [msg(49), msg(50)]);
    expect(merged.map((m) => m.seq)).toEqual([49, 50, 51, 52]);
  });

  it("applies edits and deletions, and a stale copy does not undo them", () => {
    const edited = msg(2, { body: "corrigé", edited_at: "2024-01-02T00:00:00Z" });
    let list = mergeMessages([msg(1), msg(2)], [edited]);
    expect(list[1].body).toBe("corrigé");
    list = mergeMessages(list, [msg(2)]);
    expect(list[1].body).toBe("corrigé");
    const deleted = msg(2, { body: "", deleted: true });
    list = mergeMessages(list, [deleted]);
    expect(list[1].deleted).toBe(true);
    list = mergeMessages(list, [edited]);
    expect(list[1].deleted).toBe(true);
  });

  it("lastSeq", () => {
    expect(lastSeq([])).toBe(0);
    expect(lastSeq([msg(1), msg(9)])).toBe(9);
  });
});
