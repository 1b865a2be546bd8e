"""Reading OFAC's Remarks column."""

from __future__ import annotations

import pytest

from services.shared.models.common import Identifier, IdentifierScheme
from services.shared.models.watchlist import EntryName, NameType
from services.watchlist.countries import country_code
from services.watchlist.importers.ofac_remarks import parse_dob, parse_remarks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 Dec 1967", ["1967-12-15"]),
        ("Dec 1967", ["1967-12"]),
        ("1967", ["1967"]),
        ("circa 1972", ["1972"]),
        ("1960 to 1962", ["1960", "1961", "1962"]),
        ("01 Jan 1979 to 31 Dec 1981", ["1979", "1980", "1981"]),
        ("01 Mar 1965 to 31 Mar 1965", ["1965-03"]),
        ("circa 1979-1982", ["1979", "1980", "1981", "1982"]),
        ("Mar 1962 to Feb 1963", ["1962", "1963"]),
        ("1900 to 1990", ["1900", "1990"]),
        ("unknown", []),
    ],
)
def test_parse_dob(text: str, expected: list[str]) -> None:
    assert parse_dob(text) == expected


def test_identifiers_with_countries_and_issue_dates() -> None:
    facts = parse_remarks(
        "Passport RL2432659 (Lebanon) issued 22 Jan 2013 expires 22 Jan 2018; alt. Passport M0009851/1; "
        "NIT # 800123456-1 (Colombia); alt. R.F.C. DIPR-660905 J31 (Mexico); C.U.R.P. GASJ721128HSLSRM06 (Mexico); "
        "D.N.I. 12345678 (Spain); SSN 123-45-6789 (United States); National ID No. D489833(9) (Hong Kong); "
        "Vessel Registration Identification IMO 9187629; MMSI 572469210."
    )
    assert facts.identifiers == [
        Identifier(scheme=IdentifierScheme.PASSPORT, value="RL2432659", country="LB"),
        Identifier(scheme=IdentifierScheme.PASSPORT, value="M0009851/1"),
        Identifier(scheme=IdentifierScheme.NIT, value="800123456-1", country="CO"),
        Identifier(scheme=IdentifierScheme.RFC, value="DIPR-660905 J31", country="MX"),
        Identifier(scheme=IdentifierScheme.CURP, value="GASJ721128HSLSRM06", country="MX"),
        Identifier(scheme=IdentifierScheme.NATIONAL_ID, value="12345678", country="ES"),
        Identifier(scheme=IdentifierScheme.NATIONAL_ID, value="123-45-6789", country="US"),
        Identifier(scheme=IdentifierScheme.NATIONAL_ID, value="D489833(9)", country="HK"),
        Identifier(scheme=IdentifierScheme.IMO, value="9187629"),
        Identifier(scheme=IdentifierScheme.MMSI, value="572469210"),
    ]


def test_aliases_nationality_and_place_of_birth() -> None:
    facts = parse_remarks(
        "POB Culiacan, Sinaloa, Mexico; nationality Mexico; citizen Korea, North; nationality possibly Palestinian; "
        "a.k.a. 'EL CHAPO'; f.k.a. 'GUZMAN LOERA, Joaquin'; n.k.a. 'NEW NAME SA'; a.k.a. 'PACHO'; Linked To: X."
    )
    assert facts.places_of_birth == ["Culiacan, Sinaloa, Mexico"]
    assert facts.nationalities == ["MX", "KP"]
    assert facts.names == [
        EntryName(name="EL CHAPO", name_type=NameType.AKA),
        EntryName(name="GUZMAN LOERA, Joaquin", name_type=NameType.FKA),
        EntryName(name="NEW NAME SA", name_type=NameType.NKA),
        EntryName(name="PACHO", name_type=NameType.WEAK),
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [("Korea, North", "KP"), ("Burma", "MM"), ("Bahamas, The", "BS"), ("Region: Crimea", "UA"),
     ("U.K.", "GB"), ("  united   states ", "US"), ("Atlantis", None), (None, None), ("", None)],
)
def test_country_code(name: str | None, code: str | None) -> None:
    assert country_code(name) == code
