"""One door for a PDF sent over MSSanté: the conversation synthesis and the teleexpertise report
both go through `send_pdf`, with the one lookup of a professional's personal mailbox.

To professionals the PDF travels as a health document (PDF + CDA in IHE_XDM.ZIP) when the
patient's identity is qualified, as a plain attachment otherwise. To the patient's record (the
DMP feed) it goes only as a health document, in a mail of its own: one patient per mail, and a
patient address never shares a mail with professionals' addresses.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from backend.accounts.models import Mailbox, Professional
from backend.mssante.actions import HealthDocument, MimeAttachment, queue_message
from backend.mssante.models import OutboundMessage
from backend.patients.models import Patient


@dataclass(frozen=True)
class PdfDocument:
    pdf: bytes
    title: str  # the document's title, and the subject's start
    type_code: str  # LOINC code of the document type
    type_display: str
    reference: str  # the file's name, the subject's end, the XDM dossier
    visibility: str | None = None  # DMP visibility (default: HealthDocument's, "normal")
    service_start: datetime | None = None  # where the act started (conversation, request)
    encounter_code: str | None = None  # "VR" for teleexpertise (default: HealthDocument's)


@dataclass(frozen=True)
class QueuedPdf:
    message: OutboundMessage
    to_patient_record: bool


def personal_mailbox(professional: Professional | None) -> Mailbox | None:
    """The professional's own (PER) mailbox, the oldest active one."""
    if professional is None:
        return None
    return (
        Mailbox.objects.filter(kind=Mailbox.Kind.PERSONAL, professional=professional, active=True)
        .order_by("created_at")
        .first()
    )


def _health_document(document: PdfDocument, patient: Patient) -> HealthDocument:
    options: dict[str, Any] = {}
    if document.service_start is not None:
        options["service_start"] = document.service_start
    if document.visibility is not None:
        options["visibility"] = document.visibility
    if document.encounter_code is not None:
        options["encounter_code"] = document.encounter_code
    return HealthDocument(
        pdf=document.pdf,
        title=document.title,
        type_code=document.type_code,
        type_display=document.type_display,
        patient=patient,
        dossier=document.reference,
        **options,
    )


def send_pdf(
    document: PdfDocument,
    *,
    actor: Any,
    sender_mailbox: Mailbox,
    text: str,
    patient: Patient | None,
    professionals: list[str],
    to_patient_record: bool,
    related_object: tuple[str, uuid.UUID],
    record_visibility: str | None = None,
) -> list[QueuedPdf]:
    """Queue the mails (all or none); the Celery task sends them after commit.
    `record_visibility`, when given, is the DMP visibility of the mail to the patient's record
    only (the document's own applies to both)."""
    health = _health_document(document, patient) if patient and patient.is_qualified else None
    common: dict[str, Any] = {
        "actor": actor,
        "sender_mailbox": sender_mailbox,
        "subject": f"{document.title} {document.reference}",
        "text": text,
        "related_object": related_object,
        "patient": patient,
    }
    queued: list[QueuedPdf] = []
    with transaction.atomic():
        if professionals:
            plain = [MimeAttachment(f"{document.reference}.pdf", "application/pdf", document.pdf)]
            message = queue_message(
                recipients=professionals,
                attachments=[] if health is not None else plain,
                health_document=health,
                **common,
            )
            queued.append(QueuedPdf(message, to_patient_record=False))
        if to_patient_record and health is not None and patient and patient.mssante_address:
            to_record = health
            if record_visibility is not None:
                to_record = _health_document(
                    dataclasses.replace(document, visibility=record_visibility), patient
                )
            message = queue_message(
                recipients=[patient.mssante_address], health_document=to_record, **common
            )
            queued.append(QueuedPdf(message, to_patient_record=True))
    return queued
