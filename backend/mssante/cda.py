"""CDA R2 level 1: a PDF wrapped in a CDA header (HL7 France / CI-SIS).

The header carries what identifies the document, the patient (INS and strict traits), the author
(national id "8" + RPPS) and the custodian (FINESS). The body is
``<component><nonXMLBody><text mediaType="application/pdf" representation="B64">``.

*Unverified* against the ANS validators (CI-SIS "structuration minimale"): the template ids, the
TRE_G15 code system for the profession, and the absence of ``documentationOf/serviceEvent`` and
``componentOf/encompassingEncounter`` (required by some document types and by the DMP). A DMP
feed must run the ANS validator on these documents before being switched on.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import datetime

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
_CONFIDENTIALITY_OID = "2.16.840.1.113883.5.25"
_GENDER_OID = "2.16.840.1.113883.5.1"
# TRE_G15 "Profession" (unverified: older documents use 1.2.250.1.71.1.2.7).
_PROFESSION_OID = "1.2.250.1.213.1.1.4.5"
_TEMPLATE_IDS = (
    ("2.16.840.1.113883.2.8.2.1", "HL7 France"),
    ("1.2.250.1.213.1.1.1.1", "CI-SIS"),  # structuration minimale (unverified version)
)
_CONFIDENTIALITY_CODES = frozenset({"N", "R", "V"})


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
    _el(person, "administrativeGenderCode", code=patient.sex, codeSystem=_GENDER_OID)
    _el(person, "birthTime", value=patient.birth_date.strftime("%Y%m%d"))
    place = _el(_el(person, "birthplace"), "place")
    _el(_el(place, "addr"), "county", patient.birth_place)


def _author(root: ET.Element, author: AuthorIdentity, time: str) -> None:
    node = _el(root, "author")
    _el(node, "time", value=time)
    assigned = _el(node, "assignedAuthor")
    _el(assigned, "id", root=OID_PS_NATIONAL_ID, extension=author.national_id)
    _el(
        assigned,
        "code",
        code=author.profession_code,
        codeSystem=_PROFESSION_OID,
        displayName=author.profession_label,
    )
    _person_name(_el(assigned, "assignedPerson"), author.family_name, author.given_name)


def _custodian(root: ET.Element, custodian: OrganizationIdentity) -> None:
    assigned = _el(_el(root, "custodian"), "assignedCustodian")
    org = _el(assigned, "representedCustodianOrganization")
    _el(org, "id", root=OID_FINESS_PREFIXED, extension=custodian.national_id)
    _el(org, "name", custodian.name)


def _legal_authenticator(root: ET.Element, author: AuthorIdentity, time: str) -> None:
    node = _el(root, "legalAuthenticator")
    _el(node, "time", value=time)
    _el(node, "signatureCode", code="S")
    entity = _el(node, "assignedEntity")
    _el(entity, "id", root=OID_PS_NATIONAL_ID, extension=author.national_id)
    _person_name(_el(entity, "assignedPerson"), author.family_name, author.given_name)


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
    custodian: OrganizationIdentity,
    confidentiality: str = "N",
) -> bytes:
    """A UTF-8 CDA R2 level-1 document wrapping ``pdf``.

    ``document_id`` is an OID (see ``identities.new_oid``) or a UUID; it is both ``id`` and
    ``setId`` (first version). ``type_code`` is a LOINC document type code (e.g. 11490-0 for a
    discharge letter). Raises ``ValueError`` for a non-PDF body, a bad id or a naive time.
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

    root = ET.Element("ClinicalDocument", xmlns=HL7_NAMESPACE)
    _el(root, "realmCode", code="FR")
    _el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    for template_id, authority in _TEMPLATE_IDS:
        _el(root, "templateId", root=template_id, assigningAuthorityName=authority)
    _el(root, "id", root=document_id)
    _el(root, "code", code=type_code, codeSystem=LOINC_OID, displayName=type_display)
    _el(root, "title", title.strip())
    _el(root, "effectiveTime", value=time)
    _el(root, "confidentialityCode", code=confidentiality, codeSystem=_CONFIDENTIALITY_OID)
    _el(root, "languageCode", code="fr-FR")
    _el(root, "setId", root=document_id)
    _el(root, "versionNumber", value="1")
    _record_target(root, patient)
    _author(root, author, time)
    _custodian(root, custodian)
    _legal_authenticator(root, author, time)
    body = _el(_el(root, "component"), "nonXMLBody")
    _el(
        body,
        "text",
        base64.b64encode(pdf).decode("ascii"),
        mediaType="application/pdf",
        representation="B64",
    )
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
