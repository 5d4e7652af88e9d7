"""Who may export a conversation and read its syntheses.

Clinical roles only (billing staff get 403, like every conversation endpoint), and only the
conversation's current participants (404 for anyone else, whether the export exists or not).
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.errors import NotFound
from conversations.access import access_conversation, conversations_for
from conversations.actions import require_clinician
from conversations.models import Conversation
from conversations.syntheses.models import Export


def access_export_conversation(user: Any, conversation_id: Any) -> Conversation:
    """A conversation the user may export: 403 for non-clinical roles, 404 for non-participants."""
    require_clinician(user)
    return access_conversation(user, conversation_id)


def access_export(user: Any, export_id: Any) -> Export:
    """The export if `user` (clinical role) takes part in its conversation; one 404 otherwise."""
    require_clinician(user)
    try:
        key = uuid.UUID(str(export_id))
    except ValueError as exc:
        raise NotFound("Export introuvable.") from exc
    export = (
        Export.objects.select_related("conversation__patient")
        .filter(pk=key, conversation__in=conversations_for(user))
        .first()
    )
    if export is None:
        raise NotFound("Export introuvable.")
    return export
