"""Rendering a synthesis (run by the Celery task): the database read into the renderer's plain
data, then the PDF built outside any transaction and stored. Idempotent: a done export is skipped.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Professional
from backend.accounts.people import people_by_id
from backend.patients.models import Patient
from conversations.models import (
    Attachment,
    Conversation,
    Message,
    MessageAcknowledgement,
    Participant,
    ReadState,
)
from conversations.syntheses.models import Export
from conversations.syntheses.pdf import (
    PARIS,
    AttachmentInfo,
    MessageData,
    Person,
    ReadMark,
    SynthesisData,
    render,
)
from conversations.syntheses.representations import audit_export, notify

logger = logging.getLogger(__name__)

SYNTHESIS_TITLE = "Synthèse de conversation"
# The task stores its progress at most this often (in percent), not at every message.
PROGRESS_STEP = 10


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


def between(names: list[str]) -> str:
    """A title for a conversation without one: « Échanges entre Dr A et Dr B »."""
    names = [n for n in names if n]
    if not names:
        return "Conversation"
    if len(names) > 4:
        names = [*names[:3], f"{len(names) - 3} autres participants"]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} et {names[-1]}"
    return f"Échanges entre {listed}"


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
            info = people.get(str(p.user_id))
            result.append(
                Person(
                    name=info["display_name"] if info else "",
                    profession=info["profession_label"] if info else "",
                    organization=(info["organization"] if info else None) or "",
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


def _acknowledgements(conversation: Conversation, export: Export) -> dict[Any, list[Any]]:
    """« Pris en compte » of the exported urgent messages: message id -> [(user, when)]."""
    found = MessageAcknowledgement.objects.filter(
        message__conversation=conversation, message__urgent=True
    )
    if export.from_seq is not None:
        found = found.filter(message__seq__gte=export.from_seq)
    if export.to_seq is not None:
        found = found.filter(message__seq__lte=export.to_seq)
    acks: dict[Any, list[Any]] = {}
    for message_id, user_id, at in found.order_by("acknowledged_at").values_list(
        "message_id", "user_id", "acknowledged_at"
    ):
        acks.setdefault(message_id, []).append((user_id, at))
    return acks


def _labels(
    urgent: bool, forwarded: bool, reply_seq: int | None, acks: list[Any], name: Any
) -> tuple[str, ...]:
    """The markers printed after a message's time: a record of what it was."""
    labels = []
    if reply_seq is not None:
        labels.append(f"réponse au n° {reply_seq}")
    if forwarded:
        labels.append("transféré")
    if urgent:
        done = ", ".join(f"{name(u)} le {at.astimezone(PARIS):%d/%m/%Y à %H:%M}" for u, at in acks)
        labels.append(
            f"urgent, pris en compte par {done}" if done else "urgent, non pris en compte"
        )
    return tuple(labels)


def synthesis_data(export: Export) -> SynthesisData:
    """A fixed number of queries, whatever the number of messages."""
    conversation = export.conversation
    messages = Message.objects.filter(conversation=conversation).order_by("seq")
    if export.from_seq is not None:
        messages = messages.filter(seq__gte=export.from_seq)
    if export.to_seq is not None:
        messages = messages.filter(seq__lte=export.to_seq)
    rows = list(
        messages.values_list(
            "pk",
            "seq",
            "kind",
            "sender_id",
            "body",
            "created_at",
            "deleted_at",
            "edited_at",
            "urgent",
            "forwarded",
            "reply_to__seq",
        )
    )
    acks = _acknowledgements(conversation, export)
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
        {r[3] for r in rows if r[3]}
        | {r.user_id for r in reads}
        | {user for found in acks.values() for user, _ in found}
        | {export.requested_by_id}
    )

    def name(user_id: Any) -> str:
        info = people.get(str(user_id)) if user_id else None
        return info["display_name"] if info else ""

    participants = _participants(conversation)
    title = conversation.title or between([p.name for p in participants])
    if conversation.patient is not None:
        title = f"{title} — {conversation.patient.display_name}"
    return SynthesisData(
        document_id=export.document_id,
        title=f"{SYNTHESIS_TITLE} : {title}",
        generated_at=timezone.now(),
        participants=participants,
        messages=[
            MessageData(
                seq=seq,
                author=name(sender_id),
                created_at=created_at,
                body=body,
                attachments=tuple(files.get(pk, ())),
                deleted=deleted_at is not None,
                system=kind == Message.Kind.SYSTEM,
                edited_at=edited_at,
                labels=_labels(urgent, forwarded, reply_seq, acks.get(pk, []), name),
            )
            for (
                pk,
                seq,
                kind,
                sender_id,
                body,
                created_at,
                deleted_at,
                edited_at,
                urgent,
                forwarded,
                reply_seq,
            ) in rows
        ],
        patient=_patient_lines(conversation.patient) if conversation.patient else (),
        reads=[ReadMark(name(r.user_id), r.last_read_seq) for r in reads],
        from_seq=export.from_seq,
        to_seq=export.to_seq,
        requested_by=name(export.requested_by_id),
    )


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
        notify(export)
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
                notify(export)

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
    audit_export("export.rendered", None, export, export.conversation, size=len(pdf))
    notify(export)
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
    audit_export("export.failed", None, export, export.conversation, error=code)
    notify(export)
