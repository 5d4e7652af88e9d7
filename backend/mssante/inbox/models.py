"""Received MSSanté mail: one row per mail of a mailbox, stored once, raw kept.

A mail is identified twice: by its place on the server (UIDVALIDITY + UID for IMAP, the file
key for a Maildir) and by its Message-ID. Both are unique per mailbox in the database, so a
fetch that is interrupted and restarted, or a mail copied twice on the server, is stored once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class MailboxConnection(models.Model):
    """How the platform reaches one mailbox's store, and where the fetch stands."""

    class Source(models.TextChoices):
        IMAP = "imap", "IMAP (opérateur MSSanté)"
        MAILDIR = "maildir", "Dossier Maildir local"

    class Auth(models.TextChoices):
        XOAUTH2 = "xoauth2", "Jeton Pro Santé Connect (XOAUTH2)"
        CERTIFICATE = "certificate", "Certificat d'établissement (BAL applicative)"
        # Test operators only: refused in production (see fetch.py).
        PASSWORD = "password", "Mot de passe (opérateur de test)"

    class State(models.TextChoices):
        NEVER = "never", "Jamais relevée"
        OK = "ok", "Connectée"
        ERROR = "error", "Erreur de connexion"
        WAITING = "waiting", "En attente d'un jeton Pro Santé Connect"

    mailbox = models.OneToOneField(
        "accounts.Mailbox", on_delete=models.CASCADE, related_name="connection"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MAILDIR)
    auth = models.CharField(max_length=12, choices=Auth.choices, default=Auth.XOAUTH2)
    imap_host = models.CharField(max_length=253, blank=True)
    imap_port = models.PositiveIntegerField(null=True, blank=True)
    smtp_host = models.CharField(max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(null=True, blank=True)
    client_cert = models.CharField(max_length=500, blank=True)
    client_key = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.NEVER)
    last_error = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "connexion de BAL MSSanté"
        verbose_name_plural = "connexions de BAL MSSanté"

    def __str__(self) -> str:
        return f"Connexion {self.mailbox_id} ({self.state})"


class InboundMessage(models.Model):
    class Kind(models.TextChoices):
        MAIL = "mail", "Courrier"
        DSN = "dsn", "Avis de remise (DSN)"
        MDN = "mdn", "Accusé de lecture (MDN)"
        AUTO_REPLY = "auto", "Réponse automatique"

    class Status(models.TextChoices):
        OK = "ok", "Lisible"
        QUARANTINED = "quarantined", "En quarantaine"

    class TeamState(models.TextChoices):
        TODO = "todo", "À traiter"
        TAKEN = "taken", "Pris en charge"
        DONE = "done", "Traité"

    class PatientMatch(models.TextChoices):
        NONE = "none", "Sans identité patient"
        MATCHED = "matched", "Patient reconnu"
        OFFER = "offer", "Patient inconnu : création proposée"
        INVALID = "invalid", "Identité patient invalide"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mailbox = models.ForeignKey(
        "accounts.Mailbox", on_delete=models.PROTECT, related_name="inbound_messages"
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    source_key = models.CharField(max_length=255, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    fetched_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    subject = models.CharField(max_length=998, blank=True)
    text = models.TextField(blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.JSONField(default=list)
    parts = models.JSONField(default=list)  # [{index, filename, content_type, size}]
    xdm = models.JSONField(default=dict, blank=True)  # patient identity and documents
    warnings = models.JSONField(default=list)  # [{code, message}]
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.MAIL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OK)
    quarantine_reason = models.CharField(max_length=500, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    patient_match = models.CharField(
        max_length=8, choices=PatientMatch.choices, default=PatientMatch.NONE
    )
    team_state = models.CharField(max_length=5, choices=TeamState.choices, default=TeamState.TODO)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Follow-up work after storing (acknowledgement, absence reply, notification) is done.
    processed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-fetched_at"]
        verbose_name = "courrier MSSanté reçu"
        verbose_name_plural = "courriers MSSanté reçus"
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=Q(uid__isnull=False),
                name="mss_in_unique_uid",
            ),
            models.UniqueConstraint(
                fields=["mailbox", "source_key"],
                condition=~Q(source_key=""),
                name="mss_in_unique_source_key",
            ),
            models.UniqueConstraint(
                fields=["mailbox", "message_id"],
                condition=~Q(message_id=""),
                name="mss_in_unique_message_id",
            ),
        ]
        indexes = [models.Index(fields=["mailbox", "-fetched_at"], name="mss_in_mailbox_fetched")]

    def __str__(self) -> str:
        return f"Courrier reçu {self.id}"


class InboundRead(models.Model):
    """Who has opened a mail (unread counts are per user, even in a team mailbox)."""

    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mss_in_read_once")]

    def __str__(self) -> str:
        return f"Lecture {self.pk}"


class InboundEvent(models.Model):
    """The history of a mail in a team mailbox: who took it, answered it, filed it, closed it."""

    class Verb(models.TextChoices):
        RECEIVED = "received", "Reçu"
        TAKEN = "taken", "Pris en charge"
        RELEASED = "released", "Remis à traiter"
        DONE = "done", "Traité"
        REPLIED = "replied", "Réponse envoyée"
        FILED = "filed", "Classé"

    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=10, choices=Verb.choices)
    at = models.DateTimeField(auto_now_add=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.message_id}"


class MailSettings(models.Model):
    """A user's absence period and text, and their mail signature."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_settings"
    )
    absence_start = models.DateTimeField(null=True, blank=True)
    absence_end = models.DateTimeField(null=True, blank=True)
    absence_text = models.TextField(blank=True, max_length=2000)
    signature = models.TextField(blank=True, max_length=1000)

    def __str__(self) -> str:
        return f"Réglages de messagerie {self.user_id}"


class AutoReply(models.Model):
    """One absence reply per sender per absence period (RFC 3834)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sender = models.CharField(max_length=254)
    period_start = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "sender", "period_start"], name="mss_autoreply_once"
            )
        ]

    def __str__(self) -> str:
        return f"Réponse d'absence {self.pk}"
