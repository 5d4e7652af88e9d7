"""CSV and XLSX exports of declared acts.

A spreadsheet must never run what a cell holds (``backend.spreadsheet.neutralise``).
The 15-digit INS stays text: in XLSX a string cell formatted "@"; in CSV the INS is written in
its usual grouped form (« 2 85 03 77 284 173 46 »), which no spreadsheet reads as a number (a
bare 15-digit number would lose its last digits and its leading zeros).
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from backend.spreadsheet import neutralise
from teleexpertise.billing import act_row, french_amount
from teleexpertise.models import Act

COLUMNS = [
    ("reference", "Référence demande"),
    ("code", "Code acte"),
    ("act_date", "Date de l'acte"),
    ("amount", "Montant (EUR)"),
    ("status", "Statut"),
    ("professional", "Professionnel"),
    ("rpps", "RPPS"),
    ("am_number", "N° Assurance Maladie"),
    ("prescriber_am_number", "N° AM prescripteur"),
    ("request_date", "Date de la demande"),
    ("patient_birth_name", "Nom de naissance patient"),
    ("patient_first_names", "Prénom(s) patient"),
    ("patient_birth_date", "Date de naissance patient"),
    ("patient_sex", "Sexe patient"),
    ("patient_ins", "INS patient"),
]
# Identifiers that are digits but never numbers.
TEXT_COLUMNS = {"rpps", "am_number", "prescriber_am_number", "patient_ins"}


def grouped_ins(ins: str) -> str:
    """1 23 45 67 890 123 45: the way a NIR is printed (sex, year, month, place, order, key)."""
    if len(ins) != 15:
        return ins
    parts = (ins[0], ins[1:3], ins[3:5], ins[5:7], ins[7:10], ins[10:13], ins[13:])
    return " ".join(parts)


def _flat(act: Act) -> dict[str, Any]:
    row = act_row(act)
    return {
        "reference": row["reference"],
        "code": act.code,
        "act_date": act.act_date,
        "amount": act.amount,
        "status": act.get_status_display(),
        "professional": row["professional"]["display_name"],
        "rpps": act.professional.rpps or "",
        "am_number": act.am_number,
        "prescriber_am_number": act.prescriber_am_number,
        "request_date": act.request_date,
        "patient_birth_name": act.patient.birth_name,
        "patient_first_names": " ".join(act.patient.first_names),
        "patient_birth_date": act.patient.birth_date,
        "patient_sex": act.patient.sex,
        "patient_ins": row["patient"]["ins"] or "",
    }


def to_csv(queryset: QuerySet[Act]) -> bytes:
    """French Excel: UTF-8 with BOM, ';' separator, amounts « 23,00 € », dates JJ/MM/AAAA."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _, label in COLUMNS])
    for act in queryset:
        flat = _flat(act)
        values = []
        for key, _ in COLUMNS:
            value = flat[key]
            if isinstance(value, Decimal):
                value = french_amount(value)
            elif isinstance(value, datetime.date):
                value = f"{value:%d/%m/%Y}"
            elif key == "patient_ins":
                value = grouped_ins(value)
            values.append(neutralise(str(value)))
        writer.writerow(values)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(queryset: QuerySet[Act]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Actes"
    sheet.append([label for _, label in COLUMNS])
    widths = [len(label) for _, label in COLUMNS]
    for act in queryset:
        flat = _flat(act)
        sheet.append(
            [neutralise(v) if isinstance(v, str) else v for v in (flat[k] for k, _ in COLUMNS)]
        )
        for index, (key, _) in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=sheet.max_row, column=index)
            value = flat[key]
            if isinstance(value, Decimal):
                cell.number_format = '#,##0.00 "€"'
            elif isinstance(value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
            elif key in TEXT_COLUMNS:
                cell.data_type, cell.number_format = "s", "@"
            widths[index - 1] = max(widths[index - 1], len(str(cell.value or "")))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
