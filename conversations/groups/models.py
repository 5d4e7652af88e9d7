"""Per-user settings of a conversation: mute, pin, archive. One row per (conversation, user),
for direct participants and for members of a team mailbox taking part alike (a team member has
no Participant row of their own). Web Push reads ``muted`` here (``muted_user_ids``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ConversationPreference(models.Model):
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="preferences"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # A muted conversation does not notify (no sound, no push); its unread count stays.
    muted = models.BooleanField(default=False)
    pinned_at = models.DateTimeField(null=True, blank=True)
    # Archived while nothing happened since: new activity brings it back, unless muted.
    archived_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "conversations"
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="conversation_preference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Preference {self.conversation_id}/{self.user_id}"
