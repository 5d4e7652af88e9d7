"""Generated incoming mail (demo inbox, tests, benchmark): never real patients or professionals.

``health_mail`` builds what a hospital or a laboratory sends: the PDF, its CDA R2 N1 wrapped in
an ``IHE_XDM.ZIP``, the ``XDM/1.0/DDM+`` subject and the ``X-MSS-*`` headers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime

from django.conf import settings
from reportlab.pdfgen import canvas

from backend.mssante import jdv
from backend.mssante.cda import build_cda_n1
from backend.mssante.identities import (
    AuthorIdentity,
    OrganizationIdentity,
    PatientIdentity,
    new_oid,
)
from backend.mssante.mime import MimeAttachment, compose, health_document_attachments
from backend.mssante.naming import ddm_subject
from backend.mssante.xdm import XdmDocument, build_xdm_zip

__all__ = ["health_mail", "pdf_bytes", "plain_mail", "sample_author", "sample_xdm"]

SOFTWARE = "DPI-Exemple/1.0"


def pdf_bytes(*lines: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for n, line in enumerate(lines):
        page.drawString(72, 760 - 18 * n, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def sample_author() -> AuthorIdentity:
    return AuthorIdentity(
        rpps="10001045367",
        family_name="Hôpital",
        given_name="Claire",
        profession_code="10",
        profession_label="Médecin",
        organization=OrganizationIdentity(
            finess="720000025", name="Centre hospitalier Exemple", kind="hospital"
        ),
    )


def sample_xdm(
    patient: PatientIdentity,
    pdf: bytes,
    *,
    title: str,
    type_code: str,
    type_display: str = "",
    created: datetime | None = None,
    author: AuthorIdentity | None = None,
) -> bytes:
    moment = created or datetime.now(UTC)
    writer = author or sample_author()
    document_id = new_oid()
    cda = build_cda_n1(
        pdf,
        document_id=document_id,
        title=title,
        type_code=type_code,
        type_display=type_display or jdv.type_label(type_code) or title,
        effective_time=moment,
        patient=patient,
        author=writer,
    )
    document = XdmDocument(cda=cda, document_id=document_id, title=title, type_code=type_code)
    return build_xdm_zip(
        [document],
        submission_id=new_oid(),
        patient=patient,
        author=writer,
        title=title,
        created=moment,
        source_id=str(settings.XDM_SOURCE_OID),
    )


def _bytes(message: object) -> bytes:
    data = message.as_bytes()  # type: ignore[attr-defined]
    return bytes(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def plain_mail(
    sender: str,
    to: str,
    subject: str,
    text: str,
    *,
    attachments: Sequence[MimeAttachment] = (),
    read_receipt: bool = False,
    in_reply_to: str | None = None,
) -> bytes:
    message = compose(
        sender=sender,
        recipients=[to],
        subject=subject,
        text=text,
        attachments=attachments,
        software_ref=SOFTWARE,
        read_receipt_to=sender if read_receipt else None,
        in_reply_to=in_reply_to,
    )
    return _bytes(message)


def health_mail(
    sender: str,
    to: str,
    patient: PatientIdentity,
    *,
    label: str,
    type_code: str,
    text: str,
    pdf: bytes | None = None,
    read_receipt: bool = True,
    xdm: bytes | None = None,
    author: AuthorIdentity | None = None,
) -> bytes:
    """A health-document mail; ``xdm`` replaces the generated package (bad-input tests);
    ``author``: who wrote the document (default: a hospital doctor)."""
    pdf = pdf or pdf_bytes(label, f"{patient.birth_name} {patient.first_name}")
    package = xdm
    if package is None:
        package = sample_xdm(patient, pdf, title=label, type_code=type_code, author=author)
    name = f"{date.today():%Y%m%d}_{type_code}_{patient.birth_name}_{patient.first_name}.pdf"
    message = compose(
        sender=sender,
        recipients=[to],
        subject=ddm_subject(label, patient.birth_name, patient.first_name, patient.birth_date),
        text=text,
        attachments=health_document_attachments(pdf, name, package),
        software_ref=SOFTWARE,
        ins_present=True,
        cda_code=type_code,
        read_receipt_to=sender if read_receipt else None,
    )
    return _bytes(message)
