"""The MSSanté outbox: one row per send request, one per recipient, and the imported allow-list.

A send request is stored (with its composed MIME bytes and Message-ID) before any network I/O, so
a send is never lost and a retried task sends exactly those bytes, at most once per recipient.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class TrustedDomain(models.Model):
    """A domain of the ANS operator allow-list (``manage.py import_allowlist``).

    When the table is empty, the list shipped in ``backend/mssante/data`` is used.
    """

    domain = models.CharField(max_length=253, unique=True)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["domain"]
        verbose_name = "domaine de la liste blanche"
        verbose_name_plural = "domaines de la liste blanche"

    def __str__(self) -> str:
        return self.domain


class OutboundMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "En attente d'envoi"
        SENT = "sent", "Envoyé"
        PARTIAL = "partial", "Envoyé en partie"
        FAILED = "failed", "Échec"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sender_mailbox = models.ForeignKey(
        "accounts.Mailbox", on_delete=models.PROTECT, related_name="outbound_messages"
    )
    sender_address = models.EmailField(max_length=254)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    subject = models.CharField(max_length=998)
    message_id = models.CharField(max_length=255, unique=True)
    # The composed message (CRLF line endings), sent as is to every recipient.
    mime = models.BinaryField()
    patient_id = models.UUIDField(null=True, blank=True)
    health_document = models.BooleanField(default=False)
    close_exchange = models.BooleanField(default=False)
    read_receipt = models.BooleanField(default=False)
    # RFC 3461 NOTIFY=SUCCESS,FAILURE on each recipient.
    delivery_receipt = models.BooleanField(default=False)
    related_type = models.CharField(max_length=50, blank=True)
    related_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "envoi MSSanté"
        verbose_name_plural = "envois MSSanté"
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="mss_out_creator_created"),
            models.Index(fields=["sender_mailbox", "-created_at"], name="mss_out_mailbox_created"),
            models.Index(fields=["status", "next_attempt_at"], name="mss_out_status_next"),
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs and admin messages.
        return f"Envoi MSSanté {self.id}"


class OutboundRecipient(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        # Claimed by a sending task; shown as "queued" by the API.
        SENDING = "sending", "En cours d'envoi"
        SENT = "sent", "Envoyé"
        # From a DSN (RFC 3461) of the recipient's operator.
        DELIVERED = "delivered", "Remis"
        FAILED = "failed", "Échec"
        READ = "read", "Lu"

    class Kind(models.TextChoices):
        PROFESSIONAL = "professional", "Professionnel"
        PATIENT = "patient", "Patient"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="recipients"
    )
    position = models.PositiveSmallIntegerField()
    address = models.EmailField(max_length=254)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    smtp_response = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["message", "position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "address"], name="mss_rcpt_unique_address"),
            models.UniqueConstraint(
                fields=["message", "position"], name="mss_rcpt_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"Destinataire {self.id} ({self.status})"


# The inbox models live in their own package (STYLE.md #15); importing them here registers them.
from backend.mssante.inbox.models import (  # noqa: E402
    AutoReply,
    InboundEvent,
    InboundMessage,
    InboundRead,
    MailboxConnection,
    MailSettings,
)

__all__ = [
    "AutoReply",
    "InboundEvent",
    "InboundMessage",
    "InboundRead",
    "MailSettings",
    "MailboxConnection",
    "OutboundMessage",
    "OutboundRecipient",
    "TrustedDomain",
]
