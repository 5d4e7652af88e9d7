"""Reading a received ``IHE_XDM.ZIP`` safely: bounded ZIP, XML without DTD or entities.

What is refused (``XdmError`` with a French reason): more than ``MAX_MEMBERS`` files, a member
or a total larger than the bounds once decompressed (the sizes announced by the archive are not
trusted: reading stops at the bound), a compression ratio of a zip bomb, an XML document with a
DTD or entity declarations (defusedxml), deeper than ``MAX_DEPTH`` or larger than
``MAX_XML_BYTES``, and a document whose SHA-1 or size differs from its METADATA entry. The
patient's INS is checked (key and OID); a wrong key is reported, not silently dropped.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import asdict, dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from backend.mssante import jdv
from backend.mssante.identities import OID_INS_NIR
from backend.patients.ins import InsError, parse_ins

__all__ = ["XdmError", "XdmPackage", "read_xdm"]

MAX_MEMBERS = 200
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 60 * 1024 * 1024
MAX_RATIO = 200
MAX_XML_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 64
_INS_OIDS = frozenset({OID_INS_NIR, "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"})
_RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
_TYPE_SCHEME = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
_PATIENT_SCHEME = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
_SS_PATIENT_SCHEME = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
_HL7 = "{urn:hl7-org:v3}"


class XdmError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class XdmDocumentInfo:
    uri: str
    title: str
    type_code: str
    type_display: str
    size: int


@dataclass
class XdmPackage:
    ins: str = ""
    ins_oid: str = ""
    ins_status: str = "absent"  # valid | invalid_key | invalid | unknown_oid | absent
    ins_problem: str = ""
    birth_name: str = ""
    given_names: str = ""  # all birth first names, space-separated
    first_name: str = ""  # the first birth first name (CDA qualifier BR)
    birth_date: str = ""  # JJ/MM/AAAA
    sex: str = ""  # M | F | U
    birth_place: str = ""  # INSEE code of the birth commune (99 + country when abroad)
    documents: list[XdmDocumentInfo] = field(default_factory=list)
    cda: dict[str, bytes] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What is stored with the mail (JSON): identity and document list, not the bytes."""
        data = asdict(self)
        del data["cda"]
        return data


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    limit = min(MAX_MEMBER_BYTES, budget)
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise XdmError("xdm_too_large", "Le paquet XDM décompressé dépasse la taille admise.")
    if info.compress_size and len(data) / info.compress_size > MAX_RATIO and len(data) > 1 << 20:
        raise XdmError("zip_bomb", "Le paquet XDM a le taux de compression d'une bombe ZIP.")
    return data


def _members(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise XdmError("xdm_not_zip", "La pièce IHE_XDM.ZIP n'est pas une archive ZIP.") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise XdmError("zip_bomb", "Le paquet XDM contient trop de fichiers.")
        members: dict[str, bytes] = {}
        used = 0
        for info in infos:
            if info.is_dir():
                continue
            try:
                content = _read_member(archive, info, MAX_TOTAL_BYTES - used)
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError) as exc:
                raise XdmError("xdm_corrupt", "Le paquet XDM est endommagé.") from exc
            used += len(content)
            members[info.filename.replace("\\", "/").upper()] = content
        return members


def parse_xml(data: bytes) -> Element:
    """Parse XML with no DTD, no entities, bounded size and depth."""
    if len(data) > MAX_XML_BYTES:
        raise XdmError("xml_too_large", "Un document XML du paquet est trop volumineux.")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XdmError(
            "xml_forbidden",
            "Un document XML du paquet déclare une DTD ou des entités (refusé : bombe XML "
            "ou entité externe possibles).",
        ) from exc
    except ParseError as exc:
        raise XdmError("xml_malformed", "Un document XML du paquet est mal formé.") from exc
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise XdmError("xml_too_deep", "Un document XML du paquet est trop profond.")
        stack.extend((child, depth + 1) for child in node)
    return root


def _slot(node: Element, name: str) -> list[str]:
    for slot in node.findall(f"{_RIM}Slot"):
        if slot.get("name") == name:
            return [v.text or "" for v in slot.iter(f"{_RIM}Value")]
    return []


def _name(node: Element) -> str:
    localized = node.find(f"{_RIM}Name/{_RIM}LocalizedString")
    return (localized.get("value") or "") if localized is not None else ""


def _patient(package: XdmPackage, cx: str) -> None:
    # CX: <INS>^^^&<OID>&ISO^NH
    ins, _, rest = cx.partition("^^^&")
    package.ins, package.ins_oid = ins.strip(), rest.split("&", 1)[0].strip()
    if package.ins_oid not in _INS_OIDS:
        package.ins_status = "unknown_oid"
        package.ins_problem = f"Identifiant patient d'une autorité inconnue ({package.ins_oid})."
        return
    try:
        parse_ins(package.ins)
    except InsError as exc:
        package.ins_status = "invalid_key" if exc.code == "ins_key" else "invalid"
        package.ins_problem = exc.message
        return
    package.ins_status = "valid"


def _source_info(package: XdmPackage, values: list[str]) -> None:
    for value in values:
        key, _, content = value.partition("|")
        if key == "PID-5":
            parts = content.split("^")
            package.birth_name = parts[0]
            package.given_names = parts[1] if len(parts) > 1 else ""
        elif key == "PID-7" and len(content) >= 8:
            package.birth_date = _date(content)
        elif key == "PID-8" and content in {"M", "F", "U"}:
            package.sex = content


def _date(hl7: str) -> str:
    return f"{hl7[6:8]}/{hl7[4:6]}/{hl7[0:4]}" if len(hl7) >= 8 and hl7[:8].isdigit() else ""


def _text(node: Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def _record_target(package: XdmPackage, cda: Element) -> None:
    """Completes the identity from the CDA's recordTarget (the strict traits as written by the
    author: birth name and first names qualified BR, sex, birth date, INSEE birth place).
    METADATA.XML wins where both give a value; the birth place is only in the CDA."""
    person = cda.find(f"{_HL7}recordTarget/{_HL7}patientRole/{_HL7}patient")
    if person is None:
        return
    for name in person.findall(f"{_HL7}name"):
        for given in name.findall(f"{_HL7}given"):
            if given.get("qualifier") == "BR":
                package.first_name = package.first_name or _text(given)
            elif not given.get("qualifier"):
                package.given_names = package.given_names or _text(given)
        for family in name.findall(f"{_HL7}family"):
            if family.get("qualifier") in {"BR", None}:
                package.birth_name = package.birth_name or _text(family)
    gender = person.find(f"{_HL7}administrativeGenderCode")
    if gender is not None and gender.get("code") in {"M", "F", "U"}:
        package.sex = package.sex or str(gender.get("code"))
    birth = person.find(f"{_HL7}birthTime")
    if birth is not None:
        package.birth_date = package.birth_date or _date(birth.get("value") or "")
    place = person.find(f"{_HL7}birthplace/{_HL7}place/{_HL7}addr/{_HL7}county")
    code = _text(place)
    if len(code) == 5 and code[:2].isalnum() and code[2:].isdigit():
        package.birth_place = code


def read_xdm(data: bytes) -> XdmPackage:
    members = _members(data)
    metadata = next((v for k, v in members.items() if k.endswith("/METADATA.XML")), None)
    if metadata is None:
        raise XdmError("xdm_no_metadata", "Le paquet XDM ne contient pas de METADATA.XML.")
    root = parse_xml(metadata)
    package = XdmPackage()
    for entry in root.iter(f"{_RIM}ExtrinsicObject"):
        uri = (_slot(entry, "URI") or [""])[0]
        path = next((k for k in members if k.endswith("/" + uri.upper())), None)
        if not uri or path is None:
            raise XdmError("xdm_missing_document", f"Le document « {uri} » manque au paquet.")
        content = members[path]
        expected_size = (_slot(entry, "size") or [""])[0]
        expected_hash = (_slot(entry, "hash") or [""])[0].lower()
        if expected_size and expected_size != str(len(content)):
            raise XdmError(
                "xdm_size_mismatch", f"La taille du document « {uri} » ne correspond pas."
            )
        digest = hashlib.sha1(content, usedforsecurity=False).hexdigest()
        if expected_hash and expected_hash != digest:
            raise XdmError(
                "xdm_hash_mismatch", f"L'empreinte du document « {uri} » ne correspond pas."
            )
        cda = parse_xml(content)  # the CDA must itself be safe, well-formed XML
        type_code = type_display = ""
        for classification in entry.findall(f"{_RIM}Classification"):
            if classification.get("classificationScheme") == _TYPE_SCHEME:
                type_code = classification.get("nodeRepresentation") or ""
                # A sender that leaves the name out still gets the type shown in French.
                type_display = _name(classification) or jdv.type_label(type_code)
        for identifier in entry.findall(f"{_RIM}ExternalIdentifier"):
            if identifier.get("identificationScheme") == _PATIENT_SCHEME and not package.ins:
                _patient(package, identifier.get("value") or "")
        _source_info(package, _slot(entry, "sourcePatientInfo"))
        _record_target(package, cda)
        package.documents.append(
            XdmDocumentInfo(uri, _name(entry), type_code, type_display, len(content))
        )
        package.cda[uri] = content
    if not package.ins:
        for identifier in root.iter(f"{_RIM}ExternalIdentifier"):
            if identifier.get("identificationScheme") == _SS_PATIENT_SCHEME:
                _patient(package, identifier.get("value") or "")
    if not package.first_name and package.given_names:
        package.first_name = package.given_names.split()[0]
    if not package.documents:
        raise XdmError("xdm_empty", "Le paquet XDM ne décrit aucun document.")
    return package
