"""Identifiers of issue 16 item 6: temporary and NIA matricules (first digit 3/4/7/8) with the NIA
OID, département 96 (born in Tunisia before 1956), Corsican FINESS (2A/2B), test OIDs outside
production, and the traits an INS must agree with before qualification."""

from __future__ import annotations

import datetime

import pytest

from backend.accounts.identifiers import is_valid_finess, make_finess
from backend.mssante.identities import OrganizationIdentity
from backend.patients.ins import OID_NIA, OID_NIR, OID_TEST, ins_oid, make_ins, parse_ins
from backend.patients.traits import Traits, normalise_name, traits_mismatches


@pytest.mark.parametrize(
    ("digit", "sex", "kind"),
    [("3", "M", "temporary"), ("4", "F", "temporary"), ("7", "M", "NIA"), ("8", "F", "NIA")],
)
def test_temporary_and_nia_matricules_are_valid_with_the_nia_oid(digit, sex, kind):
    ins = make_ins(digit, 1990, 7, "72", "181", 44)
    info = parse_ins(ins)
    assert (info.sex, info.kind) == (sex, kind)
    assert ins_oid(ins, test_data=False) == OID_NIA
    assert ins_oid(ins, test_data=True) == OID_TEST


def test_a_nir_gets_the_nir_oid_in_production_and_the_test_oid_elsewhere():
    ins = make_ins("F", 1985, 3, "77", "284", 173)
    assert ins_oid(ins, test_data=False) == OID_NIR
    assert ins_oid(ins, test_data=True) == OID_TEST


def test_born_in_tunisia_before_1956_is_department_96_and_agrees_with_the_country_code():
    ins = make_ins("M", 1950, 4, "96", "123", 7)
    info = parse_ins(ins)
    assert info.birth_department == "96" and not info.born_abroad
    traits = Traits("BEN SALAH", ["Ali"], datetime.date(1950, 4, 2), "M", "99351")
    assert traits_mismatches(info, traits) == []
    elsewhere = Traits("BEN SALAH", ["Ali"], datetime.date(1950, 4, 2), "M", "75056")
    assert traits_mismatches(info, elsewhere) == ["lieu de naissance"]


def test_the_traits_must_agree_with_the_matricule():
    info = parse_ins(make_ins("F", 1985, 3, "77", "284", 173))
    good = Traits("LEFEBVRE", ["Marie"], datetime.date(1985, 3, 14), "F", "77284")
    assert traits_mismatches(info, good) == []
    bad = Traits("LEFEBVRE", ["Marie"], datetime.date(1986, 4, 14), "M", "72181")
    assert traits_mismatches(info, bad) == [
        "sexe",
        "année de naissance",
        "mois de naissance",
        "lieu de naissance",
    ]


def test_names_compare_without_accents_case_or_separators():
    typographic = normalise_name("Lefèvre-d\u2019Arc ")
    assert typographic == normalise_name("LEFEVRE D'ARC") == "LEFEVRE D ARC"
    same = Traits("Hébert", ["Éloïse"], datetime.date(1990, 7, 21), "F", "72181")
    typed = Traits("HEBERT", ["eloise", "Anne"], datetime.date(1990, 7, 21), "F", "72181")
    assert same.key() == typed.key()


@pytest.mark.parametrize("finess", ["2B0000020", make_finess("2A000001"), make_finess("2B123456")])
def test_corsican_finess_are_valid_with_a_read_as_1_and_b_as_2(finess):
    assert is_valid_finess(finess)
    assert OrganizationIdentity(finess=finess, name="CH de Bastia").national_id == "1" + finess


@pytest.mark.parametrize("finess", ["2B0000021", "2C0000020", "2A000002"])
def test_a_wrong_corsican_finess_is_refused(finess):
    assert not is_valid_finess(finess)
