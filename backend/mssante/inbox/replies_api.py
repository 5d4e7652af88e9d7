"""Answering, forwarding and filing a received mail; the user's absence and signature.

Replies go through ``queue_message`` like every MSSanté mail: the trust-space checks of the
compose dialog apply (outside addresses refused, no mixing), threading headers are set
(In-Reply-To, References), and the signature carries the sender's MSSanté address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.dateparse import parse_datetime

from backend.accounts.models import Mailbox
from backend.errors import DomainError, Kind
from backend.mssante.access import access_sender_mailbox
from backend.mssante.actions import queue_message
from backend.mssante.inbox import actions
from backend.mssante.inbox.models import InboundEvent, InboundMessage, MailSettings
from backend.mssante.inbox.parse import part_payload
from backend.mssante.mime import MimeAttachment
from backend.mssante.models import OutboundMessage
from backend.mssante.naming import display_subject
from backend.patients.access import access_patient

__all__ = ["file", "reply", "settings_of", "update_settings"]

_PREFIX = {"reply": "RE : ", "reply_all": "RE : ", "forward": "TR : "}


def _field_error(field: str, message: str) -> DomainError:
    return DomainError("invalid_input", message, fields={field: [message]})


def _signature(user: Any, mailbox: Mailbox) -> str:
    settings = MailSettings.objects.filter(user=user).first()
    text = (settings.signature if settings else "").strip()
    if mailbox.address not in text:
        # The rule of the seeds: a signature carries the MSSanté address.
        name = user.get_full_name() or mailbox.display_name
        text = "\n".join(t for t in (text or name, mailbox.address) if t)
    return text


def _recipients(message: InboundMessage, mode: str, data: Any, own: str) -> list[str]:
    if mode == "reply":
        return [message.from_address]
    if mode == "reply_all":
        everyone = [message.from_address, *message.to, *message.cc]
        return list(dict.fromkeys(a for a in everyone if a and a != own))
    targets = data.get("to")
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise _field_error("to", "Indiquez au moins un destinataire.")
    return [t.strip().lower() for t in targets][:50]


def _forwarded_parts(message: InboundMessage) -> list[MimeAttachment]:
    files = []
    for part in message.parts:
        found = part_payload(bytes(message.raw), int(part["index"]))
        if found is not None:
            files.append(MimeAttachment(*found))
    return files


def reply(user: Any, message: InboundMessage, data: Any) -> OutboundMessage:
    mode = str(data.get("mode", "reply"))
    if mode not in _PREFIX:
        raise _field_error("mode", "Mode inconnu (reply, reply_all, forward).")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 50_000:
        raise _field_error("text", "Le message ne peut pas être vide.")
    if message.status != InboundMessage.Status.OK:
        raise DomainError(
            "invalid_state",
            "Un courrier en quarantaine ne peut pas recevoir de réponse.",
            Kind.CONFLICT,
        )
    sender = access_sender_mailbox(user, str(data.get("from") or message.mailbox.address))
    recipients = _recipients(message, mode, data, sender.address)
    subject = display_subject(message.subject)
    if not subject.startswith(("RE : ", "TR : ")):
        subject = _PREFIX[mode] + subject
    threading = [*message.references, message.message_id] if message.message_id else None
    body = f"{text.strip()}\n\n-- \n{_signature(user, sender)}"
    with transaction.atomic():
        sent = queue_message(
            actor=user,
            sender_mailbox=sender,
            recipients=recipients,
            subject=subject[:900],
            text=body,
            attachments=_forwarded_parts(message) if mode == "forward" else (),
            patient=message.patient,
            in_reply_to=message.message_id or None if mode != "forward" else None,
            references=threading if mode != "forward" else None,
            read_receipt=bool(data.get("read_receipt", False)),
        )
        actions.record_event(message, user, InboundEvent.Verb.REPLIED, _PREFIX[mode].strip())
    return sent


def file(user: Any, message: InboundMessage, data: Any) -> dict[str, Any]:
    """« Ajouter à une conversation » (the attachments, posted in it) or « Classer dans le
    dossier du patient » (the mail linked to the patient's record)."""
    from conversations.actions import send_message
    from conversations.uploads import upload_attachment

    if message.status != InboundMessage.Status.OK:
        raise DomainError(
            "invalid_state", "Un courrier en quarantaine ne peut pas être classé.", Kind.CONFLICT
        )
    if data.get("patient"):
        patient = access_patient(user, str(data["patient"]))
        with transaction.atomic():
            InboundMessage.objects.filter(pk=message.pk).update(
                patient=patient, patient_match=InboundMessage.PatientMatch.MATCHED
            )
            actions.record_event(message, user, InboundEvent.Verb.FILED, "dossier patient")
            actions.audit_filed(user, message, patient.pk)
        return {"patient": str(patient.pk)}
    conversation = data.get("conversation")
    if not conversation:
        raise _field_error("conversation", "Choisissez une conversation ou un patient.")
    ids = []
    for part in _forwarded_parts(message):
        upload = SimpleUploadedFile(part.filename, part.data, content_type=part.content_type)
        ids.append(upload_attachment(user, upload).pk)
    body = f"Courrier MSSanté de {message.from_address} : {message.subject}"[:2000]
    result = send_message(
        user, conversation, client_id=f"mssante-{message.pk}", body=body, attachment_ids=ids
    )
    with transaction.atomic():
        actions.record_event(message, user, InboundEvent.Verb.FILED, "conversation")
        actions.audit_filed(user, message, message.patient_id)
    return {"conversation": str(conversation), "message": str(result.message.pk)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def settings_of(user: Any) -> dict[str, Any]:
    settings = MailSettings.objects.filter(user=user).first() or MailSettings(user=user)
    return {
        "absence_start": _iso(settings.absence_start),
        "absence_end": _iso(settings.absence_end),
        "absence_text": settings.absence_text,
        "signature": settings.signature,
    }


def update_settings(user: Any, data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("absence_start", "absence_end"):
        raw = data.get(name)
        if raw in (None, ""):
            values[name] = None
            continue
        parsed = parse_datetime(str(raw))
        if parsed is None or parsed.tzinfo is None:
            raise _field_error(name, "Date et heure attendues (ISO 8601 avec fuseau).")
        values[name] = parsed
    if (
        values["absence_start"]
        and values["absence_end"]
        and values["absence_end"] < values["absence_start"]
    ):
        raise _field_error("absence_end", "La fin de l'absence précède son début.")
    for name, limit in (("absence_text", 2000), ("signature", 1000)):
        text = data.get(name, "")
        if not isinstance(text, str) or len(text) > limit:
            raise _field_error(name, f"Texte de {limit} caractères au plus.")
        values[name] = text
    actions.save_settings(user, values)
    return settings_of(user)
