"""Health documents: from a PDF and the platform's records to the CDA + XDM mail parts.

Only a patient with a qualified identity (QUAL) may be the subject of a health document: the
CDA and the XDM metadata carry the INS. The author must have an RPPS (national id "8" + RPPS)
and acts for one of their organisations (FINESS), which is also the document's custodian.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from backend.accounts.models import Organization, Professional
from backend.errors import DomainError
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
    # The author's DMP visibility choice (backend.mssante.jdv.VISIBILITY_CODES).
    visibility: str = "normal"
    # Where the act started (the request, the conversation); "VR" for teleexpertise.
    service_start: datetime | None = None
    encounter_code: str = "AMB"
    # The structure the author acts for; default: their first clinical organisation.
    organization: Organization | None = None


@dataclass(frozen=True)
class ComposedDocument:
    attachments: list[MimeAttachment]
    subject: str
    cda_code: str


ADULT_AGE = 18


def is_minor(patient: Patient, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    born = patient.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < ADULT_AGE


def default_visibility(patient: Patient) -> str:
    """The DMP visibility proposed for a document about ``patient``: normal for an adult; for a
    minor ``settings.DMP_MINOR_DEFAULT_VISIBILITY`` (default: hidden from the legal
    representatives, the minor's right to secrecy, art. L1111-5 CSP; *unverified* as what the
    DMP expects by default, hence the setting). The author confirms or changes it."""
    if is_minor(patient):
        return str(settings.DMP_MINOR_DEFAULT_VISIBILITY)
    return "normal"


def _invalid(code: str, message: str) -> DomainError:
    return DomainError(code, message, fields={"health_document": [message]})


def patient_identity(patient: Patient) -> PatientIdentity:
    """The INS and strict traits of a QUAL patient; ``DomainError`` otherwise."""
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


def _author_organization(
    professional: Professional, preferred: Organization | None
) -> Organization:
    if preferred is not None:
        return preferred
    # A hospital first (the expert's, for a teleexpertise report), then by name: stable.
    memberships = sorted(
        professional.memberships.select_related("organization"),
        key=lambda m: (m.organization.kind != Organization.Kind.HOSPITAL, m.organization.name),
    )
    membership = memberships[0] if memberships else None
    if membership is None:
        raise _invalid(
            "document_author_invalid",
            "L'auteur d'un document de santé doit exercer dans une structure (FINESS).",
        )
    return membership.organization


def author_identity(
    professional: Professional | None, organization: Organization | None = None
) -> AuthorIdentity:
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
        specialty=professional.specialty,
        organization=organization_identity(_author_organization(professional, organization)),
    )


def organization_identity(organization: Organization) -> OrganizationIdentity:
    return OrganizationIdentity(
        finess=organization.finess, name=organization.name, kind=organization.kind
    )


def compose_health_document(
    document: HealthDocument, *, author: Professional | None, subject_label: str
) -> ComposedDocument:
    """The PDF and XDM parts, and the ``XDM/1.0/DDM+<label> NOM prénom JJ/MM/AAAA`` subject."""
    patient = document.patient
    ident = patient_identity(patient)
    writer = author_identity(document.author or author, document.organization)
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
            confidentiality=document.confidentiality,
            service_start=document.service_start,
            encounter_code=document.encounter_code,
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
                    visibility=document.visibility,
                    service_start=document.service_start,
                    service_stop=moment,
                )
            ],
            submission_id=new_oid(),
            patient=ident,
            author=writer,
            title=document.title,
            created=moment,
            source_id=str(settings.XDM_SOURCE_OID),
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
