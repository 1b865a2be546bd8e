"""Harmonized System (HS) commodity codes: chapters (2 digits), headings (4) and subheadings (6).

The bundled `data/hs-codes.txt` holds every code of the HS 2022 nomenclature, without
descriptions; `scripts/build_hs_codes.py` writes it from the public datasets/harmonized-system
data package (source UN Comtrade, PDDL 1.0). Codes that HS 2022 deleted or moved are therefore
reported as unknown, even when a feed still uses an older edition.

Feeds write codes as "0803.90", "080390" or "0803" and often send their country's tariff line,
which extends the international subheading with national digits ("0803.90.00.10" in the US HTS,
8 digits in Brazil's NCM, 10 in Colombia's tariff). Those extra digits are not the HS: a tariff
line is accepted when its 6-digit subheading exists, and the national digits are reported apart,
unchecked. Three or five digits are refused rather than guessed at: they are usually a code whose
leading zero a spreadsheet dropped ("80390" for 080390), and the right reading cannot be known.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

BUNDLED_CODES_FILE = Path(__file__).parent / "data" / "hs-codes.txt"

_SEPARATORS = re.compile(r"[\s.]+")
# The partners' tariff lines have 8 or 10 digits; 12 leaves room for statistical suffixes.
_LONGEST_NATIONAL_LINE = 12
# UN Comtrade's reporting codes, not HS nomenclature: the grand total and chapter 99
# ("commodities not specified according to kind"), in the source file under section TOTAL.
_COMTRADE_REPORTING_SECTION = "TOTAL"


class HsLevel(StrEnum):
    CHAPTER = "chapter"  # 2 digits
    HEADING = "heading"  # 4 digits
    SUBHEADING = "subheading"  # 6 digits, the most precise level the HS itself defines


_LEVEL_BY_LENGTH = {2: HsLevel.CHAPTER, 4: HsLevel.HEADING, 6: HsLevel.SUBHEADING}


@dataclass(frozen=True)
class HsCheck:
    """What a code is: how it reads, the HS level it reaches, and whether the HS has it."""

    code: str  # digits only, separators removed
    well_formed: bool  # 2, 4 or 6 digits, or a national tariff line of 7 to 12
    level: HsLevel | None  # the HS level the code reaches; subheading for a national tariff line
    exists: bool  # every HS prefix of the code (chapter, heading, subheading) is in the nomenclature
    unknown_prefix: str | None  # the first of those prefixes the nomenclature lacks
    national_digits: str  # digits beyond the subheading: a national tariff line, not checked

    @property
    def valid(self) -> bool:
        return self.well_formed and self.exists


def normalise_hs(code: str) -> str:
    """Separators removed, not validated: "0803.90.00.10" -> "0803900010"."""
    return _SEPARATORS.sub("", code.strip())


class HarmonizedSystem:
    """A set of HS codes, with their descriptions when loaded from the source CSV."""

    def __init__(self, codes: Iterable[str], descriptions: Mapping[str, str] | None = None) -> None:
        self.codes: frozenset[str] = frozenset(codes)
        self._descriptions: Mapping[str, str] = descriptions or {}

    @classmethod
    def from_source_csv(cls, path: Path) -> HarmonizedSystem:
        """The full nomenclature with descriptions, from the data package's harmonized-system.csv."""
        descriptions = read_hs_source(path)
        return cls(descriptions, descriptions)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalise_hs(code) in self.codes

    def check(self, code: str) -> HsCheck:
        digits = normalise_hs(code)
        if not _is_well_formed(digits):
            return HsCheck(digits, False, None, False, None, "")
        hs_part, national = digits[:6], digits[6:]
        unknown = next((prefix for prefix in _hs_prefixes(hs_part) if prefix not in self.codes), None)
        return HsCheck(digits, True, _LEVEL_BY_LENGTH[len(hs_part)], unknown is None, unknown, national)

    def description(self, code: str) -> str | None:
        """The HS description of the code (of its subheading for a tariff line); None when not loaded."""
        return self._descriptions.get(normalise_hs(code)[:6])


def _is_well_formed(digits: str) -> bool:
    return (
        digits.isascii()
        and digits.isdigit()
        and (len(digits) in _LEVEL_BY_LENGTH or 6 < len(digits) <= _LONGEST_NATIONAL_LINE)
    )


def _hs_prefixes(hs_part: str) -> list[str]:
    return [hs_part[:length] for length in (2, 4, 6) if length <= len(hs_part)]


def read_hs_source(path: Path) -> dict[str, str]:
    """Code -> description of every chapter, heading and subheading in the source CSV.

    Columns `section,hscode,description,parent,level`; Comtrade's own reporting codes are left out.
    """
    with path.open(encoding="utf-8", newline="") as lines:
        return {
            row["hscode"]: row["description"]
            for row in csv.DictReader(lines)
            if row["section"] != _COMTRADE_REPORTING_SECTION
        }


def read_bundled_codes(path: Path = BUNDLED_CODES_FILE) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def harmonized_system(source_csv: Path | None = None) -> HarmonizedSystem:
    """The bundled codes, or the full nomenclature with descriptions from `source_csv`; loaded once."""
    return _bundled_system() if source_csv is None else _system_from(source_csv)


@cache
def _bundled_system() -> HarmonizedSystem:
    return HarmonizedSystem(read_bundled_codes())


@cache
def _system_from(source_csv: Path) -> HarmonizedSystem:
    return HarmonizedSystem.from_source_csv(source_csv)


def hs_check(code: str) -> HsCheck:
    """Check a code against the bundled nomenclature."""
    return harmonized_system().check(code)
