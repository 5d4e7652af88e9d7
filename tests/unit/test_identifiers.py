"""RPPS / ADELI / FINESS identifiers (backend.accounts.identifiers). No database needed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from backend.accounts.identifiers import (
    is_valid_adeli,
    is_valid_finess,
    is_valid_rpps,
    luhn_is_valid,
    luhn_key,
    make_finess,
    make_rpps,
    national_id_pp,
    validate_adeli,
    validate_finess,
    validate_rpps,
)

VALID_RPPS = "10001045367"  # ANS example
VALID_FINESS = "720000025"  # ANS example
VALID_ADELI = "751012345"  # shape only: ADELI keys are not checked


def _other_last_digits(value: str) -> list[str]:
    return [value[:-1] + digit for digit in "0123456789" if digit != value[-1]]


# --- Luhn -------------------------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["0", "18", "79927398713", "4539578763621486"])
def test_luhn_accepts_known_valid_numbers(digits: str) -> None:
    assert luhn_is_valid(digits)


@pytest.mark.parametrize("digits", ["1", "79927398710", "4539578763621487"])
def test_luhn_rejects_wrong_check_digit(digits: str) -> None:
    assert not luhn_is_valid(digits)


@pytest.mark.parametrize("digits", ["", "12a4", "1234 5", "-18", "\u0661\u0668", "\u00b2"])
def test_luhn_rejects_empty_or_non_ascii_digit_input(digits: str) -> None:
    assert not luhn_is_valid(digits)


@pytest.mark.parametrize(
    ("body", "key"), [("7992739871", "3"), ("1000104536", "7"), ("72000002", "5"), ("0", "0")]
)
def test_luhn_key_is_the_digit_completing_the_body(body: str, key: str) -> None:
    assert luhn_key(body) == key
    assert luhn_is_valid(body + key)


@pytest.mark.parametrize("body", ["", "12x", "١٢"])
def test_luhn_key_refuses_non_digit_body(body: str) -> None:
    with pytest.raises(ValueError):
        luhn_key(body)


def test_luhn_key_makes_every_small_body_valid() -> None:
    for number in range(2000):
        body = str(number)
        assert luhn_is_valid(body + luhn_key(body)), body


# --- RPPS -------------------------------------------------------------------------------------


def test_rpps_example_is_valid() -> None:
    assert is_valid_rpps(VALID_RPPS)


@pytest.mark.parametrize("value", _other_last_digits(VALID_RPPS))
def test_rpps_with_wrong_key_is_invalid(value: str) -> None:
    assert not is_valid_rpps(value)


@pytest.mark.parametrize("value", [VALID_RPPS[:-1], VALID_RPPS + "0", "0" + VALID_RPPS, ""])
def test_rpps_with_wrong_length_is_invalid(value: str) -> None:
    assert not is_valid_rpps(value)


@pytest.mark.parametrize("value", ["1000104536A", " 0001045367", "10001 45367"])
def test_rpps_with_non_digits_is_invalid(value: str) -> None:
    assert not is_valid_rpps(value)


def test_luhn_valid_number_of_another_length_is_not_an_rpps() -> None:
    assert luhn_is_valid(VALID_FINESS)
    assert not is_valid_rpps(VALID_FINESS)


# --- FINESS -----------------------------------------------------------------------------------


def test_finess_example_is_valid() -> None:
    assert is_valid_finess(VALID_FINESS)


@pytest.mark.parametrize("value", _other_last_digits(VALID_FINESS))
def test_finess_with_wrong_key_is_invalid(value: str) -> None:
    assert not is_valid_finess(value)


@pytest.mark.parametrize("value", [VALID_FINESS[:-1], VALID_FINESS + "0", VALID_RPPS, ""])
def test_finess_with_wrong_length_is_invalid(value: str) -> None:
    assert not is_valid_finess(value)


@pytest.mark.parametrize("value", ["2A0000001", "72000002X", "720 00025"])
def test_finess_with_non_digits_is_invalid(value: str) -> None:
    assert not is_valid_finess(value)


# --- ADELI ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [VALID_ADELI, "2A1234567", "2B0000000"])
def test_adeli_with_nine_upper_case_alphanumerics_is_valid(value: str) -> None:
    assert is_valid_adeli(value)


@pytest.mark.parametrize(
    "value", ["", "75101234", "7510123456", "2a1234567", "75101234-", "75 012345", "7510É2345"]
)
def test_adeli_with_wrong_length_or_characters_is_invalid(value: str) -> None:
    assert not is_valid_adeli(value)


# --- Django validators ------------------------------------------------------------------------

Validator = Callable[[object], None]
VALIDATORS = [
    (validate_rpps, VALID_RPPS, "10001045368", "rpps_invalid"),
    (validate_finess, VALID_FINESS, "720000026", "finess_invalid"),
    (validate_adeli, VALID_ADELI, "75101234", "adeli_invalid"),
]
VALIDATOR_PARAMS = ("validator", "valid", "invalid", "code")


@pytest.mark.parametrize(VALIDATOR_PARAMS, VALIDATORS)
def test_validator_accepts_valid_value(
    validator: Validator, valid: str, invalid: str, code: str
) -> None:
    validator(valid)


@pytest.mark.parametrize(VALIDATOR_PARAMS, VALIDATORS)
def test_validator_rejects_invalid_value_with_code_and_french_message(
    validator: Validator, valid: str, invalid: str, code: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validator(invalid)
    assert excinfo.value.code == code
    message = excinfo.value.messages[0]
    assert invalid in message
    assert "est invalide" in message


@pytest.mark.parametrize(VALIDATOR_PARAMS, VALIDATORS)
def test_validator_rejects_non_string_value(
    validator: Validator, valid: str, invalid: str, code: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validator(int(valid))
    assert excinfo.value.code == code


@pytest.mark.parametrize("validator", [validate_rpps, validate_finess, validate_adeli])
def test_validators_are_module_level_functions_so_migrations_can_serialize_them(
    validator: Validator,
) -> None:
    assert "<" not in validator.__qualname__
    assert validator.__module__ == "backend.accounts.identifiers"


# --- Generators -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["1000104536", "0000000000", "9999999999", "1234567890"])
def test_make_rpps_produces_valid_rpps(body: str) -> None:
    rpps = make_rpps(body)
    assert rpps.startswith(body)
    assert is_valid_rpps(rpps)


def test_make_rpps_reproduces_the_example() -> None:
    assert make_rpps(VALID_RPPS[:-1]) == VALID_RPPS


@pytest.mark.parametrize("body", ["72000002", "00000000", "99999999", "12345678"])
def test_make_finess_produces_valid_finess(body: str) -> None:
    finess = make_finess(body)
    assert finess.startswith(body)
    assert is_valid_finess(finess)


def test_make_finess_reproduces_the_example() -> None:
    assert make_finess(VALID_FINESS[:-1]) == VALID_FINESS


@pytest.mark.parametrize("body", ["", "123456789", "12345678901", "100010453A"])
def test_make_rpps_refuses_body_not_10_digits(body: str) -> None:
    with pytest.raises(ValueError):
        make_rpps(body)


@pytest.mark.parametrize("body", ["", "1234567", "123456789", "7200000A"])
def test_make_finess_refuses_body_not_8_digits(body: str) -> None:
    with pytest.raises(ValueError):
        make_finess(body)


# --- National identifier ----------------------------------------------------------------------


def test_national_id_of_rpps_is_8_followed_by_rpps() -> None:
    assert national_id_pp(rpps=VALID_RPPS) == "8" + VALID_RPPS


def test_national_id_of_adeli_is_0_followed_by_adeli() -> None:
    assert national_id_pp(adeli=VALID_ADELI) == "0" + VALID_ADELI


def test_national_id_prefers_rpps_when_both_are_given() -> None:
    assert national_id_pp(rpps=VALID_RPPS, adeli=VALID_ADELI) == "8" + VALID_RPPS


def test_national_id_needs_an_identifier() -> None:
    with pytest.raises(ValueError):
        national_id_pp()


@pytest.mark.parametrize(("rpps", "adeli"), [("10001045368", None), (None, "7510")])
def test_national_id_refuses_invalid_identifier(rpps: str | None, adeli: str | None) -> None:
    with pytest.raises(ValueError):
        national_id_pp(rpps=rpps, adeli=adeli)
