"""Conversation syntheses: request one, render it (Celery task), download it, send it over MSSanté.

Who: clinical roles only (billing staff get 403, like every conversation endpoint), and only the
conversation's current participants (404 for anyone else, whether the export exists or not).
Each state change writes its audit event in its transaction (never the health content); the
rendering task and the WebSocket frames run after commit.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Mailbox, Professional, User
from backend.accounts.people import people_by_id
from backend.api.errors import ApiError, Conflict, NotFound
from backend.audit import log as audit
from backend.mssante.access import access_sender_mailbox
from backend.mssante.actions import HealthDocument, MimeAttachment, queue_message
from backend.patients.models import Patient
from conversations import events
from conversations.access import access_conversation, conversations_for
from conversations.actions import require_clinician
from conversations.models import Attachment, Conversation, Message, Participant, ReadState
from conversations.models_exports import Export
from conversations.synthesis_pdf import (
    AttachmentInfo,
    MessageData,
    Person,
    ReadMark,
    SynthesisData,
    render,
)

logger = logging.getLogger(__name__)
Json = dict[str, Any]

RELATED_TYPE = "conversations.export"
# LOINC 34133-9 "Summary of episode note" (synthèse) as the CDA/XDM document type.
SYNTHESIS_TYPE_CODE = "34133-9"
SYNTHESIS_TITLE = "Synthèse de conversation"
# The task stores its progress at most this often (in percent), not at every message.
PROGRESS_STEP = 10


# --- Access ----------------------------------------------------------------------------------
def access_export_conversation(user: Any, conversation_id: Any) -> Conversation:
    """A conversation the user may export: 403 for non-clinical roles, 404 for non-participants."""
    require_clinician(user)
    return access_conversation(user, conversation_id)


def access_export(user: Any, export_id: Any) -> Export:
    """The export if `user` (clinical role) takes part in its conversation; one 404 otherwise."""
    require_clinician(user)
    try:
        key = uuid.UUID(str(export_id))
    except ValueError as exc:
        raise NotFound("Export introuvable.") from exc
    export = (
        Export.objects.select_related("conversation__patient")
        .filter(pk=key, conversation__in=conversations_for(user))
        .first()
    )
    if export is None:
        raise NotFound("Export introuvable.")
    return export


# --- Representation and frames ----------------------------------------------------------------
def download_path(export: Export) -> str:
    return f"/api/exports/{export.pk}/download"


def export_json(export: Export) -> Json:
    done = export.status == Export.Status.DONE
    return {
        "id": str(export.pk),
        "conversation": str(export.conversation_id),
        "status": export.status,
        "progress": export.progress,
        "from_seq": export.from_seq,
        "to_seq": export.to_seq,
        "document_id": export.document_id,
        "download": download_path(export) if done else None,
        "sha256": export.sha256 or None,
        "error": export.error or None,
        "created_at": export.created_at.isoformat(),
        "finished_at": export.finished_at.isoformat() if export.finished_at else None,
    }


def export_updated(export: Json) -> Json:
    """Server -> client frame: the requester's export changed (progress, done, failed)."""
    return {"type": "export.updated", "export": export}


def _notify(export: Export) -> None:
    events.send_event_on_commit([export.requested_by_id], export_updated(export_json(export)))


def _audit(verb: str, actor: Any, export: Export, conversation: Conversation, **data: Any) -> None:
    audit.record(
        verb,
        actor=actor,
        obj=export,
        patient_id=conversation.patient_id,
        organization=conversation.patient.organization if conversation.patient else None,
        data={"conversation": str(conversation.pk), **data},
    )


# --- Request ---------------------------------------------------------------------------------
def _check_range(from_seq: int | None, to_seq: int | None, last_seq: int) -> None:
    def refuse(field: str, message: str) -> ApiError:
        return ApiError("invalid_range", message, fields={field: [message]})

    if from_seq is not None and from_seq < 1:
        raise refuse("from_seq", "Le premier message doit être numéroté 1 ou plus.")
    if to_seq is not None and to_seq < 1:
        raise refuse("to_seq", "Le dernier message doit être numéroté 1 ou plus.")
    if from_seq is not None and to_seq is not None and from_seq > to_seq:
        raise refuse("to_seq", "Le dernier message précède le premier.")
    if from_seq is not None and from_seq > last_seq:
        raise refuse("from_seq", "La conversation ne compte pas autant de messages.")


@transaction.atomic
def request_synthesis(
    user: User, conversation_id: Any, from_seq: int | None = None, to_seq: int | None = None
) -> Export:
    """Queue the synthesis of a conversation (or of a range of its messages) for `user`."""
    conversation = access_export_conversation(user, conversation_id)
    _check_range(from_seq, to_seq, conversation.last_seq)
    export_id = uuid.uuid4()
    export = Export.objects.create(
        id=export_id,
        conversation=conversation,
        requested_by=user,
        from_seq=from_seq,
        to_seq=to_seq,
        document_id=f"SYN-{timezone.localdate():%Y%m%d}-{export_id.hex[:12].upper()}",
    )
    _audit(
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
    from conversations.tasks import render_synthesis

    try:
        render_synthesis.delay(str(export_id))
    except Exception:
        # The export stays "queued"; a new request or a re-run of the task renders it.
        logger.exception("synthesis: could not schedule export %s", export_id)


# --- From the database to the renderer's plain data -------------------------------------------
def _patient_lines(patient: Patient) -> list[tuple[str, str]]:
    sex = {"F": "Féminin", "M": "Masculin"}.get(patient.sex, patient.sex)
    rows = [
        ("Nom de naissance", patient.birth_name.upper()),
        ("Prénom(s)", " ".join(patient.first_names)),
        ("Date de naissance", f"{patient.birth_date:%d/%m/%Y}"),
        ("Sexe", sex),
        ("Statut de l'identité", patient.get_identity_status_display()),
    ]
    if patient.used_name:
        rows.insert(1, ("Nom utilisé", patient.used_name))
    if patient.is_qualified:
        rows.append(("INS (matricule)", patient.ins))
    return rows


def _participants(conversation: Conversation) -> list[Person]:
    active = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .select_related("mailbox__organization")
        .order_by("joined_at")
    )
    user_ids = [p.user_id for p in active if p.user_id]
    people = people_by_id(user_ids)
    rpps = dict(Professional.objects.filter(user_id__in=user_ids).values_list("user_id", "rpps"))
    result: list[Person] = []
    for p in active:
        if p.user_id:
            info = people.get(str(p.user_id), {})
            result.append(
                Person(
                    name=info.get("display_name", ""),
                    profession=info.get("profession_label", ""),
                    organization=info.get("organization") or "",
                    rpps=rpps.get(p.user_id, "") or "",
                )
            )
        elif p.mailbox is not None:
            result.append(
                Person(
                    name=p.mailbox.display_name or p.mailbox.address,
                    profession="Équipe (BAL organisationnelle)",
                    organization=p.mailbox.organization.name if p.mailbox.organization else "",
                )
            )
    return result


def synthesis_data(export: Export) -> SynthesisData:
    """A fixed number of queries, whatever the number of messages."""
    conversation = export.conversation
    messages = Message.objects.filter(conversation=conversation).order_by("seq")
    if export.from_seq is not None:
        messages = messages.filter(seq__gte=export.from_seq)
    if export.to_seq is not None:
        messages = messages.filter(seq__lte=export.to_seq)
    rows = list(
        messages.values_list("pk", "seq", "kind", "sender_id", "body", "created_at", "deleted_at")
    )
    files: dict[uuid.UUID, list[AttachmentInfo]] = {}
    # By join, not by a list of ids: a long conversation would exceed SQL parameter limits.
    attachments = Attachment.objects.filter(message__conversation=conversation)
    if export.from_seq is not None:
        attachments = attachments.filter(message__seq__gte=export.from_seq)
    if export.to_seq is not None:
        attachments = attachments.filter(message__seq__lte=export.to_seq)
    for message_id, file_name, size, digest in attachments.order_by("created_at").values_list(
        "message_id", "name", "size", "sha256"
    ):
        files.setdefault(message_id, []).append(AttachmentInfo(file_name, size, digest))
    reads = list(ReadState.objects.filter(conversation=conversation))
    people = people_by_id(
        {r[3] for r in rows if r[3]} | {r.user_id for r in reads} | {export.requested_by_id}
    )

    def name(user_id: Any) -> str:
        return str(people.get(str(user_id), {}).get("display_name", "")) if user_id else ""

    title = conversation.title or "Conversation"
    if conversation.patient is not None:
        title = f"{title} — {conversation.patient.display_name}"
    return SynthesisData(
        document_id=export.document_id,
        title=f"{SYNTHESIS_TITLE} : {title}",
        generated_at=timezone.now(),
        participants=_participants(conversation),
        messages=[
            MessageData(
                seq=seq,
                author=name(sender_id),
                created_at=created_at,
                body=body,
                attachments=tuple(files.get(pk, ())),
                deleted=deleted_at is not None,
                system=kind == Message.Kind.SYSTEM,
            )
            for pk, seq, kind, sender_id, body, created_at, deleted_at in rows
        ],
        patient=_patient_lines(conversation.patient) if conversation.patient else (),
        reads=[ReadMark(name(r.user_id), r.last_read_seq) for r in reads],
        from_seq=export.from_seq,
        to_seq=export.to_seq,
        requested_by=name(export.requested_by_id),
    )


# --- Rendering (called by the Celery task) -----------------------------------------------------
def _claim(export_id: str) -> Export | None:
    """Mark the export running; None when there is nothing to do (missing or already done)."""
    with transaction.atomic():
        export = (
            Export.objects.select_for_update(of=("self",))
            .select_related("conversation__patient")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.status == Export.Status.DONE:
            return None
        export.status, export.progress, export.error = Export.Status.RUNNING, 0, ""
        export.save(update_fields=["status", "progress", "error"])
        _notify(export)
        return export


def render_export(export_id: str) -> str:
    """Render and store the PDF of `export_id`; idempotent (a done export is left as it is).

    The PDF is built outside any transaction (slow); progress is saved every PROGRESS_STEP %.
    """
    export = _claim(export_id)
    if export is None:
        return "skipped"
    try:
        data = synthesis_data(export)
        stored = {"progress": 0}

        def progress(percent: int) -> None:
            if percent - stored["progress"] >= PROGRESS_STEP:
                stored["progress"] = percent
                Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING).update(
                    progress=percent
                )
                export.progress = percent
                _notify(export)

        rendered = render(data, progress)
    except Exception as exc:
        # Logged with the export id only: messages are health data and never reach the logs.
        logger.exception("synthesis: rendering of export %s failed", export_id)
        code = "render_timeout" if type(exc).__name__ == "SoftTimeLimitExceeded" else ""
        _finish_failed(export.pk, code or "render_failed")
        return "failed"
    return _finish_done(export.pk, rendered.pdf, rendered.sha256, rendered.content_sha256)


@transaction.atomic
def _finish_done(export_id: uuid.UUID, pdf: bytes, sha256: str, content_sha256: str) -> str:
    export = (
        Export.objects.select_for_update(of=("self",))
        .select_related("conversation__patient")
        .get(pk=export_id)
    )
    if export.status == Export.Status.DONE:  # a concurrent run finished first
        return "skipped"
    export.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(pdf), save=False)
    export.sha256, export.content_sha256 = sha256, content_sha256
    export.status, export.progress, export.error = Export.Status.DONE, 100, ""
    export.finished_at = timezone.now()
    export.save(
        update_fields=[
            "file",
            "sha256",
            "content_sha256",
            "status",
            "progress",
            "error",
            "finished_at",
        ]
    )
    _audit("export.rendered", None, export, export.conversation, size=len(pdf))
    _notify(export)
    return "done"


@transaction.atomic
def _finish_failed(export_id: uuid.UUID, code: str) -> None:
    export = (
        Export.objects.select_for_update(of=("self",))
        .select_related("conversation__patient")
        .get(pk=export_id)
    )
    if export.status == Export.Status.DONE:
        return
    export.status, export.error, export.finished_at = Export.Status.FAILED, code, timezone.now()
    export.save(update_fields=["status", "error", "finished_at"])
    _audit("export.failed", None, export, export.conversation, error=code)
    _notify(export)


# --- Download ----------------------------------------------------------------------------------
def open_download(user: User, export_id: Any) -> tuple[Export, Any]:
    """The export and its open file; audited as a read when the conversation has a patient."""
    export = access_export(user, export_id)
    if export.status != Export.Status.DONE or not export.file:
        raise Conflict("export_not_ready", "La synthèse n'est pas encore prête.")
    handle = export.file.open("rb")
    if export.conversation.patient_id is not None:
        with transaction.atomic():
            _audit("export.downloaded", user, export, export.conversation)
    return export, handle


# --- Sending over MSSanté ---------------------------------------------------------------------
def _sender_mailbox(user: User, address: str | None) -> Mailbox:
    if address:
        return access_sender_mailbox(user, address)
    mailbox = (
        Mailbox.objects.filter(kind=Mailbox.Kind.PERSONAL, professional__user=user, active=True)
        .order_by("created_at")
        .first()
    )
    if mailbox is None:
        raise Conflict(
            "no_mssante_mailbox",
            "Vous n'avez pas de BAL MSSanté personnelle active : choisissez une BAL d'envoi.",
        )
    return mailbox


def _refuse(code: str, message: str, field: str) -> ApiError:
    return ApiError(code, message, fields={field: [message]})


def send_export(
    user: User,
    export_id: Any,
    recipients: list[str],
    to_patient_record: bool,
    sender: str | None = None,
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
        raise _refuse(
            "recipients_required",
            "Choisissez au moins un destinataire ou le dossier du patient.",
            "recipients",
        )
    if any(a.endswith("@patient.mssante.fr") for a in recipients):
        raise _refuse(
            "patient_address_in_recipients",
            "Pour envoyer au patient, choisissez « dossier du patient » : son adresse ne "
            "figure jamais parmi celles des professionnels.",
            "recipients",
        )
    conversation = export.conversation
    patient = conversation.patient
    if to_patient_record and (patient is None or not patient.is_qualified):
        raise _refuse(
            "patient_not_qualified",
            "Cette conversation ne concerne pas un patient à l'identité qualifiée (INS "
            "qualifié) : la synthèse ne peut pas être versée à son dossier.",
            "to_patient_record",
        )
    mailbox = _sender_mailbox(user, sender)
    with export.file.open("rb") as handle:
        pdf = handle.read()
    document = (
        HealthDocument(
            pdf=pdf,
            title=SYNTHESIS_TITLE,
            type_code=SYNTHESIS_TYPE_CODE,
            type_display="Synthèse",
            patient=patient,
            dossier=export.document_id,
        )
        if patient is not None and patient.is_qualified
        else None
    )
    common: Json = {
        "actor": user,
        "sender_mailbox": mailbox,
        "subject": f"{SYNTHESIS_TITLE} {export.document_id}",
        "text": (
            f"Veuillez trouver ci-joint la synthèse de conversation {export.document_id}.\n"
            f"{user.display_name}"
        ),
        "related_object": (RELATED_TYPE, export.pk),
        "patient": patient,
    }
    sent: list[uuid.UUID] = []
    with transaction.atomic():
        if recipients:
            attachments = (
                []
                if document is not None
                else [MimeAttachment(f"{export.document_id}.pdf", "application/pdf", pdf)]
            )
            message = queue_message(
                recipients=recipients, attachments=attachments, health_document=document, **common
            )
            sent.append(message.pk)
            _audit(
                "export.sent",
                user,
                export,
                conversation,
                message=str(message.pk),
                recipients=len(recipients),
                patient_record=False,
            )
        if to_patient_record and patient is not None and patient.mssante_address:
            message = queue_message(
                recipients=[patient.mssante_address], health_document=document, **common
            )
            sent.append(message.pk)
            _audit(
                "export.sent",
                user,
                export,
                conversation,
                message=str(message.pk),
                recipients=1,
                patient_record=True,
            )
    return sent
