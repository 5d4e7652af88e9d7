import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerFrame } from "../src/api/frames.gen";
import { PatientChip } from "../src/components/PatientChip";
import { bornOn, frenchDate, patientQuery, statusWord } from "../src/lib/identity";
import { ConversationList } from "../src/screens/ConversationList";
import { writePatientPath } from "../src/screens/conversation/PatientDialog";
import { ChatController } from "../src/state/chat";
import { type FrameState, reduceChatFrame, sortConversations } from "../src/state/chatFrames";
import { BOB, CAROL, ME, conv, msg, newRoot, patientRef, unmountRoots } from "./fixtures";

let root: HTMLElement;
afterEach(unmountRoots);

const reduce = (s: FrameState, frame: ServerFrame) => reduceChatFrame(s, frame, ME.id);
const state = (conversations = [conv()]): FrameState => ({ conversations, messages: {}, presence: {}, typing: {} });

describe("a patient's identity (issue 18 item 6)", () => {
  it("says the identity status in one French word", () => {
    expect(["PROV", "RECUP", "VALI", "QUAL"].map(statusWord)).toEqual(["provisoire", "récupérée", "validée", "qualifiée"]);
    expect(frenchDate("1985-03-14")).toBe("14/03/1985");
    expect(bornOn("F", "1985-03-14")).toBe("née le 14/03/1985");
    expect(bornOn("M", "1942-11-02")).toBe("né le 02/11/1942");
  });

  it("reads a search box as an INS, a birth date or a name", () => {
    expect(patientQuery("2 85 03 77 284 173 46")).toEqual({ ins: "285037728417346" });
    expect(patientQuery("14/03/1985")).toEqual({ birth_date: "1985-03-14" });
    expect(patientQuery("lefebvre 4/3/1985")).toEqual({ birth_date: "1985-03-04", q: "lefebvre" });
    expect(patientQuery("  Lefebvre Marie ")).toEqual({ q: "Lefebvre Marie" });
    expect(patientQuery("")).toEqual({});
  });

  it("shows birth name, first name, birth date and status in the chip, and opens the panel", async () => {
    root = newRoot();
    let opened = 0;
    await act(async () => {
      render(<PatientChip patient={patientRef({ birth_name: "LEFEBVRE", first_name: "Marie", sex: "F", birth_date: "1985-03-14", identity_status: "PROV" })} onOpen={() => opened++} />, root);
    });
    const chip = root.querySelector('[data-testid="patient-chip"]') as HTMLButtonElement;
    expect(chip.textContent).toContain("LEFEBVRE");
    expect(chip.textContent).toContain("Marie");
    expect(chip.textContent).toContain("née le 14/03/1985");
    expect(root.querySelector('[data-testid="patient-chip-status"]')!.textContent).toBe("provisoire");
    expect(chip.getAttribute("aria-label")).toContain("identité provisoire");
    chip.click();
    expect(opened).toBe(1);
  });

  it("writes to the patient from their record id, never their INS", () => {
    expect(writePatientPath("5")).toBe("/patient/ecrire?patient=5");
  });
});

describe("groups in the chat state (issue 18 item 7)", () => {
  it("puts pinned conversations first, then by activity", () => {
    const old = conv({ id: "a", pinned: true, created_at: "2020-01-01T00:00:00Z" });
    const recent = conv({ id: "b", last_message: msg(1, { created_at: "2024-05-01T00:00:00Z" }) });
    expect(sortConversations([recent, old]).map((c) => c.id)).toEqual(["a", "b"]);
  });

  it("replaces a conversation on conversation.updated and drops it on conversation.removed", () => {
    const group = conv({ id: "g", kind: "group", title: "Staff" });
    let step = reduce(state([group]), { type: "conversation.updated", conversation: { ...group, title: "Staff du lundi", participants: [...group.participants, { kind: "user", user: CAROL }] } });
    expect(step.state.conversations[0].title).toBe("Staff du lundi");
    expect(step.state.conversations[0].participants).toHaveLength(3);
    step = reduce({ ...step.state, messages: { g: { items: [msg(1)], hasMore: false, status: "ready", loadingOlder: false } } }, { type: "conversation.removed", conversation: "g", reason: "removed" });
    expect(step.state.conversations).toEqual([]);
    expect(step.state.messages).toEqual({});
    expect(step.effects).toEqual([{ type: "conversation-removed", conversation: "g", reason: "removed" }]);
  });

  it("does not notify for a muted conversation, and new activity brings an archived one back", () => {
    const incoming: string[] = [];
    const chat = new ChatController({ api: {} as never, meId: ME.id, onIncoming: (m) => incoming.push(String(m.conversation)) });
    chat.upsertConversation(conv({ id: "m", muted: true, archived: true, last_seq: 1 }));
    chat.upsertConversation(conv({ id: "n", archived: true, last_seq: 1 }));
    chat.ingest(msg(2, { conversation: "m", sender: BOB }), { live: true });
    chat.ingest(msg(2, { conversation: "n", sender: BOB }), { live: true });
    expect(incoming).toEqual(["n"]);
    const byId = Object.fromEntries(chat.store.get().conversations.map((c) => [c.id, c]));
    expect(byId.m.archived).toBe(true);
    expect(byId.m.unread_count).toBe(1);
    expect(byId.n.archived).toBe(false);
  });

  it("hides archived conversations behind « Archivées » and marks pinned and muted ones", async () => {
    root = newRoot();
    const chat = new ChatController({ api: {} as never, meId: ME.id });
    chat.upsertConversation(conv({ id: "p", display_title: "Épinglée", pinned: true, muted: true }));
    chat.upsertConversation(conv({ id: "x", display_title: "Rangée", archived: true }));
    await act(async () => {
      render(<ConversationList chat={chat} meId={ME.id} activeId={null} onNew={() => {}} />, root);
    });
    const titles = () => Array.from(root.querySelectorAll('[data-testid="conversation-item"] .conv-title')).map((e) => e.textContent);
    expect(titles()).toEqual(["Épinglée"]);
    const item = root.querySelector('[data-testid="conversation-item"]')!;
    expect(item.querySelector('[data-testid="flag-pinned"]')).not.toBeNull();
    expect(item.querySelector('[data-testid="flag-muted"]')).not.toBeNull();
    const archived = root.querySelector('[data-testid="view-archived"]') as HTMLButtonElement;
    expect(archived.textContent).toBe("Archivées (1)");
    await act(async () => {
      archived.click();
    });
    expect(titles()).toEqual(["Rangée"]);
    expect(archived.getAttribute("aria-pressed")).toBe("true");
  });
});
