"""Uploads: storing a file before its message exists, reading one back (audited), and the
bounds on uploads not (yet) sent: a per-user quota of files and bytes, and their expiry. An
upload belongs to its uploader alone until a message carries it; one never sent would otherwise
stay on disk forever."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, ProtectedError, Sum
from django.utils import timezone

from backend.accounts.models import User
from backend.audit import log as audit
from backend.errors import DomainError, Kind
from conversations.actions import require_clinician
from conversations.attachments import check_upload
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
        raise DomainError(
            "upload_quota",
            f"Trop de pièces jointes en attente d'envoi ({files} fichiers, {total // 1_048_576}"
            f" Mo) : envoyez-les ou attendez leur expiration ({settings.UPLOAD_UNSENT_TTL_HOURS}"
            " h).",
            Kind.CONFLICT,
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


def upload_attachment(user: User, upload: UploadedFile) -> Attachment:
    require_clinician(user)
    name, content_type = check_upload(upload)
    check_quota(user, upload.size or 0)  # before writing anything
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    # The file is written before the transaction (slow I/O outside it), under a random name,
    # never the user's; if the transaction fails, the file goes too.
    field = Attachment._meta.get_field("file")
    stored = field.storage.save(field.generate_filename(Attachment(), uuid.uuid4().hex), upload)
    try:
        with transaction.atomic():
            check_quota(user, upload.size or 0, locked=True)
            attachment = Attachment.objects.create(
                uploaded_by=user,
                file=stored,
                name=name,
                content_type=content_type,
                size=upload.size or 0,
                sha256=digest.hexdigest(),
            )
            audit.record(
                "attachment.uploaded", actor=user, obj=attachment, data={"size": attachment.size}
            )
    except BaseException:
        field.storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def record_attachment_download(user: User, attachment: Attachment) -> None:
    conversation = attachment.message.conversation if attachment.message else None
    audit.record(
        "attachment.downloaded",
        actor=user,
        obj=attachment,
        patient_id=conversation.patient_id if conversation else None,
    )
