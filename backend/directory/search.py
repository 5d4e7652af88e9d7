"""Directory search: folded word-prefix matching, ranking, and the result representation.

Every query word must start a word of the entry's search column (``search_norm LIKE '% dup%'``:
name, structure, profession forms, a mailbox's service and address): on PostgreSQL a GIN index of
the words answers that for rare words (``wordindex``) and the ranked index for frequent ones; on
SQLite it scans.
Ranking, first to last: exact name, name starting with the query, every word in the name, other
matches; then platform users first (a conversation can start at once), then alphabetical.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import ExpressionWrapper, F, IntegerField, Q, QuerySet
from django.db.models.functions import Collate

from backend.accounts.models import Mailbox, Professional
from backend.directory.actions import PLATFORM
from backend.directory.models import DirectoryAddress, DirectoryEntry
from backend.directory.text import fold, words
from backend.directory.wordindex import AllWordsStart

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


def _filtered(
    criteria: Criteria, *, with_words: bool = True, by_rarest: bool = False
) -> QuerySet[DirectoryEntry]:
    """``by_rarest``: for the count (``AllWordsStart``)."""
    entries = DirectoryEntry.objects.filter(active=True)
    query_words = words(criteria.q)[:MAX_WORDS]
    if query_words and with_words:
        entries = entries.filter(AllWordsStart("search_norm", query_words, by_rarest=by_rarest))
    profession = criteria.profession.strip()
    if profession.isdigit():
        entries = entries.filter(profession_code=profession)
    elif words(profession):
        entries = entries.filter(AllWordsStart("profession_norm", words(profession)[:MAX_WORDS]))
    city = fold(criteria.city)
    if city:
        entries = entries.filter(city_norm__startswith=city)
    if criteria.postcode:
        entries = entries.filter(postcode=criteria.postcode)
    if criteria.mssante_only:
        entries = entries.filter(has_mssante=True)
    return entries


ORDER = ("listing", "family_norm", "given_norm", "id")


def ranked_order() -> list[Any]:
    """ORDER as the index directory_entry_ranked has it: on PostgreSQL the names in the "C"
    collation (byte order of the folded ASCII words, whatever the database's collation), so that
    a family-name prefix is a range of that index (``_split``) and Python sorts the same way."""
    if connection.vendor != "postgresql":
        return list(ORDER)
    return ["listing", Collate("family_norm", "C"), Collate("given_norm", "C"), "id"]


# Counting stops here: a count of 198,000 matches costs a scan of all of them, and no one pages
# that far (the client says « plus de 1 000 résultats » and asks to refine).
COUNT_LIMIT = 1000
# A last tier with more matches than this is read in index order (see _order, _page): by the
# planner's estimate on PostgreSQL (WALK), by a row fetched at that offset elsewhere (DENSE).
DENSE = 1000
WALK = 10_000
SHORT_WORD = 2  # letters: a word this short starts a large share of all names


def _tiers(q: str) -> list[Q]:
    """The ranking as disjoint conditions, best first: exact name, name starting with the query,
    every word in the name, the rest (structure, profession, service, address). Each tier is
    read in index order and stops at the page's end, so a frequent word never sorts every match.
    """
    query_words = words(q)[:MAX_WORDS]
    if not query_words:
        return [Q()]
    folded = " ".join(query_words)
    exact = Q(family_norm=folded) | Q(name_norm=folded) | Q(rev_norm=folded)
    starts = (
        Q(family_norm__startswith=folded)
        | Q(name_norm__startswith=folded)
        | Q(rev_norm__startswith=folded)
    )
    all_in_name = Q(AllWordsStart("name_norm", query_words))
    return [exact, starts & ~exact, all_in_name & ~starts & ~exact, ~all_in_name & ~starts & ~exact]


def _order(walk: bool) -> list[Any]:
    """The result order. ``walk``: as the ranked index has it, so the planner reads the index in
    order and stops after the page (right when the tier's matches are many). Otherwise
    ``listing + 0``, which no index provides, so the planner collects the matches from the
    word and prefix indexes and sorts them (right when they are few: in the profile, walking
    the index for an absent exact name read all 500,000 rows)."""
    if walk:
        return ranked_order()
    first = ExpressionWrapper(F("listing") + 0, output_field=IntegerField())
    return [first, *ranked_order()[1:]]


def _dense(tier: QuerySet[DirectoryEntry]) -> bool:
    """More than WALK matches by the planner's estimate (one EXPLAIN, no rows read; the word
    index's statistics estimated « dup » at 15,352 for 16,486 and « geriatrie » at 1,888 for
    2,000 at 510,000 entries). Fetching the row at offset 1,000 instead read up to 1,000 heap
    rows, and 2,000 matches clustered in the alphabet (a service of one structure's mailboxes)
    then walked 83,000 rows of the index (600 ms)."""
    if connection.vendor != "postgresql":
        return tier.order_by().values_list("id", flat=True)[DENSE : DENSE + 1].exists()
    plan = json.loads(tier.order_by().explain(format="json"))
    return bool(plan[0]["Plan"]["Plan Rows"] > WALK)


def _split(folded: str, index: int) -> tuple[Q, Q] | None:
    """Name tier ``index`` as (its block of the alphabet by family name, its other rows), on
    PostgreSQL: family = query (exact tier) or family starting with the query (starting tier),
    the block being a range of the ranked index; the other rows are a given name or a structure
    (few). None for the other tiers."""
    if connection.vendor != "postgresql" or index > 1:
        return None
    if index == 0:
        block = Q(family_c=folded)
        return block, (Q(name_norm=folded) | Q(rev_norm=folded)) & ~block
    # The successor of the prefix in byte order: « dup » -> « duq », « lez » -> « le{ ».
    block = Q(family_c__gte=folded, family_c__lt=folded[:-1] + chr(ord(folded[-1]) + 1))
    rev = Q(rev_norm__startswith=folded)
    if " " not in folded:
        # "family given" starts with one word only if the family name does (the block) or
        # is empty: said outright, or the planner reads the whole block again.
        rev &= Q(family_norm="")
    exact = Q(family_norm=folded) | Q(name_norm=folded) | Q(rev_norm=folded)
    return block & ~exact, (Q(name_norm__startswith=folded) | rev) & ~block


def _sort_key(entry: DirectoryEntry) -> tuple[int, str, str, int]:
    return entry.listing, entry.family_norm, entry.given_norm, entry.id


def _tier_rows(
    matching: QuerySet[DirectoryEntry],
    base: QuerySet[DirectoryEntry],
    split: tuple[Q, Q] | None,
    walk: bool,
    need: int,
) -> list[DirectoryEntry]:
    """The first ``need`` rows of one tier. With a family-name block (« dup »: 16,486 rows at
    510,000 entries, collected and sorted in 80 ms in the profile), the block is read along the
    ranked index from its start, once per listing value (the index's first column), and the
    tier's other rows are collected and sorted; the three come in one statement and are merged
    here in the same order (byte order of the folded names, as the index has it). The block is
    read from ``base``, the search without the query's words: a family name starting with the
    query has them, and with them the planner multiplied its estimates down to 36 rows of
    16,486, sorted them all and did not walk."""
    if split is None:
        return list(matching.order_by(*_order(walk))[:need])
    block, rest = split
    family_c = Collate("family_norm", "C")
    walks = [
        base.alias(family_c=family_c).filter(block, listing=listing).order_by(*ranked_order())
        for listing in (0, 1)
    ]
    collected = matching.alias(family_c=family_c).filter(rest).order_by(*_order(False))[:need]
    rows: list[DirectoryEntry] = list(walks[0][:need].union(walks[1][:need], collected, all=True))
    return sorted(rows, key=_sort_key)[:need]


def _page(
    entries: QuerySet[DirectoryEntry],
    q: str,
    offset: int,
    limit: int,
    base: QuerySet[DirectoryEntry] | None = None,
) -> list[DirectoryEntry]:
    """The tiers in turn. A tier is walked in index order when its matches are many AND spread
    over the alphabet: the name tiers of a one- or two-letter word (« m » starts given names as
    well as family names), the last tier (structure, profession, service) when dense. A dense
    name tier of a longer word (« lefevre ») is one block of the alphabet: walking the whole
    index to it read 200,000 rows in the profile, so the walk starts at the block (``_split``)."""
    wanted = offset + limit
    query_words = words(q)[:MAX_WORDS]
    short = len(query_words) <= 1 and len("".join(query_words)) <= SHORT_WORD
    tiers = _tiers(q)
    found: list[DirectoryEntry] = []
    for index, tier in enumerate(tiers):
        last = index == len(tiers) - 1
        # A name tier (the name is the query, starts with it, or has every word of it) implies
        # the search column's condition (its words include the name's): those tiers are read
        # without it, so that the planner does not intersect its word index with the name's
        # (« zoe le goff », exact tier: 22 of 24 ms reading « zoe », « le » and « goff » in the
        # search column's index for 819 rows the name's B-tree had found in 0.1 ms; EXPLAIN
        # ANALYZE at 510,000 entries).
        matching = (entries if last or base is None else base).filter(tier)
        walk = (short and index > 0) or (last and _dense(matching))
        split = None if short else _split(" ".join(query_words), index)
        found += _tier_rows(
            matching, entries if base is None else base, split, walk, wanted - len(found)
        )
        if len(found) >= wanted:
            break
    return found[offset:wanted]


def _count(entries: QuerySet[DirectoryEntry]) -> int:
    """Up to COUNT_LIMIT + 1 matches. On PostgreSQL without a sequential scan: the planner
    costs the word expression of each row at almost nothing and, expecting 16,000 matches of
    « lefevre », scanned the table until 1,001 (30,000 rows, 58-105 ms at 510,000 entries)
    where the word index and 1,001 heap rows take a few milliseconds."""
    capped = entries.order_by()[: COUNT_LIMIT + 1]
    if connection.vendor != "postgresql":
        return capped.count()
    # Until the end of the transaction: the view's own (autocommit), or a caller's, where the
    # later statements of the search are index reads anyway.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return capped.count()


def search(criteria: Criteria) -> tuple[list[dict[str, Any]], int, bool]:
    """(results, count, whether the count is exact: at most COUNT_LIMIT are counted)."""
    entries = _filtered(criteria)
    count = _count(_filtered(criteria, by_rarest=True))
    exact = count <= COUNT_LIMIT
    base = _filtered(criteria, with_words=False)
    page = _page(entries, criteria.q, criteria.offset, criteria.limit, base)
    return represent(page), min(count, COUNT_LIMIT), exact


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
