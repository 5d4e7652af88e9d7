"""The received XDM's patient identity is read completely: birth name, birth first names (all and
the first), sex, birth date, INSEE birth place, INS and OID; compared with a known patient."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from backend.mssante.identities import PatientIdentity
from backend.mssante.inbox.identity import known_patient, xdm_identity
from backend.mssante.inbox.samples import pdf_bytes, sample_xdm
from backend.mssante.inbox.xdm_read import read_xdm

PATIENT = PatientIdentity(
    ins="285037728417346",
    ins_oid="1.2.250.1.213.1.4.10",
    birth_name="LEFEBVRE",
    first_names=("Marie", "Louise"),
    birth_date=datetime.date(1985, 3, 14),
    sex="F",
    birth_place="77284",
)


def _package() -> dict:
    xdm = sample_xdm(PATIENT, pdf_bytes("Lettre"), title="Lettre de liaison", type_code="11490-0")
    return read_xdm(xdm).summary()


def test_every_strict_trait_and_the_ins_with_its_oid_are_read() -> None:
    identity = xdm_identity(_package())
    assert identity["birth_name"] == "LEFEBVRE"
    assert identity["given_names"] == "Marie Louise"
    assert identity["first_name"] == "Marie"
    assert identity["sex"] == "F" and identity["sex_label"] == "Féminin"
    assert identity["birth_date"] == "14/03/1985"
    assert identity["birth_place"] == "77284"  # from the CDA's recordTarget: no table, the code
    assert identity["ins"] == "285037728417346" and identity["ins_status"] == "valid"
    assert identity["ins_oid"] == "1.2.250.1.213.1.4.10"
    assert identity["ins_oid_label"] == "INS de test"


def test_an_older_stored_summary_gets_every_field() -> None:
    identity = xdm_identity({"ins": "285037728417346", "given_names": "Marie Louise"})
    assert identity["first_name"] == "Marie"
    assert identity["birth_place"] == "" and identity["sex_label"] == ""


def _message(**traits: object) -> SimpleNamespace:
    known = {
        "pk": "p1",
        "birth_name": "Lefèbvre",
        "first_names": ["Marie", "Louise"],
        "birth_date": datetime.date(1985, 3, 14),
        "sex": "F",
        "birth_place": "77284",
        "ins": "285037728417346",
        "identity_status": "QUAL",
        "get_identity_status_display": lambda: "Qualifiée",
    } | traits
    return SimpleNamespace(patient=SimpleNamespace(**known), xdm=_package())


def test_a_known_patient_whose_traits_agree_shows_no_difference() -> None:
    found = known_patient(_message())  # type: ignore[arg-type]
    assert found is not None
    assert found["differences"] == []  # accents and case do not count
    assert found["birth_date"] == "14/03/1985" and found["identity_status"] == "QUAL"


def test_differing_traits_are_named() -> None:
    message = _message(birth_date=datetime.date(1985, 3, 15), birth_place="77285")
    found = known_patient(message)  # type: ignore[arg-type]
    assert found is not None and found["differences"] == ["birth_date", "birth_place"]


def test_no_known_patient_gives_none() -> None:
    assert known_patient(SimpleNamespace(patient=None, xdm={})) is None  # type: ignore[arg-type]
