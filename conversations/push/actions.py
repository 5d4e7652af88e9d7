"""Subscribing a browser to Web Push and forgetting it: one transaction each, audited."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from backend.accounts.sessions import AUTH_AT
from backend.audit import log as audit
from backend.errors import DomainError, NotFound, invalid_field
from backend.vapid import b64url_decode
from conversations.actions import require_clinician
from conversations.push.endpoints import allowed_endpoint
from conversations.push.models import PushSubscription


def session_digest(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def _key(value: str, field: str, size: int) -> str:
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise invalid_field("push_key_invalid", "Clé de chiffrement illisible.", field) from exc
    if len(raw) != size or (size == 65 and raw[0] != 4):
        raise invalid_field("push_key_invalid", "Clé de chiffrement invalide.", field)
    return value.strip()


@transaction.atomic
def subscribe(
    user: Any, session: Any, *, endpoint: str, p256dh: str, auth: str
) -> tuple[PushSubscription, bool]:
    """Stores (or takes over) the browser's subscription for `user` and this session."""
    require_clinician(user)
    if not allowed_endpoint(endpoint):
        raise invalid_field(
            "push_endpoint_refused", "Service de notification non reconnu.", "endpoint"
        )
    p256dh = _key(p256dh, "p256dh", 65)  # an uncompressed P-256 point
    auth = _key(auth, "auth", 16)
    if not session.session_key:
        raise DomainError("session_required", "Une session de navigateur est nécessaire.")
    subscription, created = PushSubscription.objects.select_for_update().update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "session_digest": session_digest(session.session_key),
            "auth_at": float(session.get(AUTH_AT) or time.time()),
        },
    )
    audit.record(
        "push.subscribed" if created else "push.subscription_renewed", actor=user, obj=subscription
    )
    return subscription, created


def subscriptions_of(user: Any) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user=user).order_by("created_at")


@transaction.atomic
def unsubscribe(user: Any, subscription_id: Any) -> None:
    """Only the user's own subscription; one "not found" for missing and not yours."""
    require_clinician(user)
    try:
        key = uuid.UUID(str(subscription_id))
    except ValueError as exc:
        raise NotFound("Abonnement introuvable.") from exc
    subscription = subscriptions_of(user).select_for_update().filter(pk=key).first()
    if subscription is None:
        raise NotFound("Abonnement introuvable.")
    audit.record("push.unsubscribed", actor=user, obj=subscription)
    subscription.delete()


@transaction.atomic
def forget_session(session_key: str | None) -> int:
    """Sign-out: the notices of this browser session stop with it."""
    if not session_key:
        return 0
    subscriptions = PushSubscription.objects.filter(session_digest=session_digest(session_key))
    for subscription in subscriptions:
        audit.record(
            "push.subscription_removed",
            actor=subscription.user,
            obj=subscription,
            data={"reason": "logout"},
        )
    deleted, _ = subscriptions.delete()
    return deleted
