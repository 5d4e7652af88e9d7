import { describe, expect, it } from "vitest";
import { computeSeenBy, isSeen, seenByLabel } from "../src/state/receipts";
import { BOB, CAROL, ME, msg } from "./fixtures";

describe("Vu par", () => {
  // Written by me; seq 4 not loaded (or deleted from page).
  const messages = [1, 2, 3, 5].map((seq) => msg(seq, { sender: ME }));

  it("puts each reader under the last message they read, excluding me", () => {
    const seen = computeSeenBy(messages, [
      { user: ME, seq: 5 },
      { user: BOB, seq: 3 },
      { user: CAROL, seq: 4 },
    ], ME.id);
    expect([...seen.keys()].sort()).toEqual([3]);
    expect(seen.get(3)!.map((p) => p.id)).toEqual([BOB.id, CAROL.id]);
    expect(seenByLabel(seen.get(3)!)).toBe("Vu par Dr Bob Durand, Carole Petit");
  });

  it("groups readers on the same message and ignores readers of nothing loaded", () => {
    const seen = computeSeenBy(messages, [
      { user: BOB, seq: 5 },
      { user: CAROL, seq: 9 },
      { user: { ...CAROL, id: "4", display_name: "Zoé" }, seq: 0 },
    ], ME.id);
    expect(seen.get(5)!.map((p) => p.display_name)).toEqual(["Bob Durand", "Carole Petit"]);
    expect(seen.size).toBe(1);
  });

  it("puts a reader under the last message of someone else, never under their own", () => {
    const mixed = [msg(1, { sender: ME }), msg(2, { sender: BOB }), msg(3, { sender: BOB })];
    const seen = computeSeenBy(mixed, [{ user: BOB, seq: 3 }], ME.id);
    expect([...seen.keys()]).toEqual([1]);
    const onlyHis = computeSeenBy([msg(1, { sender: BOB })], [{ user: BOB, seq: 1 }], ME.id);
    expect(onlyHis.size).toBe(0);
  });

  it("a message is seen when another participant's read seq reaches it", () => {
    const rs = [{ user: ME, seq: 9 }, { user: BOB, seq: 3 }];
    expect(isSeen(msg(3), rs, ME.id)).toBe(true);
    expect(isSeen(msg(4), rs, ME.id)).toBe(false);
  });
});
