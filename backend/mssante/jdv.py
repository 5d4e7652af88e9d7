"""The national value sets (JDV / TRE of the ANS) the CDA header and the XDM metadata draw from.

Only the codes the platform emits. Each one is checked in the suite by the official validators
(the « structuration minimale » schematron reads JDV_J01, J02, J04, J07, J142 and HL7
Confidentiality); the XDM-only ones (J06/J57 classCode, J59 contentTypeCode, TRE_A07 visibility)
come from the ANS terminology IG, ``ans.fr.terminologies`` 1.12.0.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = [
    "Code",
    "author_role",
    "class_code",
    "confidentiality",
    "content_type",
    "facility_type",
    "practice_setting",
    "type_label",
    "visibility_codes",
]

OID_G15_PROFESSION = "1.2.250.1.213.1.1.4.5"  # TRE_G15 / JDV_J01 (author specialty)
OID_R02_SECTOR = "1.2.250.1.71.4.2.4"  # TRE_R02 SecteurActivite (JDV_J02 facility type)
OID_PRACTICE_SETTING = "1.2.250.1.213.1.1.4.9"  # JDV_J04 practice setting
OID_CLASS = "1.2.250.1.213.1.1.4.1"  # TRE_A03 ClasseDocument (JDV_J57 classCode DMP)
OID_ACTIVITY_TYPE = "1.2.250.1.213.2.2"  # TRE_R209 TypeActivite (JDV_J59 contentTypeCode DMP)
OID_VISIBILITY = "1.2.250.1.213.1.1.4.13"  # TRE_A07 StatusVisibiliteDocument
OID_CONFIDENTIALITY = "2.16.840.1.113883.5.25"
OID_ACT_CODE = "2.16.840.1.113883.5.4"  # JDV_J142 TypeRencontre (HL7 ActCode)


@dataclass(frozen=True)
class Code:
    code: str
    system: str
    display: str


_PROFESSIONS = {
    "10": "Médecin",
    "21": "Pharmacien",
    "40": "Chirurgien-Dentiste",
    "50": "Sage-Femme",
    "60": "Infirmier",
    "70": "Masseur-Kinésithérapeute",
    "80": "Pédicure-Podologue",
    "91": "Orthophoniste",
    "92": "Orthoptiste",
}
# Doctor's specialty (qualification, SM codes of JDV_J01), matched on the normalised specialty.
_DOCTOR_SPECIALTIES = {
    "CARDIOLOGIE": ("SM04", "Cardiologie et maladies vasculaires"),
    "DERMATOLOGIE": ("SM15", "Dermatologie et Vénéréologie"),
    "ENDOCRINOLOGIE": ("SM16", "Endocrinologie et métabolisme"),
    "GERIATRIE": ("SM18", "Gériatrie"),
    "MEDECINE GENERALE": ("SM54", "Médecine Générale"),
    "MEDECINE INTERNE": ("SM27", "Médecine interne"),
    "PEDIATRIE": ("SM40", "Pédiatrie"),
    "PNEUMOLOGIE": ("SM41", "Pneumologie"),
    "PSYCHIATRIE": ("SM42", "Psychiatrie"),
    "RHUMATOLOGIE": ("SM48", "Rhumatologie"),
    "GASTRO ENTEROLOGIE": ("SM24", "Gastro-entérologie et hépatologie"),
}


def _plain(value: str) -> str:
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("-", " ").upper().split())


def author_role(profession_code: str, specialty: str = "") -> Code:
    """JDV_J01 code of the author: ``G15_10/SM04`` (cardiologist), ``G15_10`` (a doctor whose
    specialty is not in the table), ``G15_60`` (nurse)..."""
    profession = profession_code if profession_code in _PROFESSIONS else "10"
    label = _PROFESSIONS[profession]
    if profession == "10":
        plain = _plain(specialty)
        for key, (sm, name) in _DOCTOR_SPECIALTIES.items():
            if key in plain:
                return Code(f"G15_10/{sm}", OID_G15_PROFESSION, f"Médecin - {name} (SM)")
    return Code(f"G15_{profession}", OID_G15_PROFESSION, label)


# Organisation kind (accounts.Organization.Kind) -> JDV_J02 facility type, JDV_J04 setting.
_FACILITY = {
    "hospital": (
        "SA01",
        "Etablissement public de santé",
        "ETABLISSEMENT",
        "Etablissement de santé",
    ),
    "ehpad": (
        "SA17",
        "Etablissement pour personnes âgées",
        "ESSMS",
        "Etablissement ou Service Social ou Médico-Social",
    ),
    "ssiad": ("SA17", "Etablissement pour personnes âgées", "SAD", "Soins à domicile"),
    "practice": ("SA07", "Cabinet individuel", "AMBULATOIRE", "Ambulatoire"),
    "msp": ("SA08", "Cabinet de groupe", "AMBULATOIRE", "Ambulatoire"),
    "dac": ("SA05", "Centre de santé", "AMBULATOIRE", "Ambulatoire"),
    "lab": ("SA25", "Laboratoire de biologie médicale", "AMBULATOIRE", "Ambulatoire"),
}
_DEFAULT_FACILITY = ("SA30", "Autre établissement sanitaire", "AMBULATOIRE", "Ambulatoire")


def facility_type(kind: str) -> Code:
    code, display, _, _ = _FACILITY.get(kind, _DEFAULT_FACILITY)
    return Code(code, OID_R02_SECTOR, display)


def practice_setting(kind: str) -> Code:
    _, _, code, display = _FACILITY.get(kind, _DEFAULT_FACILITY)
    return Code(code, OID_PRACTICE_SETTING, display)


# JDV_J57 classCode (TRE_A03) displays, by code.
_CLASSES = {
    "10": "Compte rendu",
    "11": "Synthèse",
    "42": "Prescription",
    "43": "Dispensation",
}
# LOINC document type (JDV_J07 XdsTypeCode, ans.fr.terminologies 1.12.0) -> (classCode, the
# type's French display). The types the platform and its demo/test senders use: a prescription
# filed as « Compte rendu » would land in the wrong class of the receiver's record (and DMP).
_DOCUMENT_TYPES = {
    "11488-4": ("10", "CR ou fiche de consultation ou de visite"),
    "11490-0": ("10", "Lettre de liaison à la sortie d'un établissement de soins"),
    "11502-2": ("10", "CR d'examens biologiques"),
    "34133-9": ("11", "Synthèse d'épisode de soins"),
    "57828-6": ("42", "Prescription (autre)"),
    "57832-8": ("42", "Prescription de soins"),  # e.g. nursing care asked of an SSIAD
    "57833-6": ("42", "Prescription de produits de santé"),
    "60591-5": ("11", "Synthèse médicale"),
    "60593-1": ("43", "Dispensation médicamenteuse"),
    "85208-7": ("10", "CR de télémédecine"),
}


def class_code(type_code: str) -> Code:
    """JDV_J57 classCode of a LOINC document type; « Compte rendu » for a type not listed."""
    code = _DOCUMENT_TYPES.get(type_code, ("10", ""))[0]
    return Code(code, OID_CLASS, _CLASSES[code])


def type_label(type_code: str) -> str:
    """The JDV_J07 French display of a LOINC document type, "" for a type not listed."""
    return _DOCUMENT_TYPES.get(type_code, ("", ""))[1]


def content_type() -> Code:
    """JDV_J59: "07" (consultation, soins externes), the HL7 v2 mapping of an outpatient act."""
    return Code("07", OID_ACTIVITY_TYPE, "Consultation Soins Externes")


_CONFIDENTIALITY_DISPLAY = {"N": "Normal", "R": "Restreint", "V": "Très restreint"}


def confidentiality(code: str) -> Code:
    return Code(code, OID_CONFIDENTIALITY, _CONFIDENTIALITY_DISPLAY[code])


# The author's visibility choice for the patient's record (DMP), as XDM confidentialityCodes.
VISIBILITY_CODES = {
    "normal": (),
    "masked_professionals": (("MASQUE_PS", "Document masqué aux professionnels de santé"),),
    "invisible_patient": (("INVISIBLE_PATIENT", "Document non visible par le patient"),),
    "invisible_representatives": (
        ("INVISIBLE_REP_LEGAUX", "Document non visible par les représentants légaux du patient"),
    ),
}


def visibility_codes(visibility: str) -> list[Code]:
    return [Code(c, OID_VISIBILITY, d) for c, d in VISIBILITY_CODES[visibility]]


def encounter(code: str) -> Code:
    """JDV_J142: "VR" for teleexpertise (patient absent), "AMB" for other exchanges."""
    displays = {"VR": "Virtuelle", "AMB": "Ambulatoire (hors établissement)"}
    return Code(code, OID_ACT_CODE, displays[code])
