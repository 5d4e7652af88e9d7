import { render } from "preact";
import type { Conversation, Me, Message, Person } from "../src/api/types";
import type { RealtimeLike } from "../src/state/chat";
import type { SocketOptions } from "../src/ws/socket";

export const ME: Person = { id: "1", display_name: "Alice Martin", title: "Dr", profession_label: "Médecin", organization: "CH Test" };
export const BOB: Person = { id: "2", display_name: "Bob Durand", title: "Dr", profession_label: "Médecin", organization: null };
export const CAROL: Person = { id: "3", display_name: "Carole Petit", title: "", profession_label: "Infirmière", organization: null };

export function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: "1000" + seq,
    conversation: "10",
    seq,
    kind: "user",
    sender: BOB,
    client_id: "",
    body: `message ${seq}`,
    attachments: [],
    created_at: new Date(2024, 0, 1, 12, seq).toISOString(),
    edited_at: null,
    deleted: false,
    team: null,
    ...over,
  };
}

export function conv(over: Partial<Conversation> = {}): Conversation {
  return {
    id: "10",
    kind: "direct",
    title: "",
    display_title: "Dr Bob Durand",
    patient: null,
    participants: [
      { kind: "user", user: ME },
      { kind: "user", user: BOB },
    ],
    last_message: null,
    last_seq: 0,
    unread_count: 0,
    read_state: [],
    created_at: new Date(2024, 0, 1).toISOString(),
    last_activity_at: new Date(2024, 0, 1).toISOString(),
    muted: false,
    pinned: false,
    archived: false,
    group_admin: null,
    ...over,
  };
}

type PatientRef = NonNullable<Conversation["patient"]>;

/** The identity chip of a conversation's patient (a qualified identity unless told). */
export function patientRef(over: Partial<PatientRef> = {}): PatientRef {
  return {
    id: "5",
    display_name: "DUPONT Jean",
    birth_name: "DUPONT",
    first_name: "Jean",
    birth_date: "1950-01-09",
    sex: "M",
    identity_status: "QUAL",
    identity_status_label: "Identité qualifiée",
    writable: true,
    ...over,
  };
}

/** The chat's socket without a network: `open()` and `drop()` play the connection, `sent` keeps
 * what the controller sent while open. */
export class FakeSocket implements RealtimeLike {
  sent: Record<string, unknown>[] = [];
  isOpen = false;
  constructor(public opts: SocketOptions) {}
  start() {}
  stop() {
    this.isOpen = false;
  }
  reconnectNow() {}
  send(frame: Record<string, unknown>) {
    if (!this.isOpen) return false;
    this.sent.push(frame);
    return true;
  }
  open(reconnect = false) {
    this.isOpen = true;
    this.opts.onOpen?.(reconnect);
  }
  drop() {
    this.isOpen = false;
  }
}

/** Lets pending promises and zero-delay timers run. */
export const flush = () => new Promise<void>((r) => setTimeout(r, 0));

/** A JSON answer as `fetch` gives it. */
export const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** The signed-in clinician of the screen tests (a practice, one personal mailbox). */
export function signedIn(over: Partial<Me> = {}): Me {
  return {
    id: "1",
    username: "u",
    display_name: "Claire Martin",
    title: "Dr",
    professional: null,
    organizations: [{ id: "1", name: "Cabinet", finess: "", kind: "practice", roles: ["clinician"] }],
    mailboxes: [{ address: "claire@demo.mssante.fr", kind: "PER" }],
    otp: { enabled: false, required: false },
    ...over,
  };
}

const roots: HTMLElement[] = [];

/** An element in the document for one test to render into; `unmountRoots` (afterEach) clears it. */
export function newRoot(): HTMLElement {
  const root = document.createElement("div");
  document.body.appendChild(root);
  roots.push(root);
  return root;
}

export function unmountRoots(): void {
  for (const root of roots.splice(0)) {
    render(null, root);
    root.remove();
  }
}
