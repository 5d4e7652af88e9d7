"""Presence across sockets, tabs, devices and server processes.

Each open socket is a Connection row refreshed by its process's liveness loop (liveness.py); a
user is online when one fresh connection is online, away when all fresh ones are away, offline
otherwise. Rows of a killed process stop being refreshed and expire, so nobody stays "online"
forever.

Liveness (the numbers behind « the others see me offline within 60 s »): the client pings every
10 s; the liveness loop closes a socket from which nothing was heard for CLIENT_SILENCE_LIMIT (a
phone that lost its network never says goodbye), checking every HEARTBEAT_SECONDS, so a dead
client is offline after at most 35 + 10 s. Rows of a killed server process go stale after
STALE_AFTER and the sweep of any live process announces those users offline.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.accounts.access import clinical_member_user_ids, team_mailbox_ids
from backend.accounts.models import User
from conversations.access import conversations_for
from conversations.models import Connection, Participant

HEARTBEAT_SECONDS = 10
CLIENT_SILENCE_LIMIT = 35.0
STALE_AFTER = timedelta(seconds=45)
OFFLINE = "offline"


def _fresh(user_ids: Iterable[Any]) -> Any:
    return Connection.objects.filter(
        user_id__in=list(user_ids), last_seen__gte=timezone.now() - STALE_AFTER
    )


def status_of(user_ids: Iterable[uuid.UUID | str]) -> dict[str, str]:
    ids = [str(u) for u in user_ids]
    result = dict.fromkeys(ids, OFFLINE)
    for user_id, status in _fresh(ids).values_list("user_id", "status"):
        key = str(user_id)
        if status == Connection.Status.ONLINE or result[key] == OFFLINE:
            result[key] = status
    return result


def _status(user_id: Any) -> str:
    return status_of([user_id])[str(user_id)]


@transaction.atomic
def connect(user_id: Any, channel_name: str) -> tuple[str, str]:
    """Returns (status before, status after)."""
    before = _status(user_id)
    Connection.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "user_id": user_id,
            "status": Connection.Status.ONLINE,
            "last_seen": timezone.now(),
        },
    )
    return before, _status(user_id)


@transaction.atomic
def disconnect(user_id: Any, channel_name: str) -> tuple[str, str]:
    before = _status(user_id)
    Connection.objects.filter(channel_name=channel_name).delete()
    return before, _status(user_id)


@transaction.atomic
def set_status(user_id: Any, channel_name: str, status: str) -> tuple[str, str]:
    before = _status(user_id)
    Connection.objects.filter(channel_name=channel_name).update(
        status=status, last_seen=timezone.now()
    )
    return before, _status(user_id)


def purge_stale() -> int:
    deleted, _ = Connection.objects.filter(last_seen__lt=timezone.now() - STALE_AFTER).delete()
    return deleted


@transaction.atomic
def sweep_stale() -> list[str]:
    """Deletes connections nobody refreshes (their process died); returns the users this left
    offline, whom their contacts must now see offline."""
    stale = Connection.objects.select_for_update().filter(
        last_seen__lt=timezone.now() - STALE_AFTER
    )
    users = {str(u) for u in stale.values_list("user_id", flat=True)}
    if not users:
        return []
    stale.delete()
    return [user for user, status in status_of(users).items() if status == OFFLINE]


def contacts_of(user_id: Any) -> set[str]:
    """Users who share an active conversation or a team (ORG mailbox) with this user, by the
    access rules of conversations (so a billing clerk in a team shares nothing): they, and only
    they, see each other's presence."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return set()
    active = Participant.objects.filter(
        conversation_id__in=conversations_for(user).values("pk"), left_at__isnull=True
    )
    direct = set(active.filter(user__isnull=False).values_list("user_id", flat=True))
    teams = set(active.filter(mailbox__isnull=False).values_list("mailbox_id", flat=True))
    others = direct | clinical_member_user_ids(teams | team_mailbox_ids(user))
    return {str(u) for u in others if str(u) != str(user_id)}


def visible_status(viewer_id: Any, user_ids: Iterable[uuid.UUID | str]) -> dict[str, str]:
    """``presence.query``: the status of the viewer's contacts; anyone else is answered as an
    unknown user is (offline), so presence reveals nothing about strangers."""
    ids = [str(u) for u in user_ids]
    visible = contacts_of(viewer_id) | {str(viewer_id)}
    result = dict.fromkeys(ids, OFFLINE)
    result.update(status_of([u for u in ids if u in visible]))
    return result
