"""Helpers shared by the MSSanté tests: a small PDF, eager tasks, the mail parts."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from celery import current_app
from reportlab.pdfgen import canvas

from backend.accounts.models import Mailbox, User
from backend.mssante.models import OutboundMessage


def small_pdf(text: str = "Compte rendu de téléexpertise (test)") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in the calling thread, whatever the broker configuration (Redis in CI)."""
    conf = current_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


def per_mailbox(user: User) -> Mailbox:
    return Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user=user)


def org_mailbox() -> Mailbox:
    return Mailbox.objects.get(kind=Mailbox.Kind.ORGANIZATIONAL)


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """File name -> (content type, decoded bytes) of each attachment."""
    found: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = (part.get_content_type(), payload)
    return found


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def outbox_count() -> int:
    return OutboundMessage.objects.count()
