"""The "Person" JSON every API and WebSocket frame uses, built in batches (no query per person)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any, TypedDict

from django.db.models.signals import post_delete, post_save

from backend.accounts.models import Membership, Organization, Professional, User


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
# A save of anything a Person is made of empties it in this process; other processes see the
# change within PEOPLE_CACHE_SECONDS.
PEOPLE_CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, Person]] = {}


def people_cached(user_ids: Iterable[uuid.UUID | str]) -> dict[str, Person]:
    now = time.monotonic()
    result: dict[str, Person] = {}
    missing = []
    for key in {str(i) for i in user_ids if i}:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < PEOPLE_CACHE_SECONDS:
            result[key] = hit[1]
        else:
            missing.append(key)
    if missing:
        for key, found in people_by_id(missing).items():
            _cache[key] = (now, found)
            result[key] = found
    return result


def forget_people(**_: Any) -> None:
    _cache.clear()


for _model in (User, Professional, Membership, Organization):
    post_save.connect(forget_people, sender=_model, dispatch_uid=f"people-{_model.__name__}")
    post_delete.connect(forget_people, sender=_model, dispatch_uid=f"people-{_model.__name__}-d")


def person(user: User) -> Person:
    return people_by_id([user.pk])[str(user.pk)]
