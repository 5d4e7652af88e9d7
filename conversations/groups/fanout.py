"""Live updates when who-sees-a-conversation or how it looks changes: everyone who starts seeing
it gets ``conversation.new``, everyone who still sees it ``conversation.updated`` (their own view:
title, flags), everyone who stops seeing it ``conversation.removed`` — all after the commit, so
a removed person gets nothing of the conversation from that moment on."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from backend.accounts.models import User
from conversations import events, frames
from conversations.access import participant_user_ids
from conversations.audit import audit_chip_sent
from conversations.models import Conversation
from conversations.representations import conversation_json


def conversation_changed(
    conversation: Conversation,
    before: set[uuid.UUID] | None = None,
    *,
    only: Iterable[uuid.UUID] | None = None,
    reason: str = "removed",
    patient_changed: bool = False,
) -> None:
    """``before``: who saw it before the change (None: nobody came or went). ``only``: limit the
    update to these users (a per-user setting reaches that user's other devices only).
    ``patient_changed``: the updates carry a chip their users did not have (audited as a read;
    a new conversation's chip always is)."""
    after = participant_user_ids(conversation)
    before = after if before is None else before
    targets = set(only) if only is not None else after | before
    chip_to: dict[str, list[uuid.UUID]] = {"conversation.new": [], "conversation.updated": []}
    # A fixed order (new, updated, removed; by id inside each) keeps the event test stable.
    for user_id in sorted((targets - before) & after, key=str):
        view = conversation_json(conversation, User(pk=user_id))
        events.send_event_on_commit([user_id], frames.conversation_new(view))
        if view.get("patient"):
            chip_to["conversation.new"].append(user_id)
    for user_id in sorted(targets & before & after, key=str):
        view = conversation_json(conversation, User(pk=user_id))
        events.send_event_on_commit([user_id], frames.conversation_updated(view))
        if patient_changed and view.get("patient"):
            chip_to["conversation.updated"].append(user_id)
    for frame, user_ids in chip_to.items():
        audit_chip_sent(conversation, user_ids, frame)
    removed = frames.conversation_removed(conversation.pk, reason)
    for user_id in sorted(targets & (before - after), key=str):
        events.send_event_on_commit([user_id], removed)
