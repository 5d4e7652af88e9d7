"""IHE XDM packaging of CDA documents (``IHE_XDM.ZIP``).

The mail naming helpers (``pdf_file_name``, ``ddm_subject``) live in ``naming`` and are
re-exported here.

ZIP layout: ``README.TXT``, ``INDEX.HTM``, ``IHE_XDM/SUBSET01/METADATA.XML`` (ebRIM 3.0
``SubmitObjectsRequest``: one SubmissionSet, one DocumentEntry per document, HasMember
associations) and the CDA files ``IHE_XDM/SUBSET01/DOC0001.XML``... (8.3 upper-case names).

The metadata carries what the DMP and receiving software read: classCode, typeCode, formatCode,
healthcareFacilityTypeCode, practiceSettingCode, confidentialityCode (with the author's DMP
visibility choice), authorInstitution / authorSpecialty, the SubmissionSet contentTypeCode and
the platform's fixed sourceId. Checked in the suite against the ebRIM 3.0 schema (``lcm.xsd``).
"""

from __future__ import annotations

import hashlib
import html
import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.mssante import jdv
from backend.mssante.identities import (
    OID_FINESS_PREFIXED,
    OID_PS_NATIONAL_ID,
    AuthorIdentity,
    PatientIdentity,
    is_oid,
    is_unique_id,
)
from backend.mssante.naming import ddm_subject, pdf_file_name

__all__ = [
    "FORMAT_CODE_PDF",
    "LCM_NAMESPACE",
    "RIM_NAMESPACE",
    "XdmDocument",
    "build_xdm_zip",
    "ddm_subject",
    "patient_id_cx",
    "pdf_file_name",
]

LCM_NAMESPACE = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM_NAMESPACE = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
ET.register_namespace("lcm", LCM_NAMESPACE)
ET.register_namespace("rim", RIM_NAMESPACE)

SUBSET = "IHE_XDM/SUBSET01"
FORMAT_CODE_PDF = "urn:ihe:iti:xds-sd:pdf:2008"
_FORMAT_CODING_SCHEME = "1.3.6.1.4.1.19376.1.2.3"
_LOINC_OID = "2.16.840.1.113883.6.1"
# IHE ITI TF-3 identifiers (classification schemes, external identifiers, object types).
_DOCUMENT_ENTRY_TYPE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
_SUBMISSION_SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
_DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
_DE_CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
_DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
_DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
_DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
_DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
_DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
_DE_FACILITY_TYPE = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
_DE_PRACTICE_SETTING = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
_SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
_SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
_SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
_SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
_SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
_HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
_CLASSIFICATION_TYPE = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
_MAX_DOCUMENTS = 9999


@dataclass(frozen=True)
class XdmDocument:
    """One CDA document to package; ``type_code`` is its LOINC document type."""

    cda: bytes
    document_id: str
    title: str
    type_code: str
    type_display: str = ""
    confidentiality: str = "N"
    # The author's DMP visibility choice (jdv.VISIBILITY_CODES keys).
    visibility: str = "normal"
    service_start: datetime | None = None
    service_stop: datetime | None = None


def patient_id_cx(patient: PatientIdentity) -> str:
    """HL7 CX of the INS: ``<INS>^^^&<OID>&ISO^NH``.

    Unverified for the DMP (form taken from the IHE CX datatype with the INS OID).
    """
    return f"{patient.ins}^^^&{patient.ins_oid}&ISO^NH"


def _author_xcn(author: AuthorIdentity) -> str:
    # Unverified French form: national id, names, assigning authority, D, IDNPS.
    return (
        f"{author.national_id}^{author.family_name}^{author.given_name}"
        f"^^^^^^&{OID_PS_NATIONAL_ID}&ISO^D^^^IDNPS"
    )


def _institution_xon(author: AuthorIdentity) -> str:
    """XON of the author's structure: ``<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1<FINESS>``."""
    org = author.organization
    if org is None:
        raise ValueError("l'auteur doit être rattaché à une structure (FINESS)")
    name = org.name.replace("^", " ").replace("&", " ")
    return f"{name}^^^^^&{OID_FINESS_PREFIXED}&ISO^IDNST^^^{org.national_id}"


def _ce(code: jdv.Code) -> str:
    return f"{code.code}^{code.display}^{code.system}"


def _dtm(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("created doit porter un fuseau horaire")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _r(tag: str) -> str:
    return f"{{{RIM_NAMESPACE}}}{tag}"


def _slot(parent: ET.Element, name: str, *values: str) -> None:
    value_list = ET.SubElement(ET.SubElement(parent, _r("Slot"), name=name), _r("ValueList"))
    for value in values:
        ET.SubElement(value_list, _r("Value")).text = value


def _name(parent: ET.Element, text: str) -> None:
    name = ET.SubElement(parent, _r("Name"))
    ET.SubElement(name, _r("LocalizedString"), value=text, charset="UTF-8")


def _classification(
    parent: ET.Element,
    obj: str,
    scheme: str,
    node: str,
    coding: str | None,
    display: str,
    slots: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> ET.Element:
    """ebRIM order: the Slots first, then the Name (the schema refuses a Slot after it)."""
    elem = ET.SubElement(
        parent,
        _r("Classification"),
        id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{obj}/{scheme}/{node}')}",
        classificationScheme=scheme,
        classifiedObject=obj,
        nodeRepresentation=node,
        objectType=_CLASSIFICATION_TYPE,
    )
    if coding is not None:
        _slot(elem, "codingScheme", coding)
    for name, values in slots:
        _slot(elem, name, *values)
    _name(elem, display)
    return elem


def _coded(parent: ET.Element, obj: str, scheme: str, code: jdv.Code) -> None:
    _classification(parent, obj, scheme, code.code, code.system, code.display)


def _author_slots(author: AuthorIdentity) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return (
        ("authorPerson", (_author_xcn(author),)),
        ("authorInstitution", (_institution_xon(author),)),
        ("authorSpecialty", (_ce(author.role),)),
    )


def _external_id(parent: ET.Element, obj: str, scheme: str, value: str, label: str) -> None:
    elem = ET.SubElement(
        parent,
        _r("ExternalIdentifier"),
        id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{obj}/{scheme}')}",
        registryObject=obj,
        identificationScheme=scheme,
        value=value,
    )
    _name(elem, label)


def _entry_uuid(submission_id: str, index: int) -> str:
    # Deterministic: the same submission always gives the same package (idempotent resend).
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_OID, f'{submission_id}/{index}')}"


def _metadata(
    documents: list[XdmDocument],
    submission_id: str,
    patient: PatientIdentity,
    author: AuthorIdentity,
    title: str,
    created: str,
    source_id: str,
) -> bytes:
    patient_cx = patient_id_cx(patient)
    request = ET.Element(f"{{{LCM_NAMESPACE}}}SubmitObjectsRequest")
    objects = ET.SubElement(request, _r("RegistryObjectList"))
    ss_id = _entry_uuid(submission_id, 0)
    package = ET.SubElement(objects, _r("RegistryPackage"), id=ss_id)
    _slot(package, "submissionTime", created)
    _name(package, title)
    _classification(package, ss_id, _SS_AUTHOR, "", None, "author", _author_slots(author))
    _coded(package, ss_id, _SS_CONTENT_TYPE, jdv.content_type())
    _external_id(package, ss_id, _SS_UNIQUE_ID, submission_id, "XDSSubmissionSet.uniqueId")
    _external_id(package, ss_id, _SS_SOURCE_ID, source_id, "XDSSubmissionSet.sourceId")
    _external_id(package, ss_id, _SS_PATIENT_ID, patient_cx, "XDSSubmissionSet.patientId")
    ET.SubElement(
        objects,
        _r("Classification"),
        id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{ss_id}/submission-set')}",
        classifiedObject=ss_id,
        classificationNode=_SUBMISSION_SET_NODE,
        objectType=_CLASSIFICATION_TYPE,
    )
    source_info = (
        f"PID-3|{patient_cx}",
        f"PID-5|{patient.birth_name}^{patient.all_first_names}^^^^^L",  # unverified form
        f"PID-7|{patient.birth_date:%Y%m%d}",
        f"PID-8|{patient.sex}",
    )
    for index, doc in enumerate(documents, start=1):
        doc_id = _entry_uuid(submission_id, index)
        entry = ET.SubElement(
            objects,
            _r("ExtrinsicObject"),
            id=doc_id,
            mimeType="text/xml",
            objectType=_DOCUMENT_ENTRY_TYPE,
        )
        _slot(entry, "creationTime", created)
        _slot(entry, "hash", hashlib.sha1(doc.cda, usedforsecurity=False).hexdigest())
        _slot(entry, "size", str(len(doc.cda)))
        _slot(entry, "languageCode", "fr-FR")
        _slot(entry, "legalAuthenticator", _author_xcn(author))
        _slot(entry, "serviceStartTime", _dtm(doc.service_start) if doc.service_start else created)
        _slot(entry, "serviceStopTime", _dtm(doc.service_stop) if doc.service_stop else created)
        _slot(entry, "sourcePatientId", patient_cx)
        _slot(entry, "sourcePatientInfo", *source_info)
        _slot(entry, "URI", f"DOC{index:04d}.XML")
        _name(entry, doc.title)
        _classification(entry, doc_id, _DE_AUTHOR, "", None, "author", _author_slots(author))
        _coded(entry, doc_id, _DE_CLASS, jdv.class_code(doc.type_code))
        for code in [
            jdv.confidentiality(doc.confidentiality),
            *jdv.visibility_codes(doc.visibility),
        ]:
            _coded(entry, doc_id, _DE_CONFIDENTIALITY, code)
        _classification(entry, doc_id, _DE_FORMAT, FORMAT_CODE_PDF, _FORMAT_CODING_SCHEME, "PDF")
        organization = author.organization
        assert organization is not None  # _author_slots refused an author without one
        _coded(entry, doc_id, _DE_FACILITY_TYPE, organization.facility_type)
        _coded(entry, doc_id, _DE_PRACTICE_SETTING, organization.practice_setting)
        _classification(
            entry,
            doc_id,
            _DE_TYPE,
            doc.type_code,
            _LOINC_OID,
            doc.type_display or jdv.type_label(doc.type_code) or doc.title,
        )
        _external_id(entry, doc_id, _DE_PATIENT_ID, patient_cx, "XDSDocumentEntry.patientId")
        _external_id(entry, doc_id, _DE_UNIQUE_ID, doc.document_id, "XDSDocumentEntry.uniqueId")
        assoc = ET.SubElement(
            objects,
            _r("Association"),
            id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{doc_id}/has-member')}",
            associationType=_HAS_MEMBER,
            sourceObject=ss_id,
            targetObject=doc_id,
        )
        _slot(assoc, "SubmissionSetStatus", "Original")
    return ET.tostring(request, encoding="utf-8", xml_declaration=True)


def _readme(author: AuthorIdentity, title: str, count: int) -> bytes:
    lines = (
        "Paquet IHE XDM (messagerie sécurisée de santé MSSanté)",
        f"Objet : {title}",
        f"Auteur : {author.given_name} {author.family_name} (RPPS {author.rpps})",
        f"Documents CDA R2 : {count}, dans {SUBSET}",
        "Ouvrir INDEX.HTM pour la liste des documents.",
    )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _index(documents: list[XdmDocument], title: str) -> bytes:
    items = "".join(
        f'<li><a href="{SUBSET}/DOC{i:04d}.XML">{html.escape(doc.title)}</a></li>'
        for i, doc in enumerate(documents, start=1)
    )
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f'<ul>{items}</ul><p><a href="{SUBSET}/METADATA.XML">Métadonnées</a></p></body></html>'
    )
    return page.encode("utf-8")


def build_xdm_zip(
    documents: list[XdmDocument],
    *,
    submission_id: str,
    patient: PatientIdentity,
    author: AuthorIdentity,
    title: str,
    created: datetime,
    source_id: str,
) -> bytes:
    """The ``IHE_XDM.ZIP`` bytes for one patient's documents (deterministic for equal inputs).

    ``submission_id`` is the SubmissionSet uniqueId (an OID, see ``identities.new_oid``);
    ``source_id`` the sending system's fixed OID (``settings.XDM_SOURCE_OID``). ``created`` must
    be timezone-aware; the author must have an organisation (authorInstitution).
    """
    if not 1 <= len(documents) <= _MAX_DOCUMENTS:
        raise ValueError("un paquet XDM contient de 1 à 9999 documents")
    for doc in documents:
        if not is_unique_id(doc.document_id):
            raise ValueError(f"identifiant de document invalide : {doc.document_id!r}")
    if not is_oid(source_id):
        raise ValueError(f"OID de la source invalide : {source_id!r}")
    if not is_unique_id(submission_id):
        raise ValueError(f"identifiant de soumission invalide : {submission_id!r}")
    stamp = _dtm(created)
    metadata = _metadata(documents, submission_id, patient, author, title, stamp, source_id)
    members: list[tuple[str, bytes]] = [
        ("README.TXT", _readme(author, title, len(documents))),
        ("INDEX.HTM", _index(documents, title)),
        (f"{SUBSET}/METADATA.XML", metadata),
    ]
    members += [(f"{SUBSET}/DOC{i:04d}.XML", d.cda) for i, d in enumerate(documents, start=1)]
    date_time = created.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
