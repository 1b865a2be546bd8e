"""Reading OFAC's Remarks column."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.shared.models.common import EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import EntryName, NameType
from services.watchlist.countries import country_code
from services.watchlist.importers.ofac_remarks import parse_dob, parse_remarks
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn


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
    [
        ("Korea, North", "KP"),
        ("Burma", "MM"),
        ("Bahamas, The", "BS"),
        ("Region: Crimea", "UA"),
        ("U.K.", "GB"),
        ("  united   states ", "US"),
        ("Atlantis", None),
        (None, None),
        ("", None),
    ],
)
def test_country_code(name: str | None, code: str | None) -> None:
    assert country_code(name) == code


IMO = IdentifierScheme.IMO
REGISTRATION = IdentifierScheme.REGISTRATION
OTHER = IdentifierScheme.OTHER


# One example of each label added in 2025, as the July 2021 sdn.csv writes it.
@pytest.mark.parametrize(
    ("remark", "expected"),
    [
        ("Identification Number IMO 9339301.", Identifier(scheme=IMO, value="9339301")),  # current form
        ("Vessel Registration Identification IMO 9339301.", Identifier(scheme=IMO, value="9339301")),  # older form
        ("Tax ID No. 7704581487 (Russia).", Identifier(scheme=OTHER, value="7704581487", country="RU")),
        ("Tax ID No. 2583018-0", Identifier(scheme=OTHER, value="2583018-0")),
        ("RUC # 1556283-1-657471 (Panama).", Identifier(scheme=OTHER, value="1556283-1-657471", country="PA")),
        (
            "Business Registration Number 1855012 (Hong Kong)",
            Identifier(scheme=REGISTRATION, value="1855012", country="HK"),
        ),
        (
            "Business Registration Document # 34165340 (Taiwan).",
            Identifier(scheme=REGISTRATION, value="34165340", country="TW"),
        ),
        (
            "Registration Number 1037700013020 (Russia)",
            Identifier(scheme=REGISTRATION, value="1037700013020", country="RU"),
        ),
        ("Registration ID HRB 26136 (Germany)", Identifier(scheme=REGISTRATION, value="HRB 26136", country="DE")),
        ("Company Number 01074897 (United Kingdom).", Identifier(scheme=REGISTRATION, value="01074897", country="GB")),
        ("Company Number IMO 5848165.", Identifier(scheme=REGISTRATION, value="5848165")),
        ("alt. Identification Number 2044431 (Jordan)", Identifier(scheme=OTHER, value="2044431", country="JO")),
        # a state or city between the number and the country is not part of the number
        (
            "Registration Number 3934472 (New York) (United States)",
            Identifier(scheme=REGISTRATION, value="3934472", country="US"),
        ),
    ],
)
def test_identifier_labels(remark: str, expected: Identifier) -> None:
    assert parse_remarks(remark).identifiers == [expected]
    assert parse_remarks(f"DOB 1960; {remark.removesuffix('.')}; Linked To: X.").identifiers == [expected]


@pytest.mark.parametrize("label", ["Identification Number IMO", "Vessel Registration Identification IMO"])
def test_imo_number_of_a_company_is_its_registration(label: str) -> None:
    """OFAC writes a shipping company's IMO company number under the vessel labels too: it must not
    be compared with ships' IMO numbers."""
    remark = f"{label} 5848165; Linked To: MILENYUM ENERGY S.A."
    assert parse_remarks(remark, EntityKind.VESSEL).identifiers == [Identifier(scheme=IMO, value="5848165")]
    for kind in (EntityKind.ORGANIZATION, EntityKind.PERSON):
        assert parse_remarks(remark, kind).identifiers == [Identifier(scheme=REGISTRATION, value="5848165")]


def test_longer_label_wins_over_its_prefix() -> None:
    facts = parse_remarks(
        "Identification Number IMO 1234567; Identification Number 7654321 (Iraq); "
        "Company Number IMO 5848165; Company Number 01074897 (United Kingdom)."
    )
    assert facts.identifiers == [
        Identifier(scheme=IMO, value="1234567"),
        Identifier(scheme=OTHER, value="7654321", country="IQ"),
        Identifier(scheme=REGISTRATION, value="5848165"),
        Identifier(scheme=REGISTRATION, value="01074897", country="GB"),
    ]


#: Entries of the July 2021 list with at least one identifier before the labels above were read.
ENTRIES_WITH_IDENTIFIERS_BEFORE = 3371


@pytest.mark.reference
def test_more_entries_of_the_real_list_carry_identifiers(shared_data: Path) -> None:
    entries = parse_ofac_sdn(shared_data / "ofac-sdn")
    with_identifiers = [entry for entry in entries if entry.identifiers]
    assert len(with_identifiers) == 4136 > ENTRIES_WITH_IDENTIFIERS_BEFORE
    schemes = [identifier.scheme for entry in entries for identifier in entry.identifiers]
    assert len(schemes) == 5739  # 4632 before
    assert schemes.count(REGISTRATION) == 721  # 58 before: aircraft tail numbers only
    assert schemes.count(OTHER) == 453  # none before
    # IMO numbers stay on ships: 400 of the 406 vessels, and no company
    imo_kinds = {entry.kind for entry in entries for identifier in entry.identifiers if identifier.scheme is IMO}
    assert imo_kinds == {EntityKind.VESSEL}
    assert sum(1 for entry in entries if any(identifier.scheme is IMO for identifier in entry.identifiers)) == 400
    green_shipping = next(entry for entry in entries if entry.entry_id == "ofac-sdn:18334")
    assert green_shipping.identifiers == [Identifier(scheme=REGISTRATION, value="5848165")]
