"""Forwarding a message (issue #18, item 8): to another conversation of the user's, or by MSSanté.

To a conversation: the user must take part in both; the copy is a new message of theirs marked
« Transféré » (`forwarded`), with its files, through the ordinary send path (seq, audit, fan-out).
By MSSanté: through `queue_message`, the one door of MSSanté mail and its trust-space checks
(operator allow-list, no outside address, one patient), to addresses of the directory only (the
platform's mailboxes or the Annuaire Santé's), never to a patient address; the conversation gets a
system message saying who forwarded what to whom.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from backend.accounts.models import Mailbox, User
from backend.directory.models import DirectoryAddress
from backend.errors import Conflict, invalid_field
from backend.mssante.access import access_sender_mailbox
from backend.mssante.actions import MimeAttachment, queue_message
from backend.mssante.pdf_mail import personal_mailbox
from conversations.access import access_conversation
from conversations.actions import SendResult, post_system_message, send_message
from conversations.audit import audit_conversation
from conversations.message_options import SendOptions
from conversations.models import Attachment, Message
from conversations.urgent import message_for

RELATED_TYPE = "conversations.message"


def _forwardable(user: User, message_id: Any) -> Message:
    message = message_for(user, message_id)
    if message.kind != Message.Kind.USER:
        raise Conflict("not_forwardable", "Un message du système ne se transfère pas.")
    if message.deleted_at is not None:
        raise Conflict("message_deleted", "Ce message a été supprimé.")
    return message


def forward_to_conversation(
    user: User, message_id: Any, target_id: Any, client_id: str
) -> SendResult:
    """The copy in the target conversation (a resend with the same client_id is the same)."""
    message = _forwardable(user, message_id)
    target = access_conversation(user, target_id)  # 404 when the user does not take part
    existing = Message.objects.filter(sender=user, client_id=client_id).first()
    if existing is not None:  # a resend: the stored copy, and no new files
        if existing.conversation_id != target.pk:
            raise Conflict(
                "client_id_reused", "Cet identifiant de message est déjà utilisé ailleurs."
            )
        return SendResult(existing, created=False)
    with transaction.atomic():
        copies = [
            Attachment.objects.create(
                uploaded_by=user,
                file=a.file.name,
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
            )
            for a in message.attachments.all()
        ]
        result = send_message(
            user,
            target.pk,
            client_id=client_id,
            body=message.body,
            attachment_ids=[a.pk for a in copies],
            options=SendOptions(forwarded=True),
        )
        audit_conversation(
            "message.forwarded",
            user,
            message.conversation,
            message=str(message.pk),
            to_conversation=str(target.pk),
            copy=str(result.message.pk),
        )
    return result


def _directory_addresses(recipients: list[str]) -> list[str]:
    addresses = list(dict.fromkeys(a.strip().lower() for a in recipients if a.strip()))
    if not addresses:
        raise invalid_field(
            "recipients_required", "Choisissez au moins un destinataire.", "recipients"
        )
    if any(a.endswith("@patient.mssante.fr") or ".patient." in a for a in addresses):
        raise invalid_field(
            "patient_address_in_recipients",
            "Un message de conversation ne se transfère qu'à des professionnels.",
            "recipients",
        )
    known = set(
        DirectoryAddress.objects.filter(address__in=addresses, active=True).values_list(
            "address", flat=True
        )
    ) | set(
        Mailbox.objects.filter(address__in=addresses, active=True).values_list("address", flat=True)
    )
    unknown = [a for a in addresses if a not in known]
    if unknown:
        raise invalid_field(
            "recipient_not_in_directory",
            "Choisissez des adresses MSSanté de l'annuaire : "
            + ", ".join(unknown)
            + " n'y figure pas.",
            "recipients",
        )
    return addresses


def _sender_mailbox(user: User, address: str | None) -> Mailbox:
    if address:
        return access_sender_mailbox(user, address)
    mailbox = personal_mailbox(getattr(user, "professional", None))
    if mailbox is None:
        raise Conflict(
            "no_mssante_mailbox",
            "Vous n'avez pas de BAL MSSanté personnelle active : choisissez une BAL d'envoi.",
        )
    return mailbox


def forward_by_mssante(
    user: User, message_id: Any, recipients: list[str], sender: str | None = None
) -> uuid.UUID:
    """Queue the message as an MSSanté mail; returns the outbound message's id."""
    message = _forwardable(user, message_id)
    addresses = _directory_addresses(recipients)
    mailbox = _sender_mailbox(user, sender)
    conversation = message.conversation
    author = message.sender.display_name if message.sender else "Liaison Santé"
    files = []
    for a in message.attachments.all():
        with a.file.open("rb") as handle:
            files.append(MimeAttachment(a.name, a.content_type, handle.read()))
    text = (
        f"Message de {author} du {message.created_at:%d/%m/%Y à %H:%M} (UTC), transféré depuis "
        f"Liaison Santé par {user.display_name} :\n\n{message.body}"
    )
    with transaction.atomic():
        # The conversation row first (backend/locks.py), then the mail; all or nothing.
        post_system_message(
            conversation.pk,
            f"{user.display_name} a transféré le message n° {message.seq} par MSSanté à "
            f"{', '.join(addresses)}.",
        )
        outbound = queue_message(
            actor=user,
            sender_mailbox=mailbox,
            recipients=addresses,
            subject="Message transféré depuis Liaison Santé",
            text=text,
            attachments=files,
            patient=conversation.patient,
            related_object=(RELATED_TYPE, message.pk),
        )
        audit_conversation(
            "message.forwarded_mssante",
            user,
            conversation,
            message=str(message.pk),
            mail=str(outbound.pk),
            recipients=len(addresses),
        )
    return outbound.pk
