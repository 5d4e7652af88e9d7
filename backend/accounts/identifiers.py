"""Identifiers of health professionals and structures: RPPS, ADELI, FINESS.

Pure functions, importable without Django being configured (only ``django.core.exceptions`` is
imported, which needs no settings). Rules: the ANS identifier rules (RPPS, ADELI, FINESS).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

__all__ = [
    "is_valid_adeli",
    "is_valid_finess",
    "is_valid_rpps",
    "luhn_is_valid",
    "luhn_key",
    "make_finess",
    "make_rpps",
    "national_id_pp",
    "validate_adeli",
    "validate_finess",
    "validate_rpps",
]

RPPS_LENGTH = 11
FINESS_LENGTH = 9
ADELI_LENGTH = 9

# Prefixes of the "Identification nationale PP" (Annuaire Santé, Pro Santé Connect SubjectNameID).
NATIONAL_ID_PREFIX_RPPS = "8"
NATIONAL_ID_PREFIX_ADELI = "0"

_ADELI_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit() alone accepts "²" or Arabic-Indic digits, which int() would then mishandle.
    return value.isascii() and value.isdigit()


def _luhn_checksum(digits: str) -> int:
    """Luhn sum modulo 10 of ASCII ``digits`` (rightmost digit is the check digit)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10


def luhn_is_valid(digits: str) -> bool:
    """True if ``digits`` is a non-empty string of ASCII digits passing the Luhn check."""
    return _is_ascii_digits(digits) and _luhn_checksum(digits) == 0


def luhn_key(body: str) -> str:
    """Return the check digit to append to ``body`` so that the whole passes the Luhn check.

    Raises ``ValueError`` if ``body`` is not a non-empty string of ASCII digits.
    """
    if not _is_ascii_digits(body):
        raise ValueError(f"Luhn body must be ASCII digits, got {body!r}")
    # Appending a provisional 0 puts body's digits at their final positions.
    return str((10 - _luhn_checksum(body + "0")) % 10)


def _is_valid_luhn_id(value: str, length: int) -> bool:
    return len(value) == length and luhn_is_valid(value)


def is_valid_rpps(value: str) -> bool:
    """RPPS: exactly 11 ASCII digits, the last one a Luhn key (e.g. ``10001045367``)."""
    return _is_valid_luhn_id(value, RPPS_LENGTH)


# Corsica: FINESS numbers start with 2A / 2B; the key is computed with A read as 1, B as 2
# (DOMAIN.md, e.g. 2B0000020, CH de Bastia).
_CORSICA_FINESS = {"2A": "21", "2B": "22"}


def _finess_digits(value: str) -> str:
    return _CORSICA_FINESS.get(value[:2], value[:2]) + value[2:]


def is_valid_finess(value: str) -> bool:
    """FINESS (EJ or ET): 9 characters, the last one a Luhn key (e.g. ``720000025``); Corsica
    starts with 2A / 2B (``2B0000020``), read as 21 / 22 for the key."""
    if not isinstance(value, str) or len(value) != FINESS_LENGTH:
        return False
    return _is_valid_luhn_id(_finess_digits(value), FINESS_LENGTH)


def is_valid_adeli(value: str) -> bool:
    """ADELI: exactly 9 characters, each an ASCII digit or upper-case ASCII letter.

    Only the shape is checked. The first two characters are the département ("2A"/"2B" for
    Corsica), but the ADELI check-key algorithm is not verified, so no key is checked and no
    position is constrained further: a stricter rule would risk rejecting real numbers.
    """
    return len(value) == ADELI_LENGTH and all(char in _ADELI_ALPHABET for char in value)


# Plain module-level functions rather than closures from a factory: Django migrations serialize
# field validators by import path, which fails for functions defined inside another function.
def _check(value: object, predicate: Callable[[str], bool], message: str, code: str) -> None:
    # Django may hand a non-str value (e.g. an int from a JSON payload): reject it, don't crash.
    if not (isinstance(value, str) and predicate(value)):
        raise ValidationError(message, code=code, params={"value": value})


def validate_rpps(value: object) -> None:
    """Django validator for an RPPS number (error code ``rpps_invalid``)."""
    _check(
        value,
        is_valid_rpps,
        "Le numéro RPPS « %(value)s » est invalide : il doit comporter 11 chiffres, "
        "clé de contrôle comprise.",
        "rpps_invalid",
    )


def validate_finess(value: object) -> None:
    """Django validator for a FINESS number (error code ``finess_invalid``)."""
    _check(
        value,
        is_valid_finess,
        "Le numéro FINESS « %(value)s » est invalide : il doit comporter 9 chiffres, "
        "clé de contrôle comprise.",
        "finess_invalid",
    )


def validate_adeli(value: object) -> None:
    """Django validator for an ADELI number (error code ``adeli_invalid``)."""
    _check(
        value,
        is_valid_adeli,
        "Le numéro ADELI « %(value)s » est invalide : il doit comporter 9 caractères "
        "(chiffres ou lettres majuscules).",
        "adeli_invalid",
    )


def _make_luhn_id(body: str, body_length: int, name: str) -> str:
    if len(body) != body_length or not _is_ascii_digits(body):
        raise ValueError(f"{name} body must be {body_length} ASCII digits, got {body!r}")
    return body + luhn_key(body)


def make_rpps(body10: str) -> str:
    """Append the Luhn key to a 10-digit body: a valid RPPS for demo or test data."""
    return _make_luhn_id(body10, RPPS_LENGTH - 1, "RPPS")


def make_finess(body8: str) -> str:
    """Append the Luhn key to an 8-character body (2A / 2B allowed for Corsica): a valid FINESS
    for demo or test data."""
    key = _make_luhn_id(_finess_digits(body8), FINESS_LENGTH - 1, "FINESS")[-1]
    return body8 + key


def national_id_pp(rpps: str | None = None, adeli: str | None = None) -> str:
    """National identifier of a professional: "8" + RPPS, or "0" + ADELI.

    RPPS wins when both are given, since it supersedes ADELI. Raises ``ValueError`` when neither
    is given or when the one used is invalid.
    """
    if rpps is not None:
        if not is_valid_rpps(rpps):
            raise ValueError(f"invalid RPPS: {rpps!r}")
        return NATIONAL_ID_PREFIX_RPPS + rpps
    if adeli is not None:
        if not is_valid_adeli(adeli):
            raise ValueError(f"invalid ADELI: {adeli!r}")
        return NATIONAL_ID_PREFIX_ADELI + adeli
    raise ValueError("national_id_pp needs an RPPS or an ADELI number")
