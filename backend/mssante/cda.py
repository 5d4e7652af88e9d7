"""CDA R2 level 1: a PDF wrapped in a CDA header (HL7 France / CI-SIS, IHE XDS-SD).

The header carries what identifies the document, the patient (INS and strict traits), the author
(national id "8" + RPPS, role from JDV_J01, the organisation they act for), the custodian (the
author's organisation), the act documented (``documentationOf/serviceEvent``) and the encounter
(``componentOf/encompassingEncounter``). The body is
``<component><nonXMLBody><text mediaType="application/pdf" representation="B64">``.

Checked in the suite with the ANS validators: ``CDA_extended.xsd`` and the « structuration
minimale » schematron (tests/support/conformance.py), zero errors.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import datetime

from backend.mssante import jdv
from backend.mssante.identities import (
    OID_FINESS_PREFIXED,
    OID_PS_NATIONAL_ID,
    AuthorIdentity,
    OrganizationIdentity,
    PatientIdentity,
    is_unique_id,
)

__all__ = ["HL7_NAMESPACE", "LOINC_OID", "build_cda_n1", "cda_time"]

HL7_NAMESPACE = "urn:hl7-org:v3"
LOINC_OID = "2.16.840.1.113883.6.1"
_GENDER_OID = "2.16.840.1.113883.5.1"
# A non-structured (level 1) document declares exactly these three (the schematron says so):
# HL7 France, CI-SIS structuration minimale, IHE XDS-SD (Scanned Document).
_TEMPLATE_IDS = (
    ("2.16.840.1.113883.2.8.2.1", "HL7 France"),
    ("1.2.250.1.213.1.1.1.1", "CI-SIS"),
    ("1.3.6.1.4.1.19376.1.2.20", "IHE XDS-SD"),
)
_CONFIDENTIALITY_CODES = frozenset({"N", "R", "V"})
_GENDER_DISPLAY = {"M": "Masculin", "F": "Féminin"}


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Tags stay unqualified: the root declares urn:hl7-org:v3 as the default namespace (ET's
    # default_namespace option refuses the unqualified attributes HL7 uses).
    elem = ET.SubElement(parent, tag, attrs)
    if text is not None:
        elem.text = text
    return elem


def cda_time(moment: datetime) -> str:
    """HL7 TS with seconds and the UTC offset (``20250314093000+0100``); refuses naive times."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("effective_time doit porter un fuseau horaire")
    return moment.strftime("%Y%m%d%H%M%S%z")


def _person_name(parent: ET.Element, family: str, given: str) -> None:
    name = _el(parent, "name")
    _el(name, "given", given)
    _el(name, "family", family)


def _record_target(root: ET.Element, patient: PatientIdentity) -> None:
    role = _el(_el(root, "recordTarget"), "patientRole")
    _el(role, "id", root=patient.ins_oid, extension=patient.ins)
    person = _el(role, "patient")
    name = _el(person, "name")
    # Strict traits per CI-SIS: all birth first names (no qualifier), the first birth first name
    # (qualifier BR) and the birth name (qualifier BR).
    _el(name, "given", patient.all_first_names)
    _el(name, "given", patient.first_name, qualifier="BR")
    _el(name, "family", " ".join(patient.birth_name.split()), qualifier="BR")
    _el(
        person,
        "administrativeGenderCode",
        code=patient.sex,
        codeSystem=_GENDER_OID,
        displayName=_GENDER_DISPLAY[patient.sex],
    )
    _el(person, "birthTime", value=patient.birth_date.strftime("%Y%m%d"))
    place = _el(_el(person, "birthplace"), "place")
    _el(_el(place, "addr"), "county", patient.birth_place)


def _coded(parent: ET.Element, tag: str, code: jdv.Code) -> ET.Element:
    return _el(parent, tag, code=code.code, codeSystem=code.system, displayName=code.display)


def _organization(parent: ET.Element, tag: str, org: OrganizationIdentity) -> None:
    node = _el(parent, tag)
    _el(node, "id", root=OID_FINESS_PREFIXED, extension=org.national_id)
    _el(node, "name", org.name)
    if tag == "representedOrganization":
        setting = org.practice_setting
        _el(
            node,
            "standardIndustryClassCode",
            code=setting.code,
            codeSystem=setting.system,
            displayName=setting.display,
        )


def _professional(
    parent: ET.Element, tag: str, author: AuthorIdentity, org: OrganizationIdentity
) -> ET.Element:
    """An assignedAuthor / assignedEntity: national id, JDV_J01 role, name, organisation."""
    node = _el(parent, tag)
    _el(node, "id", root=OID_PS_NATIONAL_ID, extension=author.national_id)
    _coded(node, "code", author.role)
    _person_name(_el(node, "assignedPerson"), author.family_name, author.given_name)
    _organization(node, "representedOrganization", org)
    return node


def _author(root: ET.Element, author: AuthorIdentity, org: OrganizationIdentity, time: str) -> None:
    node = _el(root, "author")
    _el(node, "time", value=time)
    _professional(node, "assignedAuthor", author, org)


def _custodian(root: ET.Element, custodian: OrganizationIdentity) -> None:
    assigned = _el(_el(root, "custodian"), "assignedCustodian")
    _organization(assigned, "representedCustodianOrganization", custodian)


def _legal_authenticator(
    root: ET.Element, author: AuthorIdentity, org: OrganizationIdentity, time: str
) -> None:
    node = _el(root, "legalAuthenticator")
    _el(node, "time", value=time)
    _el(node, "signatureCode", code="S")
    _professional(node, "assignedEntity", author, org)


def _period(parent: ET.Element, start: str, end: str) -> None:
    # IVL_TS rule (dtr1-6): low and high never equal; an instant has only its low bound.
    period = _el(parent, "effectiveTime")
    _el(period, "low", value=start)
    if end != start:
        _el(period, "high", value=end)


def _service_event(
    root: ET.Element,
    author: AuthorIdentity,
    org: OrganizationIdentity,
    type_code: str,
    type_display: str,
    start: str,
    end: str,
) -> None:
    """The act the document reports on, performed by the author."""
    event = _el(_el(root, "documentationOf"), "serviceEvent")
    _el(event, "code", code=type_code, codeSystem=LOINC_OID, displayName=type_display)
    _period(event, start, end)
    performer = _el(event, "performer", typeCode="PRF")
    _professional(performer, "assignedEntity", author, org)


def _encounter(
    root: ET.Element, org: OrganizationIdentity, encounter_code: str, start: str, end: str
) -> None:
    encounter = _el(_el(root, "componentOf"), "encompassingEncounter")
    _coded(encounter, "code", jdv.encounter(encounter_code))
    _period(encounter, start, end)
    facility = _el(_el(encounter, "location"), "healthCareFacility")
    _coded(facility, "code", org.facility_type)


def build_cda_n1(
    pdf: bytes,
    *,
    document_id: str,
    title: str,
    type_code: str,
    type_display: str,
    effective_time: datetime,
    patient: PatientIdentity,
    author: AuthorIdentity,
    custodian: OrganizationIdentity | None = None,
    confidentiality: str = "N",
    service_start: datetime | None = None,
    encounter_code: str = "AMB",
) -> bytes:
    """A UTF-8 CDA R2 level-1 document wrapping ``pdf``.

    ``document_id`` is an OID (see ``identities.new_oid``) or a UUID; it is both ``id`` and
    ``setId`` (first version). ``type_code`` is a LOINC document type from JDV_J07 (85208-7 for a
    telemedicine report). The custodian is the author's organisation (``custodian`` only when the
    author has none). ``service_start`` opens the act documented (default: ``effective_time``);
    ``encounter_code`` is "VR" for teleexpertise. Raises ``ValueError`` for a non-PDF body, a
    bad id, a naive time or an author without organisation.
    """
    if not pdf.startswith(b"%PDF-"):
        raise ValueError("le document joint n'est pas un PDF")
    if not is_unique_id(document_id):
        raise ValueError(f"identifiant de document invalide : {document_id!r}")
    if confidentiality not in _CONFIDENTIALITY_CODES:
        raise ValueError(f"code de confidentialité inconnu : {confidentiality!r}")
    if not title.strip() or not type_code.strip():
        raise ValueError("titre et type de document obligatoires")
    time = cda_time(effective_time)
    start = cda_time(service_start or effective_time)
    org = author.organization or custodian
    if org is None:
        raise ValueError("l'auteur doit être rattaché à une structure (FINESS)")

    root = ET.Element("ClinicalDocument", xmlns=HL7_NAMESPACE)
    _el(root, "realmCode", code="FR")
    _el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    for template_id, authority in _TEMPLATE_IDS:
        _el(root, "templateId", root=template_id, assigningAuthorityName=authority)
    _el(root, "id", root=document_id)
    _el(
        root,
        "code",
        code=type_code,
        codeSystem=LOINC_OID,
        codeSystemName="LOINC",
        displayName=type_display,
    )
    _el(root, "title", title.strip())
    _el(root, "effectiveTime", value=time)
    _coded(root, "confidentialityCode", jdv.confidentiality(confidentiality))
    _el(root, "languageCode", code="fr-FR")
    _el(root, "setId", root=document_id)
    _el(root, "versionNumber", value="1")
    _record_target(root, patient)
    _author(root, author, org, time)
    _custodian(root, org)
    _legal_authenticator(root, author, org, time)
    _service_event(root, author, org, type_code, type_display, start, time)
    _encounter(root, org, encounter_code, start, time)
    body = _el(_el(root, "component"), "nonXMLBody")
    _el(
        body,
        "text",
        base64.b64encode(pdf).decode("ascii"),
        mediaType="application/pdf",
        representation="B64",
    )
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
