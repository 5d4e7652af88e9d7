// Generated from conversations/frames.py by `python manage.py frames_typescript`: do not edit.
// The tests fail when this file and the server's frame registry differ.

export type CallAcceptFrame = {
  type: "call.accept";
  call: CallPayload;
  user: string;
  ref?: string | null;
};

export type CallAcceptFrameIn = {
  ref?: string | null;
  type: "call.accept";
  call: string;
};

export type CallAnsweredElsewhereFrame = {
  type: "call.answered_elsewhere";
  call: CallPayload;
};

export type CallDeclineFrame = {
  type: "call.decline";
  call: CallPayload;
  user: string;
  reason: string;
  ref?: string | null;
};

export type CallDeclineFrameIn = {
  ref?: string | null;
  type: "call.decline";
  call: string;
  reason?: string;
};

export type CallEndedFrame = {
  type: "call.ended";
  call: CallPayload;
};

export type CallHangupFrame = {
  type: "call.hangup";
  call: CallPayload;
  user: string;
  ref?: string | null;
};

export type CallHangupFrameIn = {
  ref?: string | null;
  type: "call.hangup";
  call: string;
};

export type CallInviteFrame = {
  type: "call.invite";
  call: CallPayload;
  from: string;
};

export type CallInviteFrameIn = {
  ref?: string | null;
  type: "call.invite";
  conversation: string;
};

export type CallRingingFrame = {
  type: "call.ringing";
  call: CallPayload;
  ref: string | null;
  unreachable: boolean;
};

export type CallSignalFrame = {
  type: "call.signal";
  call: string;
  from: string;
  data: Record<string, unknown>;
};

export type CallSignalFrameIn = {
  ref?: string | null;
  type: "call.signal";
  call: string;
  to: string;
  data: Record<string, unknown>;
};

export type ConversationNewFrame = {
  type: "conversation.new";
  conversation: ConversationPayload;
};

export type ConversationRemovedFrame = {
  type: "conversation.removed";
  conversation: string;
  reason: "left" | "removed";
};

export type ConversationUpdatedFrame = {
  type: "conversation.updated";
  conversation: ConversationPayload;
};

export type ErrorFrame = {
  type: "error";
  code: string;
  message: string;
  ref: string | null;
  fields?: Record<string, string[]>;
};

export type ExportUpdatedFrame = {
  type: "export.updated";
  export: ExportPayload;
};

export type HelloFrame = {
  type: "hello";
  user: string;
  presence: Record<string, "online" | "away" | "offline">;
};

export type MessageAckFrame = {
  type: "message.ack";
  client_id: string;
  message: MessagePayload;
  ref: string | null;
};

export type MessageAcknowledgeFrame = {
  ref?: string | null;
  type: "message.acknowledge";
  message: string;
};

export type MessageAcknowledgedFrame = {
  type: "message.acknowledged";
  conversation: string;
  message: string;
  acknowledgement: Acknowledgement;
  pending?: number;
  ref?: string | null;
};

export type MessageDeleteFrame = {
  ref?: string | null;
  type: "message.delete";
  message: string;
};

export type MessageEditFrame = {
  ref?: string | null;
  type: "message.edit";
  message: string;
  body: string;
};

export type MessageNewFrame = {
  type: "message.new";
  message: MessagePayload;
};

export type MessageReminderFrame = {
  type: "message.reminder";
  message: MessagePayload;
};

export type MessageSendFrame = {
  ref?: string | null;
  type: "message.send";
  conversation: string;
  client_id: string;
  body: string;
  attachments?: string[];
  reply_to?: string | null;
  urgent?: boolean;
};

export type MessageUpdatedFrame = {
  type: "message.updated";
  message: MessagePayload;
};

export type MssanteInboxFrame = {
  type: "mssante.inbox";
  mailbox: string;
  message: string;
};

export type PingFrame = {
  ref?: string | null;
  type: "ping";
};

export type PongFrame = {
  type: "pong";
  ref: string | null;
};

export type PresenceFrame = {
  type: "presence";
  user: string;
  status: "online" | "away" | "offline";
};

export type PresenceQueryFrame = {
  ref?: string | null;
  type: "presence.query";
  users: string[];
};

export type PresenceSetFrame = {
  ref?: string | null;
  type: "presence.set";
  status: "online" | "away";
};

export type PresenceStateFrame = {
  type: "presence.state";
  presence: Record<string, "online" | "away" | "offline">;
  ref: string | null;
};

export type ReadFrame = {
  type: "read";
  conversation: string;
  user: string;
  seq: number;
  reader?: Reader;
};

export type ReadFrameIn = {
  ref?: string | null;
  type: "read";
  conversation: string;
  seq: number;
};

export type ResyncFrame = {
  type: "resync";
};

export type SessionEndedFrame = {
  type: "session.ended";
  reason: string;
  message: string;
};

export type SyncFrame = {
  type: "sync";
  messages: MessagePayload[];
  more: boolean;
  ref: string | null;
  unknown?: string[];
};

export type SyncFrameIn = {
  ref?: string | null;
  type: "sync";
  cursors: Record<string, number>;
};

export type TeleexpertiseUpdatedFrame = {
  type: "teleexpertise.updated";
  request: TeleexpertiseRequestSummary;
};

export type TypingFrame = {
  type: "typing";
  conversation: string;
  user: string;
};

export type TypingFrameIn = {
  ref?: string | null;
  type: "typing";
  conversation: string;
};

export type Acknowledgement = {
  user: Person;
  at: string;
};

export type CallPayload = {
  id: string;
  conversation: string;
  state: "ringing" | "active" | "ended" | "missed" | "declined";
  started_by: string;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  joined: string[];
  participants: CallStretch[];
  max_participants: number;
};

export type ConversationPayload = {
  id: string;
  kind: "direct" | "group";
  title: string;
  display_title: string;
  patient: PatientRef | null;
  participants: (UserParticipant | MailboxParticipant)[];
  last_message: MessagePayload | null;
  last_seq: number;
  unread_count: number;
  read_state: ReadMark[];
  created_at: string;
  last_activity_at: string;
  muted: boolean;
  pinned: boolean;
  archived: boolean;
  group_admin: string | null;
};

export type ExportPayload = {
  id: string;
  conversation: string;
  status: "queued" | "running" | "done" | "failed";
  progress: number;
  from_seq: number | null;
  to_seq: number | null;
  document_id: string;
  download: string | null;
  sha256: string | null;
  content_sha256?: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
};

export type MessagePayload = {
  id: string;
  conversation: string;
  seq: number;
  kind: "user" | "system";
  sender: Person | null;
  client_id: string;
  body: string;
  attachments: AttachmentPayload[];
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  team: TeamMembership | null;
  reply_to?: ReplyQuote | null;
  forwarded?: boolean;
  urgent?: boolean;
  acknowledgements?: Acknowledgement[];
  pending_acknowledgements?: number;
};

export type Reader = {
  id: string;
  display_name: string;
  title: string;
  profession_label: string;
  organization: string | null;
  team: TeamMembership | null;
};

export type TeleexpertiseRequestSummary = {
  id: string;
  reference: string;
  status: "submitted" | "accepted" | "declined" | "answered" | "filed" | "closed";
  urgency: string;
  specialty: string;
  requester: Party;
  expert: Party | null;
  team: TeamRef | null;
  patient: PatientIdentity;
  conversation: string;
  created_at: string | null;
  updated_at: string | null;
  accepted_at: string | null;
  declined_at: string | null;
  answered_at: string | null;
  filed_at: string | null;
  closed_at: string | null;
  closed_reason: string | null;
  due_at: string | null;
  overdue: boolean;
  consent: ConsentPayload | null;
  acts: ActPayload[];
  act_refusals: ActRefusal[];
  report_pdf: string | null;
};

export type ActPayload = {
  id: string;
  code: string;
  act_date: string | null;
  amount: string;
  status: string;
  slot: number;
  year: number;
};

export type ActRefusal = {
  code: string;
  reason: string;
  message: string;
};

export type AttachmentPayload = {
  id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
};

export type CallStretch = {
  user: string;
  joined_at: string;
  left_at: string | null;
};

export type ConsentPayload = {
  method: string;
  collected_at: string | null;
  collected_by: Person | null;
  patient_informed: boolean;
  consenter: string;
  representative_name: string | null;
  representative_quality: string | null;
  document: string | null;
  withdrawn_at: string | null;
  withdrawn_by: Person | null;
};

export type MailboxParticipant = {
  kind: "mailbox";
  mailbox: MailboxRef;
};

export type Party = {
  id: string;
  display_name: string;
  title: string;
  profession_label: string;
  organization: string | null;
  rpps: string | null;
  specialty: string;
};

export type PatientIdentity = {
  id: string;
  display_name: string;
  birth_name: string;
  first_names: string[];
  used_name: string;
  birth_date: string | null;
  sex: string;
  identity_status: string;
  ins: string | null;
};

export type PatientRef = {
  id: string;
  display_name: string;
  birth_name: string;
  first_name: string;
  birth_date: string;
  sex: "M" | "F";
  identity_status: "PROV" | "RECUP" | "VALI" | "QUAL";
  identity_status_label: string;
  writable: boolean;
};

export type Person = {
  id: string;
  display_name: string;
  title: string;
  profession_label: string;
  organization: string | null;
};

export type ReadMark = {
  user: Person;
  seq: number;
};

export type ReplyQuote = {
  id: string;
  seq: number;
  sender_name: string | null;
  excerpt: string;
  deleted: boolean;
};

export type TeamMembership = {
  name: string;
  role: string | null;
};

export type TeamRef = {
  id: string;
  address: string;
  display_name: string;
};

export type UserParticipant = {
  kind: "user";
  user: Person;
};

export type MailboxRef = {
  address: string;
  display_name: string;
};

export type ClientFrame = MessageSendFrame | MessageEditFrame | MessageDeleteFrame | MessageAcknowledgeFrame | ReadFrameIn | TypingFrameIn | SyncFrameIn | PresenceSetFrame | PresenceQueryFrame | PingFrame | CallInviteFrameIn | CallAcceptFrameIn | CallDeclineFrameIn | CallHangupFrameIn | CallSignalFrameIn;
export type ServerFrame = HelloFrame | MessageNewFrame | MessageUpdatedFrame | MessageAckFrame | MessageAcknowledgedFrame | MessageReminderFrame | ReadFrame | TypingFrame | PresenceFrame | PresenceStateFrame | PongFrame | ConversationNewFrame | ConversationUpdatedFrame | ConversationRemovedFrame | SyncFrame | ResyncFrame | ErrorFrame | SessionEndedFrame | CallRingingFrame | CallInviteFrame | CallAcceptFrame | CallAnsweredElsewhereFrame | CallDeclineFrame | CallHangupFrame | CallEndedFrame | CallSignalFrame | ExportUpdatedFrame | MssanteInboxFrame | TeleexpertiseUpdatedFrame;
export type ServerFrameType = ServerFrame["type"];
export type ClientFrameType = ClientFrame["type"];
