"""Health documents: CDA R2 level 1 wrapping a PDF, the IHE XDM ZIP, file names and subject."""

from __future__ import annotations

import base64
import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from backend.mssante.cda import build_cda_n1
from backend.mssante.identities import (
    OID_INS_NIR,
    AuthorIdentity,
    OrganizationIdentity,
    PatientIdentity,
    is_oid,
    new_oid,
)
from backend.mssante.xdm import XdmDocument, build_xdm_zip, ddm_subject, pdf_file_name

HL7 = {"h": "urn:hl7-org:v3"}
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
NS = {"rim": RIM, "lcm": LCM}
PARIS = timezone(timedelta(hours=1))
CREATED = datetime(2025, 3, 14, 9, 30, tzinfo=PARIS)
PDF = b"%PDF-1.4\n% fictitious test document \xe2\xe3\xcf\xd3\n%%EOF\n"

PATIENT = PatientIdentity(
    ins="285037728417346",
    ins_oid=OID_INS_NIR,
    birth_name="Exemple-Lefèvre",
    first_names=("Élodie", "Marie"),
    birth_date=date(1985, 3, 2),
    sex="F",
    birth_place="77284",
)
CUSTODIAN = OrganizationIdentity(
    finess="720000025", name="Centre hospitalier Exemple", kind="hospital"
)
SOURCE_OID = "2.25.160631418095542372735546063434463553046"
AUTHOR = AuthorIdentity(
    rpps="10001045367",
    family_name="Martin",
    given_name="Jean",
    profession_code="10",
    profession_label="Médecin",
    specialty="Cardiologie",
    organization=CUSTODIAN,
)


def parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own output


def make_cda(pdf: bytes = PDF, document_id: str = "1.2.3.4.5") -> bytes:
    return build_cda_n1(
        pdf,
        document_id=document_id,
        title="Compte rendu de téléexpertise",
        type_code="11488-4",
        type_display="Note de consultation",
        effective_time=CREATED,
        patient=PATIENT,
        author=AUTHOR,
        custodian=CUSTODIAN,
    )


# --- CDA ----------------------------------------------------------------------------------------


def test_cda_is_utf8_hl7_v3_with_the_pdf_in_a_base64_non_xml_body() -> None:
    cda = make_cda()
    assert cda.startswith(b"<?xml") and b"utf-8" in cda[:60].lower()
    root = parse(cda)
    assert root.tag == "{urn:hl7-org:v3}ClinicalDocument"
    text = root.find("h:component/h:nonXMLBody/h:text", HL7)
    assert text is not None
    assert text.get("mediaType") == "application/pdf"
    assert text.get("representation") == "B64"
    assert base64.b64decode(text.text or "") == PDF


def test_cda_header_identifies_document_type_time_and_confidentiality() -> None:
    root = parse(make_cda())
    assert root.find("h:id", HL7).get("root") == "1.2.3.4.5"  # type: ignore[union-attr]
    assert root.find("h:setId", HL7).get("root") == "1.2.3.4.5"  # type: ignore[union-attr]
    code = root.find("h:code", HL7)
    assert code is not None and code.get("code") == "11488-4"
    assert code.get("codeSystem") == "2.16.840.1.113883.6.1"
    assert root.findtext("h:title", namespaces=HL7) == "Compte rendu de téléexpertise"
    assert root.find("h:effectiveTime", HL7).get("value") == "20250314093000+0100"  # type: ignore[union-attr]
    assert root.find("h:confidentialityCode", HL7).get("code") == "N"  # type: ignore[union-attr]
    assert root.find("h:languageCode", HL7).get("code") == "fr-FR"  # type: ignore[union-attr]


def test_cda_record_target_carries_the_ins_and_the_strict_traits() -> None:
    role = parse(make_cda()).find("h:recordTarget/h:patientRole", HL7)
    assert role is not None
    ins = role.find("h:id", HL7)
    assert ins is not None
    assert (ins.get("root"), ins.get("extension")) == ("1.2.250.1.213.1.4.8", "285037728417346")
    name = role.find("h:patient/h:name", HL7)
    assert name is not None
    assert name.find("h:family[@qualifier='BR']", HL7).text == "Exemple-Lefèvre"  # type: ignore[union-attr]
    assert name.find("h:given[@qualifier='BR']", HL7).text == "Élodie"  # type: ignore[union-attr]
    assert [g.text for g in name.findall("h:given", HL7) if g.get("qualifier") is None] == [
        "Élodie Marie"
    ]
    patient = role.find("h:patient", HL7)
    assert patient is not None
    assert patient.find("h:administrativeGenderCode", HL7).get("code") == "F"  # type: ignore[union-attr]
    assert patient.find("h:birthTime", HL7).get("value") == "19850302"  # type: ignore[union-attr]
    assert patient.findtext("h:birthplace/h:place/h:addr/h:county", namespaces=HL7) == "77284"


def test_cda_author_is_8_plus_rpps_and_custodian_is_1_plus_finess() -> None:
    root = parse(make_cda())
    author_id = root.find("h:author/h:assignedAuthor/h:id", HL7)
    assert author_id is not None
    assert (author_id.get("root"), author_id.get("extension")) == (
        "1.2.250.1.71.4.2.1",
        "810001045367",
    )
    custodian = root.find("h:custodian/h:assignedCustodian/h:representedCustodianOrganization", HL7)
    assert custodian is not None
    assert custodian.find("h:id", HL7).get("extension") == "1720000025"  # type: ignore[union-attr]
    assert custodian.findtext("h:name", namespaces=HL7) == "Centre hospitalier Exemple"


def test_cda_escapes_markup_in_text_values() -> None:
    cda = build_cda_n1(
        PDF,
        document_id=new_oid(),
        title="Bilan <cardio> & suivi",
        type_code="11488-4",
        type_display="x",
        effective_time=CREATED,
        patient=PATIENT,
        author=AUTHOR,
        custodian=CUSTODIAN,
    )
    assert parse(cda).findtext("h:title", namespaces=HL7) == "Bilan <cardio> & suivi"


def test_cda_refuses_a_body_that_is_not_a_pdf() -> None:
    with pytest.raises(ValueError, match="PDF"):
        make_cda(pdf=b"<html>")


def test_cda_refuses_a_naive_time_and_a_bad_document_id() -> None:
    with pytest.raises(ValueError, match="fuseau"):
        build_cda_n1(
            PDF,
            document_id="1.2.3",
            title="t",
            type_code="11488-4",
            type_display="x",
            effective_time=datetime(2025, 3, 14, 9, 30),
            patient=PATIENT,
            author=AUTHOR,
            custodian=CUSTODIAN,
        )
    with pytest.raises(ValueError, match="identifiant"):
        make_cda(document_id="pas-un-oid")


def test_identities_refuse_malformed_identifiers() -> None:
    with pytest.raises(ValueError):
        AuthorIdentity("1234", "Martin", "Jean", "10", "Médecin")
    with pytest.raises(ValueError):
        OrganizationIdentity("72000002", "CH")
    with pytest.raises(ValueError):
        PatientIdentity("285037728417346", "1.2.3", "X", ("Y",), date(1985, 3, 2), "F", "77284")


def test_new_oid_is_a_unique_oid_of_at_most_64_characters() -> None:
    oids = {new_oid() for _ in range(100)}
    assert len(oids) == 100
    assert all(is_oid(o) and len(o) <= 64 for o in oids)


# --- XDM ----------------------------------------------------------------------------------------


def make_zip(count: int = 2) -> tuple[bytes, list[bytes]]:
    cdas = [make_cda(document_id=f"1.2.3.4.{i}") for i in range(1, count + 1)]
    documents = [
        XdmDocument(cda=c, document_id=f"1.2.3.4.{i}", title=f"Document n°{i}", type_code="11488-4")
        for i, c in enumerate(cdas, start=1)
    ]
    data = build_xdm_zip(
        documents,
        submission_id="1.2.3.9",
        patient=PATIENT,
        author=AUTHOR,
        title="Synthèse de téléexpertise",
        created=CREATED,
        source_id=SOURCE_OID,
    )
    return data, cdas


def test_xdm_zip_has_the_ihe_layout_with_8_3_upper_case_names() -> None:
    data, _ = make_zip(2)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [
            "README.TXT",
            "INDEX.HTM",
            "IHE_XDM/SUBSET01/METADATA.XML",
            "IHE_XDM/SUBSET01/DOC0001.XML",
            "IHE_XDM/SUBSET01/DOC0002.XML",
        ]
        assert archive.testzip() is None


def test_xdm_zip_keeps_cda_bytes_intact_and_the_pdf_decodes_back() -> None:
    data, cdas = make_zip(2)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        stored = archive.read("IHE_XDM/SUBSET01/DOC0002.XML")
    assert stored == cdas[1]
    text = parse(stored).findtext("h:component/h:nonXMLBody/h:text", namespaces=HL7)
    assert base64.b64decode(text or "") == PDF


def test_xdm_index_and_readme_point_to_the_documents() -> None:
    data, _ = make_zip(1)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        index = archive.read("INDEX.HTM").decode()
        readme = archive.read("README.TXT").decode()
    assert 'href="IHE_XDM/SUBSET01/DOC0001.XML"' in index
    assert "Document n°1" in index
    assert "10001045367" in readme


def metadata() -> tuple[ET.Element, list[bytes]]:
    data, cdas = make_zip(2)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return parse(archive.read("IHE_XDM/SUBSET01/METADATA.XML")), cdas


def slot(obj: ET.Element, name: str) -> list[str]:
    values = obj.findall(f"rim:Slot[@name='{name}']/rim:ValueList/rim:Value", NS)
    return [v.text or "" for v in values]


def external_id(obj: ET.Element, scheme: str) -> str | None:
    elem = obj.find(f"rim:ExternalIdentifier[@identificationScheme='{scheme}']", NS)
    return None if elem is None else elem.get("value")


def test_metadata_is_an_ebrim_submit_objects_request_with_one_submission_set() -> None:
    root, _ = metadata()
    assert root.tag == f"{{{LCM}}}SubmitObjectsRequest"
    packages = root.findall("rim:RegistryObjectList/rim:RegistryPackage", NS)
    assert len(packages) == 1
    package = packages[0]
    assert slot(package, "submissionTime") == ["20250314083000"]
    assert external_id(package, "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8") == "1.2.3.9"
    assert (
        external_id(package, "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446")
        == "285037728417346^^^&1.2.250.1.213.1.4.8&ISO^NH"
    )
    node = root.find(
        "rim:RegistryObjectList/rim:Classification"
        "[@classificationNode='urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd']",
        NS,
    )
    assert node is not None and node.get("classifiedObject") == package.get("id")


def test_metadata_document_entries_match_the_cda_files() -> None:
    root, cdas = metadata()
    entries = root.findall("rim:RegistryObjectList/rim:ExtrinsicObject", NS)
    assert len(entries) == 2
    for index, (entry, cda) in enumerate(zip(entries, cdas, strict=True), start=1):
        assert entry.get("mimeType") == "text/xml"
        assert entry.get("objectType") == "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
        assert slot(entry, "hash") == [hashlib.sha1(cda, usedforsecurity=False).hexdigest()]
        assert slot(entry, "size") == [str(len(cda))]
        assert slot(entry, "URI") == [f"DOC{index:04d}.XML"]
        assert slot(entry, "creationTime") == ["20250314083000"]
        assert "PID-7|19850302" in slot(entry, "sourcePatientInfo")
        assert (
            external_id(entry, "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427")
            == "285037728417346^^^&1.2.250.1.213.1.4.8&ISO^NH"
        )
        assert external_id(entry, "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab") == (
            f"1.2.3.4.{index}"
        )
        fmt = entry.find(
            "rim:Classification[@classificationScheme="
            "'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d']",
            NS,
        )
        assert fmt is not None and fmt.get("nodeRepresentation") == "urn:ihe:iti:xds-sd:pdf:2008"
        name = entry.find("rim:Name/rim:LocalizedString", NS)
        assert name is not None and name.get("value") == f"Document n°{index}"


def test_metadata_associates_each_document_to_the_submission_set() -> None:
    root, _ = metadata()
    package = root.find("rim:RegistryObjectList/rim:RegistryPackage", NS)
    assert package is not None
    entry_ids = {e.get("id") for e in root.iter(f"{{{RIM}}}ExtrinsicObject")}
    associations = root.findall("rim:RegistryObjectList/rim:Association", NS)
    assert {a.get("targetObject") for a in associations} == entry_ids
    for association in associations:
        assert association.get("sourceObject") == package.get("id")
        assert (
            association.get("associationType")
            == "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
        )


def test_metadata_ids_are_unique_and_the_package_is_deterministic() -> None:
    root, _ = metadata()
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert make_zip(2)[0] == make_zip(2)[0]


def test_xdm_refuses_an_empty_package_and_a_naive_creation_time() -> None:
    with pytest.raises(ValueError):
        build_xdm_zip(
            [],
            submission_id="1.2.3",
            patient=PATIENT,
            author=AUTHOR,
            title="t",
            created=CREATED,
            source_id=SOURCE_OID,
        )
    doc = XdmDocument(cda=make_cda(), document_id="1.2.3.4.5", title="t", type_code="11488-4")
    with pytest.raises(ValueError, match="fuseau"):
        build_xdm_zip(
            [doc],
            submission_id="1.2.3",
            patient=PATIENT,
            author=AUTHOR,
            title="t",
            created=datetime(2025, 3, 14),
            source_id=SOURCE_OID,
        )
    assert build_xdm_zip(
        [doc],
        submission_id="1.2.3",
        patient=PATIENT,
        author=AUTHOR,
        title="t",
        created=datetime(2025, 3, 14, tzinfo=UTC),
        source_id=SOURCE_OID,
    )


# --- naming -------------------------------------------------------------------------------------


def test_pdf_file_name_follows_date_type_name_first_name_dossier() -> None:
    name = pdf_file_name(date(2025, 3, 14), "CR", "Exemple-Lefèvre", "Élodie", "D2025-001")
    assert name == "20250314_CR_EXEMPLE-LEFEVRE_Elodie_D2025-001.pdf"


def test_pdf_file_name_folds_accents_ligatures_and_unsafe_characters() -> None:
    name = pdf_file_name(date(2025, 1, 2), "Télé expertise", "d'Œuvre  Ñuñez", "Zoë", "12/34_5")
    assert name == "20250102_Tele-expertise_D-OEUVRE-NUNEZ_Zoe_12-34-5.pdf"
    assert name.isascii()


def test_pdf_file_name_refuses_an_empty_part() -> None:
    with pytest.raises(ValueError):
        pdf_file_name(date(2025, 1, 2), "CR", "Exemple", "Élodie", " / ")


def test_ddm_subject_has_the_xdm_prefix_upper_case_birth_name_and_french_date() -> None:
    subject = ddm_subject("Compte rendu", "Exemple-Lefèvre", "Élodie", date(1985, 3, 2))
    # The birth name upper case without accents; the first name as written.
    assert subject == "XDM/1.0/DDM+Compte rendu EXEMPLE-LEFEVRE Élodie 02/03/1985"


def test_ddm_label_is_cut_to_40_characters() -> None:
    label = "Compte rendu de téléexpertise en cardiologie pédiatrique"
    subject = ddm_subject(label, "Œuvray", "Zoé", date(2015, 6, 1))
    assert subject == (f"XDM/1.0/DDM+{label[:40].rstrip()} OEUVRAY Zoé 01/06/2015")
    assert len(label[:40].rstrip()) <= 40


def test_ddm_subject_collapses_line_breaks() -> None:
    subject = ddm_subject("Compte\r\nrendu", "Exemple", "Élodie", date(1985, 3, 2))
    assert "\n" not in subject and "\r" not in subject
