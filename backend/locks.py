"""Row locks, and the one order they are taken in.

Two transactions that lock the same rows in the same order never wait on each other in a cycle,
so every action takes its row locks (`SELECT ... FOR UPDATE`) in this order, skipping what it
does not need:

1. ``teleexpertise.TeleexpertiseRequest`` (then its ``Consent`` or ``Report``)
2. ``teleexpertise.Act`` quota slots
3. ``conversations.Call``
4. ``conversations.Conversation`` (its ``last_seq`` hands out message numbers)
5. ``conversations.Message``, then ``conversations.Attachment``, then ``conversations.ReadState``
6. ``conversations.Export``
7. ``mssante.OutboundMessage``, then its ``OutboundRecipient`` rows
8. ``patients.Patient`` (identity vigilance), ``accounts.Mailbox``, ``directory.ImportRun``:
   locked alone, never together with the rows above.

Slow work (a PDF, SMTP) happens before or after the transaction that holds a lock, never inside.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def locked(queryset: models.QuerySet[M], **lookup: Any) -> M | None:
    """The row, locked until the end of the caller's transaction; None when there is none."""
    return queryset.select_for_update().filter(**lookup).first()


def lock(queryset: models.QuerySet[M], **lookup: Any) -> M:
    """The row, locked until the end of the caller's transaction (DoesNotExist otherwise)."""
    return queryset.select_for_update().get(**lookup)
