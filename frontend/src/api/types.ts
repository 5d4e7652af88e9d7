/** Types of the JSON API (see /work/shared/DESIGN.md and the frontend brief). */

export type Id = number | string;

export type Role = "clinician" | "coordinator" | "secretary" | "billing" | "admin" | "dpo";
export type MailboxKind = "PER" | "ORG" | "APP";

export interface Professional {
  rpps: string;
  profession_code: string;
  profession_label: string;
  specialty: string | null;
}

export interface OrganizationMembership {
  id: Id;
  name: string;
  finess: string;
  kind: string;
  roles: Role[];
}

export interface Me {
  id: Id;
  username: string;
  display_name: string;
  title: string;
  professional: Professional | null;
  organizations: OrganizationMembership[];
  mailboxes: { address: string; kind: MailboxKind }[];
  otp: { enabled: boolean; required: boolean };
  /** What Pro Santé Connect asserted at sign-in (null when signed in with a password). */
  psc?: PscSummary | null;
}

export interface PscSite {
  finess: string;
  finess_ej: string;
  name: string;
  city: string;
}

export interface PscSummary {
  exercices: { profession_code: string; savoir_faire: string; sites: PscSite[] }[];
  /** FINESS where PSC and the platform's memberships disagree (reported to the admins). */
  mismatches: string[];
}

export interface SignInMethods {
  psc: boolean;
  psc_start_url: string;
  psc_required_for_rpps: boolean;
}

/** A user as shown anywhere in the UI. */
export interface Person {
  id: Id;
  display_name: string;
  title: string | null;
  profession_label: string | null;
  organization: string | null;
}

export interface Attachment {
  id: Id;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
}

export interface Message {
  id: Id;
  conversation: Id;
  seq: number;
  kind: "user" | "system";
  sender: Person | null;
  client_id: string | null;
  body: string;
  attachments: Attachment[];
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  /** Written by a member of a team mailbox taking part: the team and the member's role. */
  team?: TeamRole | null;
}

export interface TeamRole {
  name: string;
  role: string | null;
}

export type Participant =
  | { kind: "user"; user: Person }
  | { kind: "mailbox"; mailbox: { address: string; display_name: string } };

export interface ReadState {
  user: Person;
  seq: number;
}

export interface Conversation {
  id: Id;
  kind: "direct" | "group";
  title: string | null;
  display_title: string;
  patient: { id: Id; display_name: string } | null;
  participants: Participant[];
  last_message: Message | null;
  last_seq: number;
  unread_count: number;
  read_state: ReadState[];
  created_at: string;
}

export interface MessagesPage {
  messages: Message[];
  has_more: boolean;
}

export interface DirectoryEntry {
  id: Id;
  name: string;
  profession: string | null;
  specialty: string | null;
  rpps: string | null;
  organization: string | null;
  city: string | null;
  mssante: { address: string; kind: MailboxKind }[];
  user: Id | null;
}

export type PresenceStatus = "online" | "away" | "offline";

/** Error body of every non-2xx response. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    fields?: Record<string, string[]>;
  };
}
