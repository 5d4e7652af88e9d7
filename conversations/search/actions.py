"""The audit of a search: showing message text about a patient is a read of that patient's data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db import transaction

from backend.accounts.models import User
from conversations.audit import audit_conversation
from conversations.models import Conversation
from conversations.search.payloads import MessageHit


@transaction.atomic
def record_search_read(
    user: User, conversations: Sequence[Conversation], hits: Sequence[MessageHit]
) -> None:
    """One event per conversation about a patient whose messages were shown, with how many;
    never the words searched (they may name the patient or the disease)."""
    shown = Counter(hit["conversation"] for hit in hits)
    for conversation in conversations:
        if conversation.patient_id and shown[str(conversation.pk)]:
            audit_conversation(
                "conversation.search_read",
                user,
                conversation,
                messages=shown[str(conversation.pk)],
            )
