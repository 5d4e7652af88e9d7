"""The "Person" JSON every API and WebSocket frame uses, built in batches (no query per person)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TypedDict

from backend.accounts.models import Membership, Organization, Professional, User
from backend.process_cache import ProcessCache


class Person(TypedDict):
    id: str
    display_name: str
    title: str
    profession_label: str
    organization: str | None


def people_by_id(user_ids: Iterable[uuid.UUID | str]) -> dict[str, Person]:
    ids = {str(i) for i in user_ids if i}
    if not ids:
        return {}
    users = User.objects.filter(pk__in=ids).select_related("professional")
    organizations: dict[str, str] = {}
    memberships = (
        Membership.objects.filter(professional__user_id__in=ids)
        .select_related("organization")
        .order_by("organization__name")
        .values_list("professional__user_id", "organization__name")
    )
    for user_id, name in memberships:
        organizations.setdefault(str(user_id), name)
    result: dict[str, Person] = {}
    for user in users:
        professional = getattr(user, "professional", None)
        result[str(user.pk)] = {
            "id": str(user.pk),
            "display_name": user.display_name,
            "title": professional.title if professional else "",
            "profession_label": professional.profession_label if professional else "",
            "organization": organizations.get(str(user.pk)),
        }
    return result


# The hot path (a message's sender on every send) reads people from this process's cache.
PEOPLE_CACHE_SECONDS = 30.0
_cache: ProcessCache[str, Person] = ProcessCache(
    "people", PEOPLE_CACHE_SECONDS, people_by_id, (User, Professional, Membership, Organization)
)


def people_cached(user_ids: Iterable[uuid.UUID | str]) -> dict[str, Person]:
    return _cache.get_many(str(i) for i in user_ids if i)


def people_peek(user_id: uuid.UUID | str) -> Person | None:
    """A person held fresh in this process's cache, without loading (None otherwise)."""
    found = _cache.peek_many([str(user_id)])
    return None if found is None else found[str(user_id)]


def person(user: User) -> Person:
    return people_by_id([user.pk])[str(user.pk)]
