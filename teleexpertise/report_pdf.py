"""The teleexpertise report as a PDF: both professionals with RPPS, the patient's identity
traits, the date, the request reference, and the structured report."""

from __future__ import annotations

import datetime
import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from backend.accounts.models import Professional, User
from backend.pdf import FONT, FONT_BOLD, TABLE_FONT, EmbeddedFontCanvas, register_fonts
from backend.pdf import build as build_pdf
from backend.pdfa import to_pdfa
from teleexpertise.models import Report, TeleexpertiseRequest

# Vera (embedded TTF, Latin-1): French accents render the same everywhere. See backend/pdf.py.
_register_fonts = register_fonts


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("te-body", parent=base["BodyText"], fontName=FONT, fontSize=10)
    return {
        "title": ParagraphStyle("te-title", parent=base["Title"], fontName=FONT_BOLD, fontSize=16),
        "h": ParagraphStyle("te-h", parent=base["Heading2"], fontName=FONT_BOLD, fontSize=12),
        "body": body,
    }


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _professional_line(user: User) -> str:
    professional: Professional | None = getattr(user, "professional", None)
    if professional is None:
        return user.display_name
    parts = [professional.display_name]
    if professional.profession_label or professional.specialty:
        parts.append(
            " — ".join(p for p in (professional.profession_label, professional.specialty) if p)
        )
    parts.append(f"RPPS {professional.rpps}" if professional.rpps else "RPPS non renseigné")
    return ", ".join(parts)


def _patient_lines(request: TeleexpertiseRequest) -> list[list[str]]:
    patient = request.patient
    sex = {"F": "Féminin", "M": "Masculin"}.get(patient.sex, patient.sex)
    rows = [
        ["Nom de naissance", patient.birth_name.upper()],
        ["Prénom(s)", " ".join(patient.first_names)],
        ["Date de naissance", f"{patient.birth_date:%d/%m/%Y}"],
        ["Sexe", sex],
        ["Lieu de naissance (INSEE)", patient.birth_place or "—"],
        ["Statut de l'identité", patient.get_identity_status_display()],
    ]
    if patient.used_name:
        rows.insert(1, ["Nom utilisé", patient.used_name])
    if patient.is_qualified:
        rows.append(["INS (matricule)", patient.ins])
    return rows


def _on_page(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawString(2 * cm, 1.2 * cm, f"Téléexpertise {doc.te_reference}")
    canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
    canvas.restoreState()


def render(request: TeleexpertiseRequest, report: Report, *, dated: datetime.datetime) -> bytes:
    _register_fonts()
    expert = request.expert
    assert expert is not None  # a report exists only once an expert holds the request
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"Compte rendu de téléexpertise {request.reference}",
        author=expert.display_name,
    )
    doc.te_reference = request.reference
    requested = timezone.localtime(request.created_at)
    cell = ParagraphStyle("te-cell", parent=styles["body"], fontSize=9)
    header = Table(
        [
            [Paragraph("Référence", cell), Paragraph(_text(request.reference), cell)],
            [Paragraph("Date", cell), Paragraph(f"{dated:%d/%m/%Y}", cell)],
            [
                Paragraph("Expert (requis)", cell),
                Paragraph(_text(_professional_line(expert)), cell),
            ],
            [
                Paragraph("Demandeur (requérant)", cell),
                Paragraph(_text(_professional_line(request.requester)), cell),
            ],
            [
                Paragraph("Demande du", cell),
                Paragraph(f"{requested:%d/%m/%Y}", cell),
            ],
        ],
        colWidths=[4.5 * cm, 12.5 * cm],
    )
    grid = TableStyle(
        [
            TABLE_FONT,
            ("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    header.setStyle(grid)
    patient = Table(
        [
            [Paragraph(_text(k), cell), Paragraph(_text(v), cell)]
            for k, v in _patient_lines(request)
        ],
        colWidths=[4.5 * cm, 12.5 * cm],
    )
    patient.setStyle(grid)
    story: list[Any] = [
        Paragraph("Compte rendu de téléexpertise", styles["title"]),
        header,
        Spacer(1, 0.4 * cm),
        Paragraph("Patient", styles["h"]),
        patient,
    ]
    consent = request.consent
    sections = [
        ("Contexte", report.context),
        ("Question posée", request.question),
        ("Réponse de l'expert", report.answer),
        ("Conclusion", report.conclusion),
        ("Recommandations", report.recommendations or "Aucune."),
    ]
    for title, text in sections:
        story += [Paragraph(title, styles["h"]), Paragraph(_text(text), styles["body"])]
    story += [
        Spacer(1, 0.6 * cm),
        Paragraph(
            _text(
                f"Consentement du patient recueilli ({consent.get_method_display().lower()}) "
                f"le {timezone.localtime(consent.collected_at):%d/%m/%Y}."
            ),
            cell,
        ),
    ]
    build_pdf(
        doc, story, onFirstPage=_on_page, onLaterPages=_on_page, canvasmaker=EmbeddedFontCanvas
    )
    # A health document: PDF/A-2b (DOMAIN.md, MSSanté documents).
    return to_pdfa(
        buffer.getvalue(),
        title=f"Compte rendu de téléexpertise {request.reference}",
        author=expert.display_name,
        created=dated,
    )
