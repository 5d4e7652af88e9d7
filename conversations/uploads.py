"""Bounds on uploads that are not (yet) sent: a per-user quota of files and bytes, and their
expiry. An upload belongs to its uploader alone until a message carries it; one never sent
would otherwise stay on disk forever."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, ProtectedError, Sum
from django.utils import timezone
from rest_framework import status

from backend.accounts.models import User
from backend.api.errors import ApiError
from backend.audit import log as audit
from conversations.models import Attachment


def _unsent(user: Any) -> tuple[int, int]:
    totals = Attachment.objects.filter(uploaded_by=user, message__isnull=True).aggregate(
        files=Count("pk"), size=Sum("size")
    )
    return totals["files"] or 0, totals["size"] or 0


def check_quota(user: Any, size: int, *, locked: bool = False) -> None:
    """409 when this upload would pass the user's quota of unsent uploads. With ``locked``
    (inside the upload's transaction) the user's row is locked first, so two concurrent
    uploads cannot both slip under the limit."""
    if locked:
        User.objects.select_for_update().filter(pk=user.pk).first()
    files, total = _unsent(user)
    max_files, max_bytes = settings.UPLOAD_UNSENT_MAX_FILES, settings.UPLOAD_UNSENT_MAX_BYTES
    if files + 1 > max_files or total + size > max_bytes:
        raise ApiError(
            "upload_quota",
            f"Trop de pièces jointes en attente d'envoi ({files} fichiers, {total // 1_048_576}"
            f" Mo) : envoyez-les ou attendez leur expiration ({settings.UPLOAD_UNSENT_TTL_HOURS}"
            " h).",
            status.HTTP_409_CONFLICT,
        )


def expire_unsent(now: Any = None) -> int:
    """Deletes uploads never sent within UPLOAD_UNSENT_TTL_HOURS, files included. One still
    referenced elsewhere (a consent's scanned document) is kept. Returns how many went."""
    limit = (now or timezone.now()) - timedelta(hours=settings.UPLOAD_UNSENT_TTL_HOURS)
    expired = 0
    for attachment in Attachment.objects.filter(message__isnull=True, created_at__lt=limit):
        name = attachment.file.name
        try:
            with transaction.atomic():
                audit.record("attachment.expired", obj=attachment, data={"size": attachment.size})
                attachment.delete()
        except ProtectedError:
            continue
        if name:
            attachment.file.storage.delete(name)
        expired += 1
    return expired
