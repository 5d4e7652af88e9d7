"""Web Push subscriptions (one per browser that said yes) and the record of what was pushed."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class PushSubscription(models.Model):
    """A browser's push endpoint and its encryption keys (RFC 8291), for one user and the
    session that subscribed: when that session ends, the subscription goes with it (a shared
    hospital PC stops receiving the previous user's notices)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # One browser endpoint belongs to one user at a time: a new sign-in on that browser takes it.
    endpoint = models.URLField(max_length=1024, unique=True)
    p256dh = models.CharField(max_length=128)
    auth = models.CharField(max_length=64)
    # SHA-256 of the session key (never the key) and the session's sign-in time.
    session_digest = models.CharField(max_length=64, db_index=True)
    auth_at = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_push_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"PushSubscription {self.id}"


class PushDelivery(models.Model):
    """One notice about one message to one subscription: a retried task never pushes twice."""

    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message = models.ForeignKey("conversations.Message", on_delete=models.CASCADE, related_name="+")
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # the push service's answer
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "message"], name="pushdelivery_unique")
        ]

    def __str__(self) -> str:
        return f"PushDelivery {self.subscription_id}/{self.message_id}"
