"""Video calls in a conversation: the call log and who joined, for signaling and the history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_PARTICIPANTS = 4  # a full mesh: each browser sends its media to every other one


class Call(models.Model):
    class State(models.TextChoices):
        RINGING = "ringing", "Sonne"
        ACTIVE = "active", "En cours"
        ENDED = "ended", "Terminé"
        MISSED = "missed", "Manqué"
        DECLINED = "declined", "Refusé"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.PROTECT, related_name="calls"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.RINGING)
    started_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["conversation", "state"], name="call_conversation_state")]

    def __str__(self) -> str:
        return f"Call {self.id} ({self.state})"

    @property
    def duration_seconds(self) -> int | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.answered_at).total_seconds()))


class CallParticipant(models.Model):
    """One joining of a call by one socket; `left_at` is set on hang-up or when the socket drops.
    A user who rejoins gets a new row, so the log keeps every stretch."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The socket in the call: signaling goes to it, and its closing means leaving.
    channel_name = models.CharField(max_length=200, blank=True, db_index=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "user"],
                condition=Q(left_at__isnull=True),
                name="callparticipant_joined_once",
            )
        ]

    def __str__(self) -> str:
        return f"CallParticipant {self.call_id}/{self.user_id}"
