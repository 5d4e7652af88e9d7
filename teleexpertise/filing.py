"""Sending the filed report over MSSanté: the one place that calls the MSSanté module, through
its one door for a PDF (backend/mssante/pdf_mail.send_pdf, shared with the synthesis).

Two mails, both stored in the caller's transaction and sent by the Celery task after commit:
- to the requester and the patient's referring doctor (their personal mailboxes), and to the
  application mailbox (APP) of the expert's hospital that feeds its patient record (DPI);
- to the patient's own address (the DMP feed), only when the identity is qualified. One patient
  per mail, and a patient address never shares a mail with professionals' addresses.
With a qualified identity both carry the PDF as a health document (PDF + CDA in IHE_XDM.ZIP);
otherwise the professionals get the PDF as a plain attachment.
"""

from __future__ import annotations

from typing import Any

from backend.accounts.models import Mailbox, Membership, Organization
from backend.errors import DomainError, Kind
from backend.mssante.documents import default_visibility as default_visibility
from backend.mssante.documents import is_minor
from backend.mssante.models import OutboundMessage, OutboundRecipient
from backend.mssante.pdf_mail import PdfDocument, personal_mailbox, send_pdf
from backend.patients.models import Patient
from teleexpertise.models import TeleexpertiseRequest

RELATED_TYPE = "teleexpertise.request"
# LOINC 85208-7 "CR de télémédecine" (JDV_J07): the document type of a teleexpertise report.
REPORT_TYPE_CODE = "85208-7"
REPORT_TITLE = "Compte rendu de téléexpertise"


# The DMP visibility of the document (the patient's care record): normal, hidden from the
# patient until a consultation announces it, or masked to the other professionals.
VISIBILITY_NORMAL = "normal"
VISIBILITIES = {
    VISIBILITY_NORMAL: "Visible par le patient et les professionnels autorisés",
    "invisible_patient": "Non visible par le patient (en attente d'une consultation d'annonce)",
    "masked_professionals": "Masqué aux autres professionnels de santé",
    "invisible_representatives": "Non visible par les représentants légaux du patient",
}


VISIBILITY_REPRESENTATIVES = "invisible_representatives"


def visibilities_for(patient: Patient) -> dict[str, str]:
    """The choices offered: « invisible aux représentants légaux » only for a minor."""
    if is_minor(patient):
        return dict(VISIBILITIES)
    return {k: v for k, v in VISIBILITIES.items() if k != VISIBILITY_REPRESENTATIVES}


def check_visibility(value: str) -> str:
    if value not in VISIBILITIES:
        message = "Choix de visibilité dans le DMP inconnu."
        raise DomainError("invalid", message, fields={"visibility": [message]})
    return value


def _sender(request: TeleexpertiseRequest) -> Mailbox:
    mailbox = personal_mailbox(getattr(request.expert, "professional", None))
    if mailbox is None:
        raise DomainError(
            "no_mssante_mailbox",
            "Vous n'avez pas de BAL MSSanté personnelle active : le compte rendu ne peut pas être "
            "envoyé.",
            Kind.CONFLICT,
        )
    return mailbox


def dpi_mailbox(request: TeleexpertiseRequest) -> Mailbox | None:
    """The APP mailbox of the expert's hospital, through which its patient record (DPI) files
    what it receives; None when the hospital has none."""
    expert = getattr(request.expert, "professional", None)
    if expert is None:
        return None
    hospitals = Membership.objects.filter(
        professional=expert, organization__kind=Organization.Kind.HOSPITAL
    ).values("organization_id")
    return (
        Mailbox.objects.filter(
            kind=Mailbox.Kind.APPLICATION, organization_id__in=hospitals, active=True
        )
        .order_by("created_at")
        .first()
    )


def planned_recipients(request: TeleexpertiseRequest) -> list[dict[str, Any]]:
    """Where the report will go, in the order shown to the expert before filing."""
    planned: list[dict[str, Any]] = []
    roles = [
        ("requester", "Demandeur", getattr(request.requester, "professional", None)),
        ("referring_doctor", "Médecin traitant", request.patient.referring_doctor),
    ]
    for role, label, professional in roles:
        mailbox = personal_mailbox(professional)
        if mailbox is not None and all(p["address"] != mailbox.address for p in planned):
            assert professional is not None
            planned.append(
                {
                    "role": role,
                    "label": label,
                    "name": professional.display_name,
                    "address": mailbox.address,
                }
            )
    if (dpi := dpi_mailbox(request)) is not None:
        planned.append(
            {
                "role": "dpi",
                "label": "Dossier patient de l'établissement (DPI)",
                "name": dpi.display_name or dpi.address,
                "address": dpi.address,
            }
        )
    patient = request.patient
    if patient.is_qualified and patient.mssante_address:
        planned.append(
            {
                "role": "patient_record",
                "label": "Dossier médical partagé (DMP) du patient",
                "name": patient.display_name,
                "address": patient.mssante_address,
            }
        )
    return planned


def professional_recipients(request: TeleexpertiseRequest) -> list[str]:
    return [p["address"] for p in planned_recipients(request) if p["role"] != "patient_record"]


def deliveries(request: TeleexpertiseRequest) -> list[dict[str, Any]]:
    """Each recipient's delivery status of the filed report's mails."""
    roles = {p["address"]: p for p in planned_recipients(request)}
    rows = OutboundRecipient.objects.filter(
        message__related_type=RELATED_TYPE, message__related_id=str(request.pk)
    ).order_by("message__created_at", "position")
    result = []
    for row in rows:
        plan = roles.get(row.address, {})
        result.append(
            {
                "address": row.address,
                "role": plan.get("role", "other"),
                "label": plan.get("label", ""),
                "name": plan.get("name", ""),
                # "sending" is an internal claim: the API shows it as still queued.
                "status": "queued" if row.status == row.Status.SENDING else row.status,
                "reason": row.reason or None,
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "read_at": row.read_at.isoformat() if row.read_at else None,
            }
        )
    return result


def send_report(
    request: TeleexpertiseRequest, pdf: bytes, *, visibility: str = VISIBILITY_NORMAL
) -> list[OutboundMessage]:
    """Queue the report mails through the one door for a PDF over MSSanté (pdf_mail.send_pdf);
    the caller holds the transaction (nothing sent on rollback)."""
    sender = _sender(request)
    expert = request.expert
    assert expert is not None  # filing follows the report, written by the request's expert
    document = PdfDocument(
        pdf=pdf,
        title=REPORT_TITLE,
        type_code=REPORT_TYPE_CODE,
        type_display="CR de télémédecine",
        reference=request.reference,
        visibility=visibility,
        service_start=request.created_at,
        encounter_code="VR",  # teleexpertise: an encounter without the patient
    )
    queued = send_pdf(
        document,
        actor=expert,
        sender_mailbox=sender,
        text=(
            f"Veuillez trouver ci-joint le compte rendu de la téléexpertise {request.reference}.\n"
            f"{expert.display_name}"
        ),
        patient=request.patient,
        professionals=professional_recipients(request),
        # A qualified identity with an MSSanté address: the DMP feed gets its own mail.
        to_patient_record=True,
        related_object=(RELATED_TYPE, request.pk),
    )
    return [q.message for q in queued]
