"""Web Push notices of a new message, to the recipients the app cannot tell itself.

Who: every user who sees the conversation (direct participants and the clinical members of its
team mailboxes), except the sender, those who muted it, and those with a visible tab open (a
fresh « online » connection: a hidden tab reports itself « away »). What: « Nouveau message de
Dr Martin », or « … pour l'équipe X » for a member reached through a team mailbox, and the
conversation's id to open it; never the text, the conversation's title or anything about a
patient (the payload is encrypted for the browser, but it still must not carry health data).

Once: a PushDelivery row (subscription, message) is written before the post, so a retried task
skips what it already sent. A subscription the push service says is gone (404/410) is deleted, as
is one whose session ended.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from pywebpush import WebPushException, webpush

from backend.accounts.models import User
from backend.accounts.sessions import signed_in_before_revocation
from backend.audit import log as audit
from conversations.access import participant_user_ids
from conversations.groups.rules import muted_user_ids
from conversations.models import Connection, Message
from conversations.presence import STALE_AFTER
from conversations.push.endpoints import allowed_endpoint
from conversations.push.models import PushDelivery, PushSubscription
from conversations.teams import teams_of

logger = logging.getLogger(__name__)
GONE = {404, 410}
TIMEOUT_SECONDS = 10


def _looking_now(user_ids: set[Any]) -> set[Any]:
    fresh = timezone.now() - STALE_AFTER
    return set(
        Connection.objects.filter(
            user_id__in=user_ids, last_seen__gte=fresh, status=Connection.Status.ONLINE
        ).values_list("user_id", flat=True)
    )


def recipients(message: Message) -> set[str]:
    users = {str(u) for u in participant_user_ids(message.conversation)} - {str(message.sender_id)}
    if not users:
        return set()
    looking = {str(u) for u in _looking_now(users)}
    return users - muted_user_ids(message.conversation_id, users) - looking


def notice(message: Message, team: str | None) -> dict[str, str]:
    sender = message.sender.display_name if message.sender else "Liaison Santé"
    title = f"Nouveau message de {sender}"
    if team:
        title += f" pour l'équipe {team}"
    conversation = str(message.conversation_id)
    return {
        "title": title,
        "conversation": conversation,
        "url": f"/conversations/{conversation}",
        "tag": f"conversation-{conversation}",
    }


def _session_over(subscription: PushSubscription, user: User) -> bool:
    if not user.is_active or signed_in_before_revocation(user, subscription.auth_at):
        return True
    age = timezone.now().timestamp() - subscription.auth_at
    return age > settings.SESSION_COOKIE_AGE


def _claim(subscription: PushSubscription, message: Message) -> PushDelivery | None:
    try:
        with transaction.atomic():
            return PushDelivery.objects.create(subscription=subscription, message=message)
    except IntegrityError:
        return None  # already pushed by an earlier run of the task


def _post(subscription: PushSubscription, payload: dict[str, str]) -> int:
    """The push service's status code (201 when accepted)."""
    try:
        response: Any = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=settings.WEB_PUSH_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.WEB_PUSH_VAPID_SUBJECT},
            ttl=settings.WEB_PUSH_TTL,
            timeout=TIMEOUT_SECONDS,
            headers={"Urgency": "high", "Topic": payload["tag"][-32:].replace("-", "")},
        )
    except WebPushException as exc:
        if exc.response is None:
            raise
        return int(exc.response.status_code)
    return int(response.status_code)


def _forget(subscription: PushSubscription, why: str) -> None:
    with transaction.atomic():
        audit.record("push.subscription_removed", obj=subscription, data={"reason": why})
        subscription.delete()


def push_message(message_id: Any) -> int:
    """Sends the notices of one message; returns how many the push services accepted."""
    message = (
        Message.objects.select_related("sender__professional", "conversation")
        .filter(pk=message_id, kind=Message.Kind.USER, deleted_at__isnull=True)
        .first()
    )
    if message is None:
        return 0
    users = recipients(message)
    if not users:
        return 0
    teams = teams_of([(message.conversation_id, u) for u in users])
    accepted = 0
    subscriptions = PushSubscription.objects.filter(user_id__in=users).select_related("user")
    for subscription in subscriptions:
        if _session_over(subscription, subscription.user):
            _forget(subscription, "session_ended")
            continue
        if not allowed_endpoint(subscription.endpoint):
            continue  # the allow-list changed since it subscribed
        delivery = _claim(subscription, message)
        if delivery is None:
            continue
        team = teams.get((str(message.conversation_id), str(subscription.user_id)))
        try:
            status = _post(subscription, notice(message, team["name"] if team else None))
        except Exception:
            # The network or the service failed: logged without any content, not retried (a
            # late « nouveau message » is worth less than a duplicate is annoying).
            logger.warning("push failed", extra={"event": "push.failed"}, exc_info=True)
            continue
        PushDelivery.objects.filter(pk=delivery.pk).update(status=status)
        if status in GONE:
            _forget(subscription, f"gone_{status}")
        elif 200 <= status < 300:
            accepted += 1
            PushSubscription.objects.filter(pk=subscription.pk).update(last_push_at=timezone.now())
    return accepted
