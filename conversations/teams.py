"""Members of a team mailbox (ORG BAL) who take part in a conversation through it: which team they
speak for and in what role, shown on their messages and their « Vu par »."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from backend.accounts.models import Membership
from conversations.models import Participant

Json = dict[str, Any]
TeamKey = tuple[str, str]  # (conversation id, user id)


def teams_of(pairs: Iterable[tuple[Any, Any]]) -> dict[TeamKey, Json]:
    """{(conversation, user): {"name", "role"}} for each user who sees the conversation only as a
    member of a team mailbox taking part in it (a direct participant speaks for themself)."""
    wanted = {(str(c), str(u)) for c, u in pairs if c and u}
    if not wanted:
        return {}
    conversations = {uuid.UUID(c) for c, _ in wanted}
    users = {uuid.UUID(u) for _, u in wanted}
    active = Participant.objects.filter(conversation_id__in=conversations, left_at__isnull=True)
    direct = {
        (str(c), str(u))
        for c, u in active.filter(user_id__in=users).values_list("conversation_id", "user_id")
    }
    via_mailbox = active.filter(
        mailbox__active=True, mailbox__members__user_id__in=users
    ).values_list(
        "conversation_id",
        "mailbox__members__user_id",
        "mailbox__display_name",
        "mailbox__address",
        "mailbox__organization_id",
    )
    roles: dict[tuple[str, str], str] = {}
    for user_id, organization_id, role in Membership.objects.filter(
        professional__user_id__in=users
    ).values_list("professional__user_id", "organization_id", "role"):
        roles.setdefault((str(user_id), str(organization_id)), Membership.Role(role).label)
    result: dict[TeamKey, Json] = {}
    for conversation_id, user_id, name, address, organization_id in via_mailbox:
        key = (str(conversation_id), str(user_id))
        if key not in wanted or key in direct or key in result:
            continue
        result[key] = {
            "name": name or address,
            "role": roles.get((str(user_id), str(organization_id))),
        }
    return result


def team_of(conversation_id: Any, user_id: Any) -> Json | None:
    return teams_of([(conversation_id, user_id)]).get((str(conversation_id), str(user_id)))
