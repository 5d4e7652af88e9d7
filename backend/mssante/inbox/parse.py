"""Parsing a received mail: headers, threading, text, attachments, XDM, DSN and MDN reports.

``parse_mail`` never raises for bad input: what cannot be read becomes a ``quarantine`` reason
(the mail is kept, raw, and shown to the mailbox owner as such), what can be read with care
becomes a warning (a missing or unknown charset is decoded with a stated fallback).
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

from django.conf import settings

from backend.mssante.inbox.xdm_read import XdmError, XdmPackage, read_xdm
from backend.mssante.mime import XDM_ZIP_NAME

__all__ = ["ParsedMail", "Report", "parse_mail", "part_payload"]

_MSG_ID = re.compile(r"<[^<>\s]+>")
_FATAL_DEFECTS = {
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "CloseBoundaryNotFoundDefect",
}


@dataclass
class Report:
    """A delivery (DSN) or disposition (MDN) report about one of our sent mails."""

    original_message_id: str
    recipient: str
    action: str  # delivered | failed | delayed | displayed | processed ...
    reason: str = ""


@dataclass
class ParsedMail:
    message_id: str = ""
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    parts: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "mail"
    reports: list[Report] = field(default_factory=list)
    xdm: XdmPackage | None = None
    xdm_error: str = ""
    warnings: list[dict[str, str]] = field(default_factory=list)
    quarantine: str = ""
    disposition_to: str = ""
    auto_submitted: bool = False
    list_mail: bool = False
    headers: str = ""

    def warn(self, code: str, message: str) -> None:
        self.warnings.append({"code": code, "message": message})


def max_bytes() -> int:
    return int(settings.MSSANTE_INBOX_MAX_BYTES)


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, LookupError, IndexError):
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _ids(value: str) -> list[str]:
    return _MSG_ID.findall(value)[:50]


def _text_of(part: Message, mail: ParsedMail) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    if charset is None:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            mail.warn("charset_missing", "Jeu de caractères absent : texte lu en Latin-1.")
            return payload.decode("latin-1")
    try:
        return payload.decode(charset)
    except LookupError:
        mail.warn(
            "charset_unknown", f"Jeu de caractères inconnu ({charset[:40]}) : texte approché."
        )
    except UnicodeDecodeError:
        mail.warn("charset_wrong", f"Texte non conforme au jeu de caractères {charset[:40]}.")
    return payload.decode("utf-8", "replace")


def part_payload(raw: bytes, index: int) -> tuple[str, str, bytes] | None:
    """``(filename, content type, bytes)`` of the attachment ``index`` of a stored mail."""
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    for position, part in enumerate(msg.walk()):
        if position == index:
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                return None
            return part.get_filename() or f"piece-{index}", part.get_content_type(), data
    return None


def _report_fields(part: Message) -> list[dict[str, str]]:
    """The field groups of a message/delivery-status or disposition-notification part."""
    payload = part.get_payload()
    blocks: list[str] = []
    if isinstance(payload, list):
        blocks = [m.as_string() if isinstance(m, Message) else str(m) for m in payload]
    elif isinstance(payload, str):
        blocks = re.split(r"\r?\n\r?\n", payload)
    groups = []
    for block in blocks:
        fields: dict[str, str] = {}
        for line in re.sub(r"\r?\n[ \t]+", " ", block).splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip().lower()] = value.strip()
        if fields:
            groups.append(fields)
    return groups


def _address_of(field_value: str) -> str:
    # "rfc822; someone@example" -> someone@example
    return field_value.partition(";")[2].strip().strip("<>").lower() or field_value.lower()


def _dsn(mail: ParsedMail, part: Message, original_id: str) -> None:
    for group in _report_fields(part):
        if "action" not in group:
            continue
        recipient = _address_of(group.get("final-recipient") or group.get("original-recipient", ""))
        reason = group.get("diagnostic-code", "").partition(";")[2].strip() or group.get(
            "status", ""
        )
        action = group["action"].lower()
        mail.reports.append(Report(original_id, recipient, action, reason[:400]))


def _mdn(mail: ParsedMail, part: Message) -> None:
    for group in _report_fields(part):
        if "disposition" not in group:
            continue
        recipient = _address_of(group.get("final-recipient", ""))
        original = (_ids(group.get("original-message-id", "")) or [""])[0]
        disposition = group["disposition"].partition(";")[2].strip().lower()
        mail.reports.append(Report(original, recipient, disposition or "processed"))


def _original_id(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            text = part.as_string()
            match = re.search(r"(?im)^message-id:\s*(<[^>]+>)", text)
            if match:
                return match.group(1)
    return ""


def _walk(mail: ParsedMail, msg: Message) -> None:
    texts: list[str] = []
    original = ""
    for index, part in enumerate(msg.walk()):
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            mail.kind = "dsn"
            original = original or _original_id(msg)
            _dsn(mail, part, original)
            continue
        if ctype == "message/disposition-notification":
            mail.kind = "mdn"
            _mdn(mail, part)
            continue
        if part.is_multipart() or ctype in ("message/rfc822", "text/rfc822-headers"):
            continue
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").lower()
        if filename is None and ctype == "text/plain" and "attachment" not in disposition:
            texts.append(_text_of(part, mail))
            continue
        if filename is None and ctype == "text/html" and not texts:
            continue  # the plain alternative is shown; HTML is never rendered
        data = part.get_payload(decode=True)
        size = len(data) if isinstance(data, bytes) else 0
        name = filename or f"piece-{index}"
        mail.parts.append({"index": index, "filename": name, "content_type": ctype, "size": size})
        if name.upper() == XDM_ZIP_NAME and isinstance(data, bytes):
            try:
                mail.xdm = read_xdm(data)
            except XdmError as exc:
                mail.xdm_error = exc.code
                if exc.code in {"zip_bomb", "xml_forbidden", "xml_too_deep", "xdm_too_large"}:
                    mail.quarantine = exc.message
                else:
                    mail.warn(exc.code, exc.message)
    mail.text = "\n\n".join(t for t in texts if t).strip()


def parse_mail(raw: bytes, size: int | None = None) -> ParsedMail:
    """``size``: the real size when ``raw`` holds only the headers of a too-large mail."""
    mail = ParsedMail()
    size = size or len(raw)
    if size > max_bytes():
        mail.quarantine = (
            f"Courrier trop volumineux ({size // (1024 * 1024)} Mo ; "
            f"{max_bytes() // (1024 * 1024)} Mo au plus)."
        )
        raw = raw.split(b"\r\n\r\n", 1)[0][:65536]  # headers only: enough to list it
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    mail.headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("latin-1")[:20000]
    mail.message_id = (_ids(_header(msg, "Message-ID")) or [""])[0][:255]
    subject = _header(msg, "Subject")
    try:
        mail.subject = str(email.header.make_header(email.header.decode_header(subject)))[:998]
    except (LookupError, UnicodeDecodeError, email.errors.HeaderParseError):
        mail.subject = subject[:998]
        mail.warn("charset_unknown", "Objet dans un jeu de caractères inconnu.")
    name, address = parseaddr(_header(msg, "From"))
    mail.from_name, mail.from_address = name[:200], address.lower()[:254]
    mail.to = [a.lower() for _, a in getaddresses([_header(msg, "To")]) if a][:100]
    mail.cc = [a.lower() for _, a in getaddresses([_header(msg, "Cc")]) if a][:100]
    try:
        mail.sent_at = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        mail.sent_at = None
    mail.in_reply_to = (_ids(_header(msg, "In-Reply-To")) or [""])[0][:255]
    mail.references = _ids(_header(msg, "References"))
    mail.disposition_to = parseaddr(_header(msg, "Disposition-Notification-To"))[1].lower()
    auto = _header(msg, "Auto-Submitted").lower()
    mail.auto_submitted = bool(auto) and auto != "no"
    mail.list_mail = bool(_header(msg, "List-Id") or _header(msg, "List-Unsubscribe"))
    if not mail.from_address or "@" not in mail.from_address:
        mail.quarantine = mail.quarantine or "Expéditeur absent ou illisible."
    if mail.quarantine:
        return mail
    defects = {type(d).__name__ for part in msg.walk() for d in part.defects}
    if defects & _FATAL_DEFECTS:
        mail.quarantine = "Structure MIME mal formée (délimiteurs de parties absents ou faux)."
        return mail
    _walk(mail, msg)
    if mail.kind == "mail" and mail.auto_submitted:
        mail.kind = "auto"
    return mail
