"""A conversation synthesis (PDF) requested by a participant, rendered by a Celery task."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Export(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        RUNNING = "running", "En cours"
        DONE = "done", "Prêt"
        FAILED = "failed", "Échec"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.PROTECT, related_name="exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Optional range of message seqs (inclusive); empty means the whole conversation.
    from_seq = models.PositiveBigIntegerField(null=True, blank=True)
    to_seq = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # A code, never health content (it is shown to the user and may reach logs).
    error = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    # SHA-256 of the PDF file itself, for download integrity. The footer of the PDF carries a
    # different digest: the one of its message content (a document cannot contain its own hash).
    sha256 = models.CharField(max_length=64, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    document_id = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="export_progress_0_100", condition=Q(progress__lte=100)),
            models.CheckConstraint(
                name="export_range_ordered",
                condition=Q(from_seq__isnull=True)
                | Q(to_seq__isnull=True)
                | Q(from_seq__lte=models.F("to_seq")),
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.id}"
