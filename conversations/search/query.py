"""The search itself: matching message ids in the conversations a user sees, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from backend.accounts.people import Person, people_by_id
from backend.directory.text import words
from conversations.access import conversations_for
from conversations.models import Conversation, Message, Participant
from conversations.representations import display_title, participants_json
from conversations.search import expressions, snippets, sqlite
from conversations.search.payloads import MessageHit

MAX_TERMS = 8
MARKERS = f"StartSel={snippets.START}, StopSel={snippets.STOP}"


@dataclass(frozen=True)
class Found:
    hits: list[MessageHit]
    has_more: bool
    conversations: list[Conversation]  # those shown, for the audit


def terms_of(q: str) -> list[str]:
    return words(q)[:MAX_TERMS]


def _matching(terms: list[str]) -> QuerySet[Message]:
    messages = Message.objects.filter(deleted_at__isnull=True)
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return messages.filter(expressions.pg_match(tsquery)).annotate(
            headline=expressions.pg_headline(tsquery, MARKERS)
        )
    return messages.filter(expressions.sqlite_match(sqlite.match_expression(terms)))


def _titles(
    shown: list[Conversation],
    participants: list[Participant],
    people: dict[str, Person],
    viewer_id: str,
) -> dict[str, str]:
    """The title each conversation has in the viewer's list (the others' names by default)."""
    titles = {}
    for conversation in shown:
        mine = [p for p in participants if p.conversation_id == conversation.pk]
        parts = participants_json(mine, people)
        titles[str(conversation.pk)] = display_title(conversation, parts, viewer_id)
    return titles


def search_messages(
    user: Any, q: str, *, conversation: Conversation | None, limit: int, offset: int
) -> Found:
    terms = terms_of(q)
    if not terms:
        return Found([], False, [])
    scope = conversations_for(user)
    if conversation is not None:
        scope = scope.filter(pk=conversation.pk)
    found = (
        _matching(terms)
        .filter(conversation__in=scope.values("pk"), kind=Message.Kind.USER)
        .order_by("-created_at", "-seq")
    )
    page = list(found[offset : offset + limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    shown = list(
        Conversation.objects.filter(pk__in={m.conversation_id for m in page}).select_related(
            "patient__organization"
        )
    )
    participants = list(
        Participant.objects.filter(conversation__in=shown, left_at__isnull=True)
        .select_related("mailbox")
        .order_by("joined_at")
    )
    people = people_by_id(
        {m.sender_id for m in page if m.sender_id} | {p.user_id for p in participants if p.user_id}
    )
    titles = _titles(shown, participants, people, str(user.pk))
    hits: list[MessageHit] = []
    for message in page:
        headline = getattr(message, "headline", None)
        hits.append(
            {
                "conversation": str(message.conversation_id),
                "conversation_title": titles.get(str(message.conversation_id), ""),
                "message": str(message.pk),
                "seq": message.seq,
                "sender": people.get(str(message.sender_id)) if message.sender_id else None,
                "created_at": message.created_at.isoformat(),
                "edited": message.edited_at is not None,
                "snippet": (
                    snippets.from_markers(headline)
                    if headline is not None
                    else snippets.by_prefix(message.body, terms)
                ),
            }
        )
    return Found(hits, has_more, shown)
