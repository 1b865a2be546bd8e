"""ISO 6346 container numbers: owner code, equipment category, serial number and check digit.

"MSCU 123456 6": owner MSC, category U (freight container), serial 123456, check digit 6. The
check digit catches a mistyped character and most swapped pairs, which is what a manifest typed
by hand or read by OCR at a gate gets wrong.
"""

from __future__ import annotations

import re
import string

#: U freight container, J detachable container-related equipment, Z trailer or chassis.
EQUIPMENT_CATEGORIES = "UJZ"

_OWNER_SERIAL = re.compile(rf"[A-Z]{{3}}[{EQUIPMENT_CATEGORIES}][0-9]{{6}}")
_CONTAINER_NUMBER = re.compile(rf"[A-Z]{{3}}[{EQUIPMENT_CATEGORIES}][0-9]{{7}}")
_SEPARATORS = re.compile(r"[\s\-./]+")


def _letter_values() -> dict[str, int]:
    # Letters count from A = 10 but skip 11, 22 and 33: a multiple of 11 would weigh like 0 in the
    # mod 11 sum, and two letters would then be indistinguishable.
    values: dict[str, int] = {}
    value = 10
    for letter in string.ascii_uppercase:
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


_LETTER_VALUES = _letter_values()


def normalise_container(number: str) -> str:
    """The number as one upper-case word: "mscu 123456-6" -> "MSCU1234566" (not validated)."""
    return _SEPARATORS.sub("", number).upper()


def check_digit(owner_serial: str) -> int:
    """The check digit of the first ten characters (owner code, category, six-digit serial).

    Raises ValueError when they are not three letters, U, J or Z, and six digits.
    """
    # A remainder of 10 is written 0; ISO 6346 asks owners not to issue such serials, but some do.
    return check_remainder(owner_serial) % 10


def check_remainder(owner_serial: str) -> int:
    """The weighted sum modulo 11 (0 to 10) of which the check digit is written; raises like check_digit."""
    normalised = normalise_container(owner_serial)
    if not _OWNER_SERIAL.fullmatch(normalised):
        raise ValueError(f"not an ISO 6346 owner code, category and serial number: {owner_serial!r}")
    return _weighted_sum(normalised) % 11


def is_valid_container(number: str) -> bool:
    """True for an ISO 6346 number with the right check digit, written with or without separators."""
    normalised = normalise_container(number)
    if not _CONTAINER_NUMBER.fullmatch(normalised):
        return False
    # Checked once per container of every manifest: the sum inline, not through check_digit,
    # which would normalise and match the same text again.
    return _weighted_sum(normalised[:10]) % 11 % 10 == int(normalised[10])


def _weighted_sum(owner_serial: str) -> int:
    return sum(_character_value(character) << position for position, character in enumerate(owner_serial))


_CHARACTER_VALUES = {**{digit: int(digit) for digit in string.digits}, **_LETTER_VALUES}


def _character_value(character: str) -> int:
    return _CHARACTER_VALUES[character]
