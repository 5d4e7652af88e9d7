"""INS / NIR checking and decoding (backend.patients.ins). Pure Python, no Django needed.

All numbers are the ANS example or generated: none belongs to a real patient.
"""

from __future__ import annotations

import datetime

import pytest

from backend.patients.ins import (
    OID_DEMO,
    OID_NIA,
    OID_NIR,
    OID_TEST,
    InsError,
    ins_key,
    make_ins,
    parse_ins,
)

EXAMPLE = "285037728417346"  # ANS example: a woman, born March 1985, département 77
TODAY = datetime.date(2025, 6, 15)


def reference_key(body13: str) -> str:
    """Key computed independently of the module: Corsica as "20" minus 1 (2A) or 2 (2B) million."""
    corsica_offset = {"2A": 1_000_000, "2B": 2_000_000}.get(body13[5:7], 0)
    number = int(body13[:5] + ("20" if corsica_offset else body13[5:7]) + body13[7:])
    return f"{97 - (number - corsica_offset) % 97:02d}"


def with_key(body13: str) -> str:
    return body13 + reference_key(body13)


def error_code(raw: str) -> str:
    with pytest.raises(InsError) as excinfo:
        parse_ins(raw, today=TODAY)
    return excinfo.value.code


# --- The ANS example --------------------------------------------------------------------


def test_example_is_decoded_as_a_woman_born_in_march_1985_in_departement_77() -> None:
    info = parse_ins(EXAMPLE, today=TODAY)
    assert info.ins == EXAMPLE
    assert info.sex == "F"
    assert info.birth_year == 1985
    assert info.birth_month == 3
    assert info.birth_month_source == "known"
    assert info.birth_department == "77"
    assert not info.born_abroad
    assert info.place_code == "284"
    assert info.insee_place_code == "77284"
    assert info.key == "46"


def test_example_summary_is_a_french_sentence() -> None:
    summary = parse_ins(EXAMPLE, today=TODAY).summary
    assert summary == "Une femme, née en mars 1985, née dans le département 77"


def test_mssante_address_is_ins_at_patient_domain() -> None:
    assert parse_ins(EXAMPLE).mssante_address == "285037728417346@patient.mssante.fr"


def test_reference_key_matches_the_example() -> None:
    assert with_key(EXAMPLE[:13]) == EXAMPLE
    assert ins_key(EXAMPLE[:13]) == "46"


def test_oids_follow_the_ins_branch() -> None:
    assert OID_NIR == "1.2.250.1.213.1.4.8"
    assert OID_NIA == "1.2.250.1.213.1.4.9"
    assert OID_TEST == "1.2.250.1.213.1.4.10"
    assert OID_DEMO == "1.2.250.1.213.1.4.11"


# --- Normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2 85 03 77 284 173 46",
        " 285037728417346 ",
        "2 85 03\t77 284 173\u00a046",
        "285 037 728 417 346",
    ],
)
def test_spaces_are_tolerated(raw: str) -> None:
    assert parse_ins(raw, today=TODAY).ins == EXAMPLE


def test_corsica_letter_is_upper_cased() -> None:
    ins = make_ins("F", 1985, 3, "2A", "004", 12)
    assert parse_ins(ins.lower(), today=TODAY).ins == ins


# --- Errors, one per code ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_empty_ins_is_rejected_with_ins_empty(raw: str) -> None:
    assert error_code(raw) == "ins_empty"


@pytest.mark.parametrize("raw", [EXAMPLE[:-1], EXAMPLE + "0", EXAMPLE[:13], "1"])
def test_ins_not_15_characters_is_rejected_with_ins_length(raw: str) -> None:
    assert error_code(raw) == "ins_length"


@pytest.mark.parametrize(
    "raw",
    [
        "28503772841734X",  # letter in the key
        "2A5037728417346",  # 2A outside positions 6-7
        "285032C28417346",  # only 2A / 2B are Corsica
        "2850377A8417346",  # letter in the commune
        "28503-728417346",
        "2850377284173٤٦",  # non-ASCII digits
    ],
)
def test_non_digit_characters_are_rejected_with_ins_characters(raw: str) -> None:
    assert error_code(raw) == "ins_characters"


@pytest.mark.parametrize("sex_digit", ["0", "5", "6", "9"])
def test_first_digit_other_than_1_2_3_4_7_8_is_rejected_with_ins_sex(sex_digit: str) -> None:
    assert error_code(with_key(sex_digit + EXAMPLE[1:13])) == "ins_sex"


@pytest.mark.parametrize("month", ["00", "13", "15", "19", "43", "45", "49"])
def test_month_outside_allowed_ranges_is_rejected_with_ins_month(month: str) -> None:
    assert error_code(with_key(EXAMPLE[:3] + month + EXAMPLE[5:13])) == "ins_month"


@pytest.mark.parametrize("place", ["00284", "97011", "97911", "98011", "98311"])
def test_unknown_departement_is_rejected_with_ins_department(place: str) -> None:
    assert error_code(with_key(EXAMPLE[:5] + place + EXAMPLE[10:13])) == "ins_department"


@pytest.mark.parametrize("wrong_key", ["00", "45", "47", "64", "97", "99"])
def test_wrong_key_is_rejected_with_ins_key(wrong_key: str) -> None:
    assert error_code(EXAMPLE[:13] + wrong_key) == "ins_key"


def test_swapped_digits_are_caught_by_the_key() -> None:
    swapped = EXAMPLE[:10] + EXAMPLE[11] + EXAMPLE[10] + EXAMPLE[12:]
    assert error_code(swapped) == "ins_key"


def test_ins_error_is_a_value_error_with_a_french_message() -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_ins(EXAMPLE[:13] + "00")
    error = excinfo.value
    assert isinstance(error, InsError)
    assert error.message == str(error)
    assert "clé" in error.message


def test_key_error_message_does_not_reveal_the_expected_key() -> None:
    with pytest.raises(InsError) as excinfo:
        parse_ins(EXAMPLE[:13] + "00")
    assert "46" not in excinfo.value.message


def test_structure_is_checked_before_the_key() -> None:
    # Bad month and bad key together: the month, the more basic error, is reported.
    assert error_code(EXAMPLE[:3] + "13" + EXAMPLE[5:13] + "00") == "ins_month"


# --- Corsica ----------------------------------------------------------------------------------


def test_corsica_2a_key_is_computed_with_19() -> None:
    ins = make_ins("F", 1985, 3, "2A", "004", 12)
    assert ins[5:7] == "2A"
    assert ins[13:] == reference_key(ins[:13])
    assert ins[13:] == f"{97 - int(ins[:5] + '19' + ins[7:13]) % 97:02d}"


def test_corsica_2b_key_is_computed_with_18() -> None:
    ins = make_ins("M", 1990, 11, "2B", "033", 250)
    assert ins[5:7] == "2B"
    assert ins[13:] == reference_key(ins[:13])
    assert ins[13:] == f"{97 - int(ins[:5] + '18' + ins[7:13]) % 97:02d}"


@pytest.mark.parametrize("department", ["2A", "2B"])
def test_corsica_ins_is_decoded_with_its_departement(department: str) -> None:
    info = parse_ins(make_ins("F", 1985, 3, department, "004", 12), today=TODAY)
    assert info.birth_department == department
    assert info.place_code == "004"
    assert info.summary == f"Une femme, née en mars 1985, née dans le département {department}"


@pytest.mark.parametrize("department", ["2A", "2B"])
def test_corsica_key_computed_as_if_20_is_rejected(department: str) -> None:
    body = "18503" + department + "004012"
    key_as_20 = reference_key(body[:5] + "20" + body[7:])
    assert key_as_20 != reference_key(body)
    assert error_code(body + key_as_20) == "ins_key"


def test_departement_20_of_corsica_before_1976_is_accepted() -> None:
    info = parse_ins(with_key("1650320004012"), today=TODAY)
    assert info.birth_department == "20"
    assert info.birth_year == 1965


# --- Birth month ------------------------------------------------------------------------------


@pytest.mark.parametrize("month", range(1, 13))
def test_months_01_to_12_are_known(month: int) -> None:
    info = parse_ins(make_ins("F", 1985, month, "77", "284", 173), today=TODAY)
    assert (info.birth_month, info.birth_month_source) == (month, "known")


@pytest.mark.parametrize("month", [*range(20, 31), 50, 63, 99])
def test_months_20_to_30_and_from_50_are_unknown(month: int) -> None:
    info = parse_ins(make_ins("F", 1985, month, "77", "284", 173), today=TODAY)
    assert info.birth_month is None
    assert info.birth_month_source == "unknown"
    assert info.summary == "Une femme, née en 1985 (mois inconnu), née dans le département 77"


@pytest.mark.parametrize("month", range(31, 43))
def test_months_31_to_42_come_from_an_incomplete_document(month: int) -> None:
    info = parse_ins(make_ins("F", 1985, month, "77", "284", 173), today=TODAY)
    assert info.birth_month == month - 30
    assert info.birth_month_source == "incomplete_document"


def test_incomplete_document_month_is_named_in_the_summary() -> None:
    info = parse_ins(make_ins("F", 1985, 33, "77", "284", 173), today=TODAY)
    assert info.summary == (
        "Une femme, née en mars 1985 (mois d'après un document incomplet), "
        "née dans le département 77"
    )


@pytest.mark.parametrize(
    ("month", "name"), [(1, "janvier"), (2, "février"), (8, "août"), (12, "décembre")]
)
def test_summary_uses_lower_case_french_month_names(month: int, name: str) -> None:
    info = parse_ins(make_ins("M", 1985, month, "77", "284", 173), today=TODAY)
    assert f"né en {name} 1985," in info.summary


def test_summary_of_a_man_uses_masculine_forms() -> None:
    info = parse_ins(make_ins("M", 1985, 3, "77", "284", 173), today=TODAY)
    assert info.sex == "M"
    assert info.summary == "Un homme, né en mars 1985, né dans le département 77"


# --- Birth place ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "department", ["971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988"]
)
def test_overseas_departement_has_3_digits_and_a_2_digit_commune(department: str) -> None:
    info = parse_ins(make_ins("F", 1985, 3, department, "11", 42), today=TODAY)
    assert info.birth_department == department
    assert info.place_code == "11"
    assert info.insee_place_code == department + "11"
    assert not info.born_abroad
    assert info.summary.endswith(f"née dans le département {department}")


def test_born_abroad_has_departement_99_and_a_country_code() -> None:
    info = parse_ins(make_ins("F", 1985, 3, "99", "134", 7), today=TODAY)
    assert info.born_abroad
    assert info.birth_department == "99"
    assert info.place_code == "134"
    assert info.summary == "Une femme, née en mars 1985, née à l'étranger"


def test_born_abroad_man_summary() -> None:
    info = parse_ins(make_ins("M", 1970, 22, "99", "352", 7), today=TODAY)
    assert info.summary == "Un homme, né en 1970 (mois inconnu), né à l'étranger"


# --- Century heuristic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "today", "expected"),
    [
        (2025, datetime.date(2025, 1, 1), 2025),  # this year's two digits: this century
        (2025, datetime.date(2024, 12, 31), 1925),  # a year "in the future": previous century
        (2000, TODAY, 2000),
        (1999, TODAY, 1999),
        (1926, TODAY, 1926),
        (1920, TODAY, 2020),  # known limit: centenarians are read in the wrong century
    ],
)
def test_birth_year_is_the_latest_not_after_today(
    year: int, today: datetime.date, expected: int
) -> None:
    info = parse_ins(make_ins("F", year, 3, "77", "284", 173), today=today)
    assert info.birth_year == expected


def test_birth_year_defaults_to_the_current_date() -> None:
    this_year = datetime.date.today().year
    assert parse_ins(make_ins("F", this_year, 1, "77", "284", 1)).birth_year == this_year


# --- ins_key and make_ins ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["", "285037728417", "28503772841734", "28503X7284173", "2 85037728417"]
)
def test_ins_key_refuses_a_malformed_body(body: str) -> None:
    with pytest.raises(ValueError):
        ins_key(body)


def test_ins_key_has_two_digits_even_when_small() -> None:
    # 97 - n mod 97 ranges over 1..97: a body whose remainder is 96 gets key "01".
    body = next(
        f"1850377284{order:03d}"
        for order in range(1000)
        if int(f"1850377284{order:03d}") % 97 == 96
    )
    assert ins_key(body) == "01"


@pytest.mark.parametrize(
    ("sex", "year", "month", "department", "commune", "order"),
    [
        ("F", 1985, 3, "77", "284", 173),
        ("M", 2003, 12, "13", "055", 1),
        ("F", 1950, 35, "2B", "096", 999),
        ("M", 1968, 99, "974", "11", 500),
        ("F", 2010, 20, "99", "212", 12),
    ],
)
def test_make_ins_round_trips_through_parse_ins(
    sex: str, year: int, month: int, department: str, commune: str, order: int
) -> None:
    ins = make_ins(sex, year, month, department, commune, order)
    assert len(ins) == 15
    assert ins[13:] == reference_key(ins[:13])
    info = parse_ins(ins, today=TODAY)
    assert info.sex == sex
    assert info.birth_year == year
    assert info.birth_department == department
    assert info.place_code == commune
    assert ins[10:13] == f"{order:03d}"


def test_make_ins_reproduces_the_example() -> None:
    assert make_ins("F", 1985, 3, "77", "284", 173) == EXAMPLE


@pytest.mark.parametrize(
    ("sex", "year", "month", "department", "commune", "order"),
    [
        ("X", 1985, 3, "77", "284", 173),  # sex
        ("F", 1985, 100, "77", "284", 173),  # month beyond 2 digits
        ("F", 1985, 3, "77", "284", 0),  # order
        ("F", 1985, 3, "77", "284", 1000),
        ("F", 1985, 3, "974", "284", 1),  # overseas commune has 2 digits
        ("F", 1985, 3, "2C", "284", 1),  # not a Corsica code
        ("F", 1985, 13, "77", "284", 1),  # rejected by parse_ins: ins_month
        ("F", 1985, 3, "00", "284", 1),  # rejected by parse_ins: ins_department
    ],
)
def test_make_ins_refuses_impossible_values(
    sex: str, year: int, month: int, department: str, commune: str, order: int
) -> None:
    with pytest.raises(ValueError):
        make_ins(sex, year, month, department, commune, order)
