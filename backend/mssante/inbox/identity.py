"""The patient identity a received XDM carries, as the reader sees it, beside the known patient.

The XDM gives the INS (with the OID of its authority) and the strict traits (birth name, birth
first names, sex, birth date, INSEE code of the birth place). When the INS matches a patient of
the mailbox's structures, the reader also sees that patient's traits and which traits differ
(identity vigilance: a mismatch is a warning, never a silent correction). No INSEE commune table
ships with the platform: the birth place is shown as its code.
"""

from __future__ import annotations

from typing import Any

from backend.mssante.inbox.models import InboundMessage
from backend.patients.traits import normalise_name

__all__ = ["OID_LABELS", "known_patient", "xdm_identity"]

OID_LABELS = {
    "1.2.250.1.213.1.4.8": "NIR (production)",
    "1.2.250.1.213.1.4.9": "NIA",
    "1.2.250.1.213.1.4.10": "INS de test",
    "1.2.250.1.213.1.4.11": "INS de démonstration",
}
_SEX = {"M": "Masculin", "F": "Féminin", "U": "Inconnu"}


def xdm_identity(xdm: dict[str, Any]) -> dict[str, Any]:
    """The stored XDM summary with every identity field present (older rows lack some)."""
    data = dict(xdm)
    for name in ("birth_name", "given_names", "first_name", "birth_date", "sex", "birth_place"):
        data.setdefault(name, "")
    if not data["first_name"] and data["given_names"]:
        data["first_name"] = data["given_names"].split()[0]
    data["sex_label"] = _SEX.get(data["sex"], "")
    data["ins_oid_label"] = OID_LABELS.get(data.get("ins_oid", ""), "")
    return data


def _differences(xdm: dict[str, Any], patient: Any) -> list[str]:
    found = []
    if xdm["birth_name"] and normalise_name(xdm["birth_name"]) != normalise_name(
        patient.birth_name
    ):
        found.append("birth_name")
    known_first = normalise_name(" ".join(patient.first_names))
    if xdm["given_names"] and normalise_name(xdm["given_names"]) != known_first:
        found.append("first_names")
    if xdm["birth_date"] and xdm["birth_date"] != f"{patient.birth_date:%d/%m/%Y}":
        found.append("birth_date")
    if xdm["sex"] and patient.sex and xdm["sex"] != patient.sex:
        found.append("sex")
    if xdm["birth_place"] and patient.birth_place and xdm["birth_place"] != patient.birth_place:
        found.append("birth_place")
    return found


def known_patient(message: InboundMessage) -> dict[str, Any] | None:
    """The patient the XDM's INS matched (``None`` when none), and the traits that differ."""
    patient = message.patient
    if patient is None:
        return None
    xdm = xdm_identity(message.xdm or {})
    return {
        "id": str(patient.pk),
        "birth_name": patient.birth_name,
        "first_names": list(patient.first_names),
        "birth_date": f"{patient.birth_date:%d/%m/%Y}",
        "sex": patient.sex,
        "birth_place": patient.birth_place or "",
        "ins": patient.ins,
        "identity_status": patient.identity_status,
        "identity_status_label": patient.get_identity_status_display(),
        "differences": _differences(xdm, patient),
    }
