"""Conversation syntheses: request one, download it, send it over MSSanté (the rendering itself is
`rendering`, run by the Celery task).

Each state change writes its audit event in its transaction (never the health content); the
rendering task and the WebSocket frames run after commit.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Mailbox, User
from backend.errors import Conflict, DomainError, invalid_field
from backend.mssante.access import access_sender_mailbox
from backend.mssante.documents import default_visibility
from backend.mssante.pdf_mail import PdfDocument, personal_mailbox, send_pdf
from conversations.actions import post_system_message
from conversations.syntheses.access import access_export, access_export_conversation
from conversations.syntheses.models import Export
from conversations.syntheses.rendering import SYNTHESIS_TITLE
from conversations.syntheses.representations import audit_export
from conversations.syntheses.tasks import render_synthesis

logger = logging.getLogger(__name__)
Json = dict[str, Any]

RELATED_TYPE = "conversations.export"
# LOINC 60591-5 "Synthèse médicale" (JDV_J07; classCode 11 « Synthèse »).
SYNTHESIS_TYPE_CODE = "60591-5"


def _check_range(from_seq: int | None, to_seq: int | None, last_seq: int) -> None:
    def refuse(field: str, message: str) -> DomainError:
        return invalid_field("invalid_range", message, field)

    if from_seq is not None and from_seq < 1:
        raise refuse("from_seq", "Le premier message doit être numéroté 1 ou plus.")
    if to_seq is not None and to_seq < 1:
        raise refuse("to_seq", "Le dernier message doit être numéroté 1 ou plus.")
    if from_seq is not None and to_seq is not None and from_seq > to_seq:
        raise refuse("to_seq", "Le dernier message précède le premier.")
    if from_seq is not None and from_seq > last_seq:
        raise refuse("from_seq", "La conversation ne compte pas autant de messages.")


def _check_size(from_seq: int | None, to_seq: int | None, last_seq: int) -> None:
    """A synthesis has a size cap (and the task a time cap): a clear refusal, not a worker
    stuck on an endless PDF."""
    count = min(to_seq or last_seq, last_seq) - (from_seq or 1) + 1
    limit = settings.SYNTHESIS_MAX_MESSAGES
    if count > limit:
        message = (
            f"Une synthèse compte au plus {limit} messages (ici {count}) : choisissez une "
            "plage plus courte (premier et dernier message)."
        )
        raise DomainError("synthesis_too_large", message, fields={"to_seq": [message]})


def _check_none_in_flight(user: User) -> None:
    """One export in flight per user (the user's row is locked: two requests at once cannot
    both pass). One stuck longer than the task could run no longer counts."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    recent = timezone.now() - timedelta(seconds=2 * settings.SYNTHESIS_TIME_LIMIT_SECONDS + 60)
    in_flight = Export.objects.filter(
        requested_by=user,
        status__in=[Export.Status.QUEUED, Export.Status.RUNNING],
        created_at__gte=recent,
    )
    if in_flight.exists():
        raise Conflict(
            "export_in_progress",
            "Une synthèse est déjà en préparation : attendez qu'elle soit prête.",
        )


@transaction.atomic
def request_synthesis(
    user: User, conversation_id: Any, from_seq: int | None = None, to_seq: int | None = None
) -> Export:
    """Queue the synthesis of a conversation (or of a range of its messages) for `user`."""
    conversation = access_export_conversation(user, conversation_id)
    _check_range(from_seq, to_seq, conversation.last_seq)
    _check_size(from_seq, to_seq, conversation.last_seq)
    _check_none_in_flight(user)
    export_id = uuid.uuid4()
    export = Export.objects.create(
        id=export_id,
        conversation=conversation,
        requested_by=user,
        from_seq=from_seq,
        to_seq=to_seq,
        document_id=f"SYN-{timezone.localdate():%Y%m%d}-{export_id.hex[:12].upper()}",
    )
    audit_export(
        "export.requested",
        user,
        export,
        conversation,
        from_seq=from_seq,
        to_seq=to_seq,
        document_id=export.document_id,
    )
    transaction.on_commit(lambda: _schedule(export.pk))
    return export


def _schedule(export_id: uuid.UUID) -> None:
    try:
        render_synthesis.delay(str(export_id))
    except Exception:
        # The export stays "queued"; a new request or a re-run of the task renders it.
        logger.exception("synthesis: could not schedule export %s", export_id)


def open_download(user: User, export_id: Any) -> tuple[Export, Any]:
    """The export and its open file; audited as a read when the conversation has a patient."""
    export = access_export(user, export_id)
    if export.status != Export.Status.DONE or not export.file:
        raise Conflict("export_not_ready", "La synthèse n'est pas encore prête.")
    handle = export.file.open("rb")
    if export.conversation.patient_id is not None:
        with transaction.atomic():
            audit_export("export.downloaded", user, export, export.conversation)
    return export, handle


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


def _sent_text(user: User, export: Export, recipients: list[str], to_record: bool) -> str:
    targets = [", ".join(recipients)] if recipients else []
    if to_record:
        targets.append("au dossier du patient (DMP)")
    to = " et ".join(f"à {t}" if not t.startswith("au ") else t for t in targets)
    return f"{user.display_name} a envoyé la synthèse {export.document_id} par MSSanté {to}."


def send_export(
    user: User,
    export_id: Any,
    recipients: list[str],
    to_patient_record: bool,
    sender: str | None = None,
    visibility: str | None = None,
) -> list[uuid.UUID]:
    """Queue the synthesis to colleagues (one mail) and/or to the patient's record (another
    mail, to the patient's MSSanté address, as a health document: PDF + IHE_XDM.ZIP).

    One transaction: both mails are queued or none. Returns the OutboundMessage ids.
    """
    export = access_export(user, export_id)
    if export.status != Export.Status.DONE or not export.file:
        raise Conflict("export_not_ready", "La synthèse n'est pas encore prête.")
    recipients = list(dict.fromkeys(a.strip().lower() for a in recipients if a.strip()))
    if not recipients and not to_patient_record:
        raise invalid_field(
            "recipients_required",
            "Choisissez au moins un destinataire ou le dossier du patient.",
            "recipients",
        )
    if any(a.endswith("@patient.mssante.fr") for a in recipients):
        raise invalid_field(
            "patient_address_in_recipients",
            "Pour envoyer au patient, choisissez « dossier du patient » : son adresse ne "
            "figure jamais parmi celles des professionnels.",
            "recipients",
        )
    conversation = export.conversation
    patient = conversation.patient
    if to_patient_record and (patient is None or not patient.is_qualified):
        raise invalid_field(
            "patient_not_qualified",
            "Cette conversation ne concerne pas un patient à l'identité qualifiée (INS "
            "qualifié) : la synthèse ne peut pas être versée à son dossier.",
            "to_patient_record",
        )
    mailbox = _sender_mailbox(user, sender)
    with export.file.open("rb") as handle:
        pdf = handle.read()
    document = PdfDocument(
        pdf=pdf,
        title=SYNTHESIS_TITLE,
        type_code=SYNTHESIS_TYPE_CODE,
        type_display="Synthèse médicale",
        service_start=conversation.created_at,
        reference=export.document_id,
    )
    with transaction.atomic():
        # The conversation keeps a trace everyone sees (its row is locked first: backend/locks.py
        # puts conversations before MSSanté mails); a refused send rolls it back with the rest.
        post_system_message(
            conversation.pk, _sent_text(user, export, recipients, to_patient_record)
        )
        queued = send_pdf(
            document,
            actor=user,
            sender_mailbox=mailbox,
            text=(
                f"Veuillez trouver ci-joint la synthèse de conversation {export.document_id}.\n"
                f"{user.display_name}"
            ),
            patient=patient,
            professionals=recipients,
            to_patient_record=to_patient_record,
            related_object=(RELATED_TYPE, export.pk),
            # The DMP visibility travels in the XDM to the record; default by patient (minor).
            record_visibility=(visibility or default_visibility(patient)) if patient else None,
        )
        for q in queued:
            audit_export(
                "export.sent",
                user,
                export,
                conversation,
                message=str(q.message.pk),
                recipients=1 if q.to_patient_record else len(recipients),
                patient_record=q.to_patient_record,
            )
    return [q.message.pk for q in queued]
