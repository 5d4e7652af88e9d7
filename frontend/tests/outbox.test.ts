import { describe, expect, it } from "vitest";
import { newClientId, Outbox } from "../src/ws/outbox";

/** Stands in for the offline cache: what onChange last handed over. */
function mirror() {
  const m = { saved: null as unknown[] | null, save: (items: unknown[]) => void (m.saved = structuredClone(items)) };
  return m;
}

const base = { conversation: "10", body: "bonjour", attachments: [], created_at: "2024-01-01T10:00:00Z" };

describe("Outbox", () => {
  it("resends pending items with their original client_id, oldest first", () => {
    const o = new Outbox();
    o.add({ ...base, client_id: "a" });
    o.add({ ...base, client_id: "b", body: "deux" });
    const first = o.pendingFrames();
    const again = o.pendingFrames();
    expect(first.map((f) => f.client_id)).toEqual(["a", "b"]);
    expect(again).toEqual(first);
    expect(first[0]).toMatchObject({ type: "message.send", ref: "a", conversation: "10", body: "bonjour", attachments: [] });
  });

  it("removes an item on ack and ignores a second ack", () => {
    const o = new Outbox();
    o.add({ ...base, client_id: "a" });
    expect(o.ack("a")).toBe(true);
    expect(o.ack("a")).toBe(false);
    expect(o.pendingFrames()).toEqual([]);
  });

  it("does not add the same client_id twice", () => {
    const o = new Outbox();
    o.add({ ...base, client_id: "a" });
    o.add({ ...base, client_id: "a" });
    expect(o.items()).toHaveLength(1);
  });

  it("hands every change to the offline cache and restores from it after a reload", () => {
    const s = mirror();
    const o = new Outbox([], s.save);
    o.add({ ...base, client_id: "a", attachments: [{ id: "7", name: "x.pdf", content_type: "application/pdf", size: 3, sha256: "" }] });
    const restored = new Outbox(s.saved ?? [], s.save);
    expect(restored.pendingFrames()).toEqual([
      { type: "message.send", ref: "a", conversation: "10", client_id: "a", body: "bonjour", attachments: ["7"] },
    ]);
    restored.ack("a");
    expect(s.saved).toEqual([]);
  });

  it("ignores garbage in what the cache gives back", () => {
    const o = new Outbox([null, 3, { body: "sans id" }, { ...base, client_id: "ok", status: "pending" }]);
    expect(o.items().map((i) => i.client_id)).toEqual(["ok"]);
  });

  it("keeps failed items out of the automatic resend until retried", () => {
    const o = new Outbox();
    o.add({ ...base, client_id: "a" });
    o.markFailed("a", "Message trop long.");
    expect(o.pendingFrames()).toEqual([]);
    expect(o.items()[0]).toMatchObject({ status: "failed", error: "Message trop long." });
    o.retry("a");
    expect(o.pendingFrames().map((f) => f.client_id)).toEqual(["a"]);
  });

  it("clear() wipes memory and the cached copy", () => {
    const s = mirror();
    const o = new Outbox([], s.save);
    o.add({ ...base, client_id: "a" });
    o.clear();
    expect(o.items()).toEqual([]);
    expect(s.saved).toEqual([]);
  });

  it("makes RFC 4122 v4 client ids", () => {
    const id = newClientId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newClientId()).not.toBe(id);
  });
});
