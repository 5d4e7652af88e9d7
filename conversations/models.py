"""Conversations between practitioners and teams: durable, ordered, with read state."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", "Conversation à deux"
        GROUP = "group", "Groupe"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The highest seq handed out: the row is locked to hand out the next one (gapless order).
    last_seq = models.PositiveBigIntegerField(default=0)
    last_activity_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # "<user id>:<user id>" sorted, for one-to-one conversations without patient or title, so
    # that opening a conversation with the same colleague twice finds the first one.
    direct_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-last_activity_at"]

    def __str__(self) -> str:
        return f"Conversation {self.id}"


class Participant(models.Model):
    """A professional, or an ORG mailbox whose members all take part (a team, a secretariat)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversation_participations",
    )
    mailbox = models.ForeignKey(
        "accounts.Mailbox",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversation_participations",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="participant_is_user_xor_mailbox",
                condition=Q(user__isnull=False, mailbox__isnull=True)
                | Q(user__isnull=True, mailbox__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["conversation", "user"],
                condition=Q(user__isnull=False),
                name="participant_unique_user",
            ),
            models.UniqueConstraint(
                fields=["conversation", "mailbox"],
                condition=Q(mailbox__isnull=False),
                name="participant_unique_mailbox",
            ),
        ]

    def __str__(self) -> str:
        return f"Participant {self.id}"


class Attachment(models.Model):
    """An uploaded file; attached to at most one message once sent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    # Stored under a random name: the user's file name is never a path on disk.
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Attachment {self.id}"


class Message(models.Model):
    class Kind(models.TextChoices):
        USER = "user", "Message"
        SYSTEM = "system", "Message du système"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages"
    )
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.USER)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sent_messages",
    )
    # Chosen by the client: a resend with the same id is the same message.
    client_id = models.CharField(max_length=64)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The message this one answers (same conversation); quoted by the clients.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Copied from another conversation by its sender (« Transféré »).
    forwarded = models.BooleanField(default=False)
    # Urgent: each recipient must acknowledge it (« Pris en compte »); those who have not are
    # reminded once after URGENT_REMINDER_SECONDS (`reminded_at` makes the reminder idempotent).
    urgent = models.BooleanField(default=False)
    urgent_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        indexes = [
            # The reminder sweep's query: urgent messages not yet reminded, by age.
            models.Index(
                fields=["created_at"],
                condition=Q(urgent=True, urgent_reminded_at__isnull=True),
                name="message_urgent_pending",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=Q(sender__isnull=False),
                name="message_unique_client_id",
            ),
        ]

    def __str__(self) -> str:
        # Never the body: __str__ ends up in logs.
        return f"Message {self.conversation_id}#{self.seq}"


class MessageAcknowledgement(models.Model):
    """A recipient's « Pris en compte » of an urgent message: once per person."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["message", "acknowledged_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="acknowledgement_unique")
        ]

    def __str__(self) -> str:
        return f"Acknowledgement {self.message_id}/{self.user_id}"


class MessageVersion(models.Model):
    """A message's text before an edit or a deletion, kept for the audit: shown to the
    administrators (and DPO) of the sender's organisations only, never to participants."""

    class Change(models.TextChoices):
        EDITED = "edited", "Modifié"
        DELETED = "deleted", "Supprimé"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="versions")
    body = models.TextField(blank=True)
    change = models.CharField(max_length=8, choices=Change.choices)
    # When the text was replaced, and when it had been written (creation or previous edit).
    replaced_at = models.DateTimeField()
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["message", "replaced_at", "id"]

    def __str__(self) -> str:
        return f"Version {self.message_id} ({self.change})"


class ReadState(models.Model):
    """The last seq a user has read in a conversation ("Vu par")."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_states"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="readstate_unique")
        ]

    def __str__(self) -> str:
        return f"ReadState {self.conversation_id}/{self.user_id}={self.last_read_seq}"


class Connection(models.Model):
    """An open WebSocket, for presence across several server processes. A process killed
    without cleaning up leaves rows that expire through `last_seen`."""

    class Status(models.TextChoices):
        ONLINE = "online", "En ligne"
        AWAY = "away", "Absent"

    channel_name = models.CharField(max_length=200, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ONLINE)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "last_seen"], name="connection_user_seen")]

    def __str__(self) -> str:
        return f"Connection {self.user_id}"


# The wings' models belong to this app (label "conversations", migrations here): importing them
# registers them with the app, and `conversations.models.Call` keeps working.
from conversations.calls.models import Call, CallParticipant  # noqa: E402, F401
from conversations.groups.models import ConversationPreference  # noqa: E402, F401
from conversations.push.models import PushDelivery, PushSubscription  # noqa: E402, F401
from conversations.syntheses.models import Export  # noqa: E402, F401
