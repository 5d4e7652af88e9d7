"""Directory search: folded word-prefix matching, ranking, and the result representation.

Every query word must start a word of the name or of the organisation (``search_norm LIKE
'% dup%'``): on PostgreSQL a GIN trigram index answers that; on SQLite it scans. Ranking, first
to last: exact name, name starting with the query, every word in the name, organisation match;
then platform users first (a conversation can start at once), then alphabetical.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat

from backend.accounts.models import Mailbox, Professional
from backend.directory.actions import PLATFORM
from backend.directory.models import DirectoryAddress, DirectoryEntry
from backend.directory.text import fold, words

MAX_WORDS = 8  # more words than any name has: a bound on the SQL, not a product rule


@dataclass(frozen=True)
class Criteria:
    q: str = ""
    profession: str = ""
    city: str = ""
    postcode: str = ""
    mssante_only: bool = False
    limit: int = 20
    offset: int = 0


def _filtered(criteria: Criteria) -> QuerySet[DirectoryEntry]:
    entries = DirectoryEntry.objects.filter(active=True)
    for word in words(criteria.q)[:MAX_WORDS]:
        entries = entries.filter(search_norm__contains=" " + word)
    profession = criteria.profession.strip()
    if profession.isdigit():
        entries = entries.filter(profession_code=profession)
    else:
        for word in words(profession)[:MAX_WORDS]:
            entries = entries.filter(profession_norm__contains=" " + word)
    city = fold(criteria.city)
    if city:
        entries = entries.filter(city_norm__startswith=city)
    if criteria.postcode:
        entries = entries.filter(postcode=criteria.postcode)
    if criteria.mssante_only:
        entries = entries.filter(has_mssante=True)
    return entries


def _ranked(entries: QuerySet[DirectoryEntry], q: str) -> QuerySet[DirectoryEntry]:
    platform_first = Case(When(source=PLATFORM, then=Value(0)), default=Value(1))
    query_words = words(q)[:MAX_WORDS]
    if not query_words:
        return entries.order_by("family_norm", "given_norm", "id")
    folded = " ".join(query_words)
    all_in_name = Q()
    for word in query_words:
        all_in_name &= Q(name_words__contains=" " + word)
    rank = Case(
        When(Q(family_norm=folded) | Q(name_norm=folded) | Q(rev_name=folded), then=Value(0)),
        When(
            Q(family_norm__startswith=folded)
            | Q(name_norm__startswith=folded)
            | Q(rev_name__startswith=folded),
            then=Value(1),
        ),
        When(all_in_name, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return entries.annotate(
        rev_name=Concat("family_norm", Value(" "), "given_norm"),
        name_words=Concat(Value(" "), "name_norm"),
    ).order_by(rank, platform_first, "family_norm", "given_norm", "id")


def search(criteria: Criteria) -> tuple[list[dict[str, Any]], int]:
    entries = _filtered(criteria)
    count = entries.count()
    page = list(_ranked(entries, criteria.q)[criteria.offset : criteria.offset + criteria.limit])
    return represent(page), count


def _platform_addresses(page: list[DirectoryEntry]) -> dict[int, list[dict[str, str]]]:
    by_key = {entry.key: entry.id for entry in page if entry.source == PLATFORM}
    pro_ids: dict[uuid.UUID, int] = {}
    mailbox_ids: dict[uuid.UUID, int] = {}
    for key, entry_id in by_key.items():
        _, kind, raw_id = key.split(":", 2)
        (pro_ids if kind == "pro" else mailbox_ids)[uuid.UUID(raw_id)] = entry_id
    mailboxes = Mailbox.objects.filter(active=True, hidden=False).filter(
        Q(kind=Mailbox.Kind.PERSONAL, professional_id__in=list(pro_ids))
        | Q(kind=Mailbox.Kind.ORGANIZATIONAL, id__in=list(mailbox_ids))
    )
    result: dict[int, list[dict[str, str]]] = defaultdict(list)
    for mailbox in mailboxes.order_by("address"):
        if mailbox.professional_id is not None:
            target = pro_ids.get(mailbox.professional_id)
        else:
            target = mailbox_ids.get(mailbox.id)
        if target is not None:
            result[target].append({"address": mailbox.address, "kind": mailbox.kind})
    return result


def _imported_addresses(page: list[DirectoryEntry]) -> dict[int, list[dict[str, str]]]:
    ids = [entry.id for entry in page if entry.source != PLATFORM]
    rows = list(
        DirectoryAddress.objects.filter(entry_id__in=ids, active=True)
        .order_by("address")
        .values_list("entry_id", "address", "kind")
    )
    # An address published by its operator but put on the liste rouge on this platform.
    hidden = set(
        Mailbox.objects.filter(address__in=[r[1] for r in rows], hidden=True).values_list(
            "address", flat=True
        )
    )
    result: dict[int, list[dict[str, str]]] = defaultdict(list)
    for entry_id, address, kind in rows:
        if address not in hidden:
            result[entry_id].append({"address": address, "kind": kind})
    return result


def _platform_users(page: list[DirectoryEntry]) -> dict[str, uuid.UUID]:
    """National id -> user id, for imported entries of people who also use this platform."""
    national_ids = {e.national_id for e in page if e.source != PLATFORM and e.national_id}
    rpps = [n[1:] for n in national_ids if n.startswith("8")]
    adeli = [n[1:] for n in national_ids if n.startswith("0")]
    found = Professional.objects.filter(user__is_active=True, user__is_service=False).filter(
        Q(rpps__in=rpps) | Q(adeli__in=adeli)
    )
    users = {}
    for professional in found.only("rpps", "adeli", "user_id"):
        if professional.national_id:
            users[professional.national_id] = professional.user_id
    return users


def represent(page: list[DirectoryEntry]) -> list[dict[str, Any]]:
    addresses = {**_imported_addresses(page), **_platform_addresses(page)}
    users = _platform_users(page)
    results = []
    for entry in page:
        user_id = entry.user_id if entry.source == PLATFORM else users.get(entry.national_id)
        results.append(
            {
                "id": entry.id,
                "name": entry.name,
                "profession": entry.profession_label,
                "specialty": entry.specialty,
                "rpps": entry.rpps or None,
                "organization": entry.organization_name,
                "city": entry.city,
                "postcode": entry.postcode,
                "mssante": addresses.get(entry.id, []),
                "user": str(user_id) if user_id else None,
                "kind": entry.kind,
                "source": entry.source,
            }
        )
    return results
