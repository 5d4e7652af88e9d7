"""A received or sent document is labelled by its own type: a prescription (57833-6) is filed in
the « Prescription » class with its JDV_J07 French name, never as « Compte rendu »; so are the
other types the seeds send (lab results, discharge letters, care prescriptions)."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from defusedxml.ElementTree import fromstring

from backend.mssante import jdv
from backend.mssante.identities import PatientIdentity
from backend.mssante.inbox.samples import pdf_bytes, sample_xdm
from backend.mssante.inbox.xdm_read import read_xdm

RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
CLASS_SCHEME = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
PATIENT = PatientIdentity(
    ins="285037728417346",
    ins_oid="1.2.250.1.213.1.4.10",
    birth_name="ROUSSEAU",
    first_names=("Jeanne",),
    birth_date=datetime.date(1938, 6, 2),
    sex="F",
    birth_place="77284",
)


@pytest.mark.parametrize(
    ("type_code", "class_code", "class_label", "type_label"),
    [
        ("57833-6", "42", "Prescription", "Prescription de produits de santé"),
        ("57832-8", "42", "Prescription", "Prescription de soins"),
        ("11502-2", "10", "Compte rendu", "CR d'examens biologiques"),
        (
            "11490-0",
            "10",
            "Compte rendu",
            "Lettre de liaison à la sortie d'un établissement de soins",
        ),
        ("34133-9", "11", "Synthèse", "Synthèse d'épisode de soins"),
        ("85208-7", "10", "Compte rendu", "CR de télémédecine"),
        ("60591-5", "11", "Synthèse", "Synthèse médicale"),
    ],
)
def test_each_document_type_has_its_class_and_french_label(
    type_code: str, class_code: str, class_label: str, type_label: str
) -> None:
    assert jdv.class_code(type_code) == jdv.Code(class_code, jdv.OID_CLASS, class_label)
    assert jdv.type_label(type_code) == type_label


def test_an_unlisted_type_keeps_the_report_class_and_no_invented_label() -> None:
    assert jdv.class_code("99999-9").display == "Compte rendu"
    assert jdv.type_label("99999-9") == ""


def _metadata(package: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        name = next(n for n in archive.namelist() if n.upper().endswith("METADATA.XML"))
        return archive.read(name)


def test_a_prescription_xdm_is_classed_prescription_and_read_back_with_its_type() -> None:
    package = sample_xdm(
        PATIENT, pdf_bytes("Ordonnance"), title="Ordonnance — modification", type_code="57833-6"
    )
    root = fromstring(_metadata(package))
    classes = [
        (c.get("nodeRepresentation"), c.find(f"{RIM}Name/{RIM}LocalizedString").get("value"))
        for c in root.iter(f"{RIM}Classification")
        if c.get("classificationScheme") == CLASS_SCHEME
    ]
    assert classes == [("42", "Prescription")]
    (document,) = read_xdm(package).documents
    assert document.title == "Ordonnance — modification"
    assert document.type_code == "57833-6"
    assert document.type_display == "Prescription de produits de santé"
