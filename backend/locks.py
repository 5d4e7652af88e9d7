"""Row locks, and the one order they are taken in.

Two transactions that lock the same rows in the same order never wait on each other in a cycle,
so every action takes its row locks (`SELECT ... FOR UPDATE`) in this order, skipping what it
does not need:

1. ``accounts.User``, as a per-user quota guard (unsent uploads, one synthesis in flight): first
   in its transaction
2. ``teleexpertise.TeleexpertiseRequest`` (then its ``Consent`` or ``Report``)
3. ``teleexpertise.Act`` quota slots (the billing review locks one ``Act`` alone)
4. ``conversations.Call``
5. ``conversations.Conversation`` (its ``last_seq`` hands out message numbers)
6. ``conversations.Message``, then ``conversations.Attachment``, then ``conversations.ReadState``
7. ``conversations.Export``
8. ``mssante.InboundMessage`` (inbox processing, team state; a delivery report then locks the
   ``OutboundRecipient`` it is about)
9. ``mssante.OutboundMessage``, then its ``OutboundRecipient`` rows
10. ``patients.Patient`` (identity vigilance), ``accounts.Mailbox``, ``directory.ImportRun``,
    ``conversations.Connection`` (presence sweep): locked alone, never together with the rows
    above.

This list is the one place the order is written; modules that lock say which rows they take
and point here.

Slow work (a PDF, SMTP) happens before or after the transaction that holds a lock, never
inside: a teleexpertise report is rendered before the filing transaction locks its request
(teleexpertise/report_actions.py), a synthesis is read before its mails are queued.
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
