"""Health documents: from a PDF and the platform's records to the CDA + XDM mail parts.

Only a patient with a qualified identity (QUAL) may be the subject of a health document: the
CDA and the XDM metadata carry the INS. The author must have an RPPS (national id "8" + RPPS)
and the custodian is the organisation that keeps the patient record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from backend.accounts.models import Organization, Professional
from backend.api.errors import ApiError
from backend.mssante.cda import build_cda_n1
from backend.mssante.identities import (
    AuthorIdentity,
    OrganizationIdentity,
    PatientIdentity,
    new_oid,
)
from backend.mssante.mime import MimeAttachment, health_document_attachments
from backend.mssante.naming import ddm_subject, pdf_file_name
from backend.mssante.xdm import XdmDocument, build_xdm_zip
from backend.patients.models import Patient

__all__ = [
    "ComposedDocument",
    "HealthDocument",
    "author_identity",
    "compose_health_document",
    "patient_identity",
]


@dataclass(frozen=True)
class HealthDocument:
    """A PDF about one patient, to send as a health document (PDF + ``IHE_XDM.ZIP``).

    ``type_code`` is the LOINC document type (e.g. ``11488-4`` consultation note, ``11490-0``
    discharge letter); ``author`` defaults to the sender's professional profile; ``dossier``
    (the record reference in the PDF file name) defaults to the start of the patient id.
    """

    pdf: bytes
    title: str
    type_code: str
    patient: Patient
    type_display: str = ""
    author: Professional | None = None
    dossier: str = ""
    effective_time: datetime | None = None
    confidentiality: str = "N"


@dataclass(frozen=True)
class ComposedDocument:
    attachments: list[MimeAttachment]
    subject: str
    cda_code: str


def _invalid(code: str, message: str) -> ApiError:
    return ApiError(code, message, fields={"health_document": [message]})


def patient_identity(patient: Patient) -> PatientIdentity:
    """The INS and strict traits of a QUAL patient; ``ApiError`` otherwise."""
    if not patient.is_qualified:
        raise _invalid(
            "patient_not_qualified",
            "L'identité du patient n'est pas qualifiée (INS qualifié requis) : aucun document de "
            "santé ne peut lui être rattaché.",
        )
    try:
        return PatientIdentity(
            ins=patient.ins,
            ins_oid=patient.ins_oid,
            birth_name=patient.birth_name,
            first_names=tuple(patient.first_names),
            birth_date=patient.birth_date,
            sex=patient.sex,  # type: ignore[arg-type]
            birth_place=patient.birth_place,
        )
    except ValueError as exc:
        raise _invalid(
            "patient_identity_incomplete",
            f"L'identité du patient est incomplète pour un document de santé ({exc}).",
        ) from exc


def author_identity(professional: Professional | None) -> AuthorIdentity:
    if professional is None or not professional.rpps:
        raise _invalid(
            "document_author_invalid",
            "L'auteur d'un document de santé doit être un professionnel identifié par son RPPS.",
        )
    return AuthorIdentity(
        rpps=professional.rpps,
        family_name=professional.family_name,
        given_name=professional.given_name,
        profession_code=professional.profession_code or "10",
        profession_label=professional.profession_label,
    )


def organization_identity(organization: Organization) -> OrganizationIdentity:
    return OrganizationIdentity(finess=organization.finess, name=organization.name)


def compose_health_document(
    document: HealthDocument, *, author: Professional | None, subject_label: str
) -> ComposedDocument:
    """The PDF and XDM parts, and the ``XDM/1.0/DDM+<label> NOM prénom JJ/MM/AAAA`` subject."""
    patient = document.patient
    ident = patient_identity(patient)
    writer = author_identity(document.author or author)
    moment = document.effective_time or timezone.now()
    document_id = new_oid()
    try:
        cda = build_cda_n1(
            document.pdf,
            document_id=document_id,
            title=document.title,
            type_code=document.type_code,
            type_display=document.type_display or document.title,
            effective_time=moment,
            patient=ident,
            author=writer,
            custodian=organization_identity(patient.organization),
            confidentiality=document.confidentiality,
        )
        xdm = build_xdm_zip(
            [
                XdmDocument(
                    cda=cda,
                    document_id=document_id,
                    title=document.title,
                    type_code=document.type_code,
                    type_display=document.type_display or document.title,
                    confidentiality=document.confidentiality,
                )
            ],
            submission_id=new_oid(),
            patient=ident,
            author=writer,
            title=document.title,
            created=moment,
        )
        pdf_name = pdf_file_name(
            timezone.localdate(moment),
            document.type_display or document.title,
            ident.birth_name,
            ident.first_name,
            document.dossier or patient.pk.hex[:8],
        )
    except ValueError as exc:
        raise _invalid("health_document_invalid", f"Document de santé invalide : {exc}.") from exc
    label = " ".join(subject_label.split()) or document.title
    return ComposedDocument(
        attachments=health_document_attachments(document.pdf, pdf_name, xdm),
        subject=ddm_subject(label, ident.birth_name, ident.first_name, ident.birth_date),
        cda_code=document.type_code,
    )
