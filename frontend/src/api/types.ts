/**
 * Types of the JSON API. The shapes are generated from the server: `schema.gen.ts` from the
 * OpenAPI document (/api/schema/, openapi-typescript) and `frames.gen.ts` from the WebSocket frame
 * registry; `make contract` fails when either drifts. This module only names them.
 */
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

/** Every id the server sends for its objects is a UUID string. */
export type Id = string;

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
  /** When this browser session ends at the latest (ISO 8601): nothing cached outlives it. */
  session_expires_at?: string | null;
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
export type Person = Schemas["Person"];
export type Attachment = Schemas["AttachmentPayload"];
export type Acknowledgement = Schemas["Acknowledgement"];
export type ReplyQuote = Schemas["ReplyQuote"];
export type Message = Schemas["MessagePayload"];
/** Written by a member of a team mailbox taking part: the team and the member's role. */
export type TeamRole = Schemas["TeamMembership"];
export type Participant = Schemas["UserParticipant"] | Schemas["MailboxParticipant"];
export type ReadState = Schemas["ReadMark"];
export type Conversation = Schemas["ConversationPayload"];
/** The identity chip of a conversation's patient (never the INS). */
export type PatientRef = NonNullable<Conversation["patient"]>;
/** A patient record (search results, « Écrire à ce patient »). */
export type PatientRecord = Schemas["Patient"];
export type MessagesPage = Schemas["MessagesPage"];
/** One entry of the directory (annuaire): its id is the directory's own number. */
export type DirectoryEntry = Schemas["Entry"];

export type PresenceStatus = "online" | "away" | "offline";

/** Error body of every non-2xx response. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    fields?: Record<string, string[]>;
  };
}
