"""MIME composition of an MSSanté mail (client side, référentiel #2).

Headers: ``X-MSS-NIL`` (software reference) on every mail, ``X-MSS-INS`` (O/N) and
``X-MSS-CODECDA`` when known, ``X-MSS-MES: FIN`` to close a patient exchange,
``Disposition-Notification-To`` for a read receipt (MDN, RFC 8098), Message-ID / In-Reply-To /
References threading. The text part is UTF-8 (quoted-printable, so no 8BITMIME is needed);
attachments are base64 parts with RFC 2231 file names.

This module only builds the message: the caller must have accepted the recipients with
``addresses.check_recipients`` (trust space, one patient per health document).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from backend.mssante.addresses import address_syntax_error

__all__ = [
    "XDM_ZIP_NAME",
    "MimeAttachment",
    "compose",
    "health_document_attachments",
    "new_message_id",
]

XDM_ZIP_NAME = "IHE_XDM.ZIP"
_CONTENT_TYPE_RE = re.compile(r"([a-z0-9][a-z0-9!#$&^_.+-]*)/([a-z0-9][a-z0-9!#$&^_.+-]*)")
_MSG_ID_RE = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


@dataclass(frozen=True)
class MimeAttachment:
    """One attached file; ``filename`` may contain accents (sent RFC 2231-encoded)."""

    filename: str
    content_type: str
    data: bytes


def new_message_id(domain: str) -> str:
    """``<random@domain>``: nothing about the host or the process leaks into it."""
    domain = domain.strip().lower()
    if not _DOMAIN_RE.fullmatch(domain):
        raise ValueError(f"domaine de Message-ID invalide : {domain!r}")
    return f"<{uuid.uuid4().hex}@{domain}>"


def _message_id(value: str) -> str:
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if not _MSG_ID_RE.fullmatch(value):
        raise ValueError(f"Message-ID invalide : {value!r}")
    return value


def _check_address(address: str, role: str) -> str:
    problem = address_syntax_error(address.strip())
    if problem is not None:
        raise ValueError(f"{role} : {problem}")
    return address.strip()


def compose(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    attachments: Sequence[MimeAttachment] = (),
    software_ref: str,
    ins_present: bool | None = None,
    cda_code: str | None = None,
    close_exchange: bool = False,
    read_receipt_to: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] | None = None,
    message_id_domain: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """Build the message; the Message-ID is on ``message_id_domain`` (default: the sender's).

    ``References`` defaults to ``in_reply_to`` when only that is given. ``date`` defaults to
    now (UTC). Raises ``ValueError`` for a malformed address, header value or content type
    (line breaks in a header value are refused by the email package itself).
    """
    sender = _check_address(sender, "expéditeur")
    to = [_check_address(r, "destinataire") for r in recipients]
    if not to:
        raise ValueError("au moins un destinataire")
    if not software_ref.strip():
        raise ValueError("X-MSS-NIL : la référence du logiciel est obligatoire")
    moment = date or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("la date doit porter un fuseau horaire")

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(moment)
    msg["Message-ID"] = new_message_id(message_id_domain or sender.rsplit("@", 1)[1])
    if in_reply_to:
        msg["In-Reply-To"] = _message_id(in_reply_to)
    thread = list(references) if references else ([in_reply_to] if in_reply_to else [])
    if thread:
        msg["References"] = " ".join(_message_id(ref) for ref in thread)
    msg["X-MSS-NIL"] = software_ref.strip()
    if ins_present is not None:
        msg["X-MSS-INS"] = "O" if ins_present else "N"
    if cda_code:
        msg["X-MSS-CODECDA"] = cda_code.strip()
    if close_exchange:
        msg["X-MSS-MES"] = "FIN"
    if read_receipt_to:
        msg["Disposition-Notification-To"] = _check_address(read_receipt_to, "accusé de lecture")

    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        match = _CONTENT_TYPE_RE.fullmatch(attachment.content_type.strip().lower())
        if match is None:
            raise ValueError(f"type de contenu invalide : {attachment.content_type!r}")
        if not attachment.filename.strip() or any(c in attachment.filename for c in "/\\\r\n"):
            raise ValueError(f"nom de fichier invalide : {attachment.filename!r}")
        msg.add_attachment(
            attachment.data,
            maintype=match.group(1),
            subtype=match.group(2),
            filename=attachment.filename,
        )
    for part in msg.iter_parts():
        del part["MIME-Version"]  # add_attachment repeats it on every part; the top one suffices
    return msg


def health_document_attachments(pdf: bytes, pdf_name: str, xdm_zip: bytes) -> list[MimeAttachment]:
    """The two parts of a health-document mail: the PDF and the ``IHE_XDM.ZIP`` package."""
    return [
        MimeAttachment(filename=pdf_name, content_type="application/pdf", data=pdf),
        MimeAttachment(filename=XDM_ZIP_NAME, content_type="application/zip", data=xdm_zip),
    ]
