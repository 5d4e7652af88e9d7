"""Automatic mail the inbox sends: MDN acknowledgements (ANS profile) and absence replies.

MDN (RFC 8098, ANS): ``Disposition: automatic-action/MDN-sent-automatically; processed`` when
the mail was integrated, ``processed/Error: <code>^<libellé>`` with the subject
``[KO Intégration système !][<code>] <subject>`` when a health document could not be. Parts:
text/plain, message/disposition-notification, text/rfc822-headers (the original headers).
Absence replies follow RFC 3834 (``Auto-Submitted: auto-replied``), once per sender per period.
Both leave through the outbox (stored, then sent by the sending task: never lost, never twice).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

from django.conf import settings
from django.db import transaction

from backend.accounts.models import Mailbox
from backend.mssante.actions import schedule_send
from backend.mssante.mime import compose, new_message_id
from backend.mssante.models import OutboundMessage, OutboundRecipient

__all__ = ["compose_mdn", "queue_raw"]

KO_SUBJECT = "[KO Intégration système !]"


def compose_mdn(
    *,
    mailbox_address: str,
    to: str,
    original_subject: str,
    original_message_id: str,
    original_headers: str,
    error: tuple[str, str] | None = None,
) -> tuple[bytes, str, str]:
    """The MDN bytes, Message-ID and subject; ``error`` = (code, libellé) for a KO one."""
    disposition = "automatic-action/MDN-sent-automatically; processed"
    if error is None:
        subject = f"Accusé de traitement : {original_subject}"
        text = "Votre message a été reçu et intégré."
    else:
        code, label = error
        # Report fields are ASCII (RFC 8098): the libellé loses its accents there only.
        ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
        disposition += f"/Error: {code}^{ascii_label}"
        subject = f"{KO_SUBJECT}[{code}] {original_subject}"
        text = f"Votre message a été reçu mais n'a pas pu être intégré : {label}."
    report = MIMEMultipart("report", report_type="disposition-notification")
    message_id = new_message_id(mailbox_address.rsplit("@", 1)[1])
    report["From"] = mailbox_address
    report["To"] = to
    report["Subject"] = Header(subject, "utf-8").encode()
    report["Date"] = format_datetime(datetime.now(UTC))
    report["Message-ID"] = message_id
    report["Auto-Submitted"] = "auto-replied"
    report["X-MSS-NIL"] = str(settings.MSSANTE_SOFTWARE_REF)
    report.attach(MIMEText(text, "plain", "utf-8"))
    fields = MIMENonMultipart("message", "disposition-notification")
    fields.set_payload(
        f"Reporting-UA: {settings.MSSANTE_SOFTWARE_REF}\r\n"
        f"Final-Recipient: rfc822; {mailbox_address}\r\n"
        f"Original-Message-ID: {original_message_id}\r\n"
        f"Disposition: {disposition}\r\n"
    )
    report.attach(fields)
    headers = MIMENonMultipart("text", "rfc822-headers")
    headers.set_payload(original_headers.replace("\r\n", "\n").replace("\n", "\r\n"))
    report.attach(headers)
    data = report.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data, message_id, subject


def compose_absence(
    *, mailbox_address: str, to: str, subject: str, text: str, in_reply_to: str
) -> tuple[bytes, str]:
    msg = compose(
        sender=mailbox_address,
        recipients=[to],
        subject=f"Absence : {subject}"[:200],
        text=text,
        software_ref=str(settings.MSSANTE_SOFTWARE_REF),
        in_reply_to=in_reply_to or None,
    )
    msg["Auto-Submitted"] = "auto-replied"
    data = msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data, str(msg["Message-ID"])


@transaction.atomic
def queue_raw(
    mailbox: Mailbox, to: str, data: bytes, message_id: str, subject: str, related_type: str
) -> OutboundMessage:
    """Store an automatic mail in the outbox and send it after commit."""
    message = OutboundMessage.objects.create(
        sender_mailbox=mailbox,
        sender_address=mailbox.address,
        subject=subject[:998],
        message_id=message_id,
        mime=data,
        related_type=related_type,
    )
    OutboundRecipient.objects.create(
        message=message, position=0, address=to, kind=OutboundRecipient.Kind.PROFESSIONAL
    )
    transaction.on_commit(lambda: schedule_send(message.pk))
    return message
