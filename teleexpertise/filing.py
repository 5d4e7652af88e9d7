"""Sending the filed report over MSSanté: the one place that calls the MSSanté module.

Two mails, both stored in the caller's transaction and sent by the Celery task after commit:
- to the requester and the patient's referring doctor (their personal mailboxes);
- to the patient's own address (the DMP feed), only when the identity is qualified. One patient
  per mail, and a patient address never shares a mail with professionals' addresses.
With a qualified identity both carry the PDF as a health document (PDF + CDA in IHE_XDM.ZIP);
otherwise the professionals get the PDF as a plain attachment.
"""

from __future__ import annotations

from backend.accounts.models import Mailbox, Professional
from backend.api.errors import ApiError
from backend.mssante.actions import HealthDocument, MimeAttachment, queue_message
from backend.mssante.models import OutboundMessage
from teleexpertise.models import TeleexpertiseRequest

RELATED_TYPE = "teleexpertise.request"
# LOINC 11488-4 "Consult note": the document type of a teleexpertise report.
REPORT_TYPE_CODE = "11488-4"
REPORT_TITLE = "Compte rendu de téléexpertise"


def personal_mailbox(professional: Professional | None) -> Mailbox | None:
    if professional is None:
        return None
    return (
        Mailbox.objects.filter(kind=Mailbox.Kind.PERSONAL, professional=professional, active=True)
        .order_by("created_at")
        .first()
    )


def _sender(request: TeleexpertiseRequest) -> Mailbox:
    mailbox = personal_mailbox(getattr(request.expert, "professional", None))
    if mailbox is None:
        raise ApiError(
            "no_mssante_mailbox",
            "Vous n'avez pas de BAL MSSanté personnelle active : le compte rendu ne peut pas être "
            "envoyé.",
            status_code=409,
        )
    return mailbox


def professional_recipients(request: TeleexpertiseRequest) -> list[str]:
    people = [getattr(request.requester, "professional", None), request.patient.referring_doctor]
    addresses: list[str] = []
    for professional in people:
        mailbox = personal_mailbox(professional)
        if mailbox is not None and mailbox.address not in addresses:
            addresses.append(mailbox.address)
    return addresses


def send_report(request: TeleexpertiseRequest, pdf: bytes) -> list[OutboundMessage]:
    """Queue the report mails; the caller holds the transaction (nothing sent on rollback)."""
    sender = _sender(request)
    patient = request.patient
    text = (
        f"Veuillez trouver ci-joint le compte rendu de la téléexpertise {request.reference}.\n"
        f"{request.expert.display_name}"
    )
    document = (
        HealthDocument(
            pdf=pdf,
            title=REPORT_TITLE,
            type_code=REPORT_TYPE_CODE,
            type_display="Compte rendu de téléexpertise",
            patient=patient,
            dossier=request.reference,
        )
        if patient.is_qualified
        else None
    )
    common = {
        "actor": request.expert,
        "sender_mailbox": sender,
        "subject": f"{REPORT_TITLE} {request.reference}",
        "text": text,
        "related_object": (RELATED_TYPE, request.pk),
        "patient": patient,
    }
    sent: list[OutboundMessage] = []
    professionals = professional_recipients(request)
    if professionals:
        attachments = (
            []
            if document is not None
            else [MimeAttachment(f"{request.reference}.pdf", "application/pdf", pdf)]
        )
        sent.append(
            queue_message(
                recipients=professionals,
                attachments=attachments,
                health_document=document,
                **common,  # type: ignore[arg-type]
            )
        )
    if document is not None and patient.mssante_address:
        sent.append(
            queue_message(
                recipients=[patient.mssante_address],
                health_document=document,
                **common,  # type: ignore[arg-type]
            )
        )
    return sent
