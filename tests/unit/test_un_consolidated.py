"""The UN Security Council Consolidated List importer, on the real sample and on crafted files."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.shared.models.common import EntityKind, IdentifierScheme
from services.shared.models.watchlist import NameType, SharingScope
from services.watchlist.errors import WatchlistFileError
from services.watchlist.importers.un_consolidated import LIST_ID, parse_un_consolidated


def _write(tmp_path: Path, body: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> Path:
    file = tmp_path / "un.xml"
    file.write_text(prolog + body, encoding="utf-8")
    return file


@pytest.mark.reference
def test_sample_individuals_and_entities(shared_data: Path) -> None:
    entries = parse_un_consolidated(shared_data / "un-consolidated" / "sample.xml", owner_country="us")
    people = [entry for entry in entries if entry.kind is EntityKind.PERSON]
    organizations = [entry for entry in entries if entry.kind is EntityKind.ORGANIZATION]
    assert (len(people), len(organizations)) == (15, 8)
    assert {entry.list_id for entry in entries} == {LIST_ID}
    assert all(entry.owner_country == "US" and entry.sharing.scope is SharingScope.ALL_PARTNERS for entry in entries)

    badege = entries[0]
    assert badege.entry_id == "un-sc:6907993"
    assert badege.source_ids == {"dataid": "6907993", "reference_number": "CDi.001"}
    assert badege.primary_name == "ERIC BADEGE"
    assert badege.dates_of_birth == ["1971"]
    assert badege.nationalities == ["CD"]
    assert str(badege.listed_on) == "2012-12-31"
    assert badege.programs == ["DRC"]

    gaston = next(entry for entry in entries if entry.source_ids["reference_number"] == "CDi.003")
    assert [(name.name, name.name_type) for name in gaston.names] == [
        ("GASTON IYAMUREMYE", NameType.PRIMARY),
        ("Rumuli", NameType.WEAK),  # QUALITY Low
        ("Byiringiro Victor Rumuli", NameType.AKA),
        ("Victor Rumuri", NameType.AKA),
        ("Michel Byiringiro", NameType.AKA),
    ]
    assert gaston.places_of_birth[0] == "Musanze District, Northern Province, Rwanda"
    assert "FDLR Interim President" in (gaston.remarks or "")

    # A DOB given only as a note ("Nov. 1973") becomes a partial date; an exact DATE stays whole.
    assert next(e for e in entries if e.source_ids["reference_number"] == "CDi.004").dates_of_birth == ["1973-11"]
    assert "1978-04-28" in {dob for entry in people for dob in entry.dates_of_birth}

    adf = next(entry for entry in organizations if entry.source_ids["reference_number"] == "CDe.001")
    assert (adf.names[1].name, adf.names[1].name_type) == ("Allied Democratic Forces", NameType.AKA)
    assert adf.names[2].name_type is NameType.FKA
    assert adf.countries == ["CD"]
    cagl = next(entry for entry in organizations if entry.source_ids["reference_number"] == "CDe.003")
    assert "GREAT LAKES BUSINESS COMPANY (GLBC)" in [name.name for name in cagl.names]  # "A ; B" split
    assert cagl.countries == ["CD", "RW"]
    assert cagl.addresses[0].street == "Avenue Président Mobutu"


INDIVIDUAL = """<CONSOLIDATED_LIST><INDIVIDUALS>
  <INDIVIDUAL>
    <DATAID>1</DATAID><FIRST_NAME>JUAN</FIRST_NAME><SECOND_NAME>PEREZ</SECOND_NAME><THIRD_NAME>GOMEZ</THIRD_NAME>
    <UN_LIST_TYPE>TEST</UN_LIST_TYPE><REFERENCE_NUMBER>T.001</REFERENCE_NUMBER><LISTED_ON>2020-01-02</LISTED_ON>
    <NAME_ORIGINAL_SCRIPT>Хуан</NAME_ORIGINAL_SCRIPT>
    <NATIONALITY><VALUE>Colombia</VALUE><VALUE>Atlantis</VALUE></NATIONALITY>
    <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1960</FROM_YEAR><TO_YEAR>1962</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
    <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1961-05-06</DATE></INDIVIDUAL_DATE_OF_BIRTH>
    <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>AB123</NUMBER><ISSUING_COUNTRY>Colombia</ISSUING_COUNTRY></INDIVIDUAL_DOCUMENT>
    <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>National Identification Number</TYPE_OF_DOCUMENT><NUMBER>16247821</NUMBER><COUNTRY_OF_ISSUE>Colombia</COUNTRY_OF_ISSUE></INDIVIDUAL_DOCUMENT>
    <INDIVIDUAL_ADDRESS><CITY>Cali</CITY><COUNTRY>Colombia</COUNTRY></INDIVIDUAL_ADDRESS>
  </INDIVIDUAL>
</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"""  # noqa: E501 (one element a line: the tests check line numbers)


def test_documents_ranges_and_original_script(tmp_path: Path) -> None:
    (entry,) = parse_un_consolidated(_write(tmp_path, INDIVIDUAL), owner_country="CO")
    assert entry.primary_name == "JUAN PEREZ GOMEZ"
    assert entry.names[1].name == "Хуан"
    assert [(i.scheme, i.value, i.country) for i in entry.identifiers] == [
        (IdentifierScheme.PASSPORT, "AB123", "CO"),
        (IdentifierScheme.NATIONAL_ID, "16247821", "CO"),
    ]
    assert entry.dates_of_birth == ["1960", "1961", "1962", "1961-05-06"]
    assert entry.nationalities == ["CO"]
    assert "Nationality: Atlantis" in (entry.remarks or "")  # an unknown spelling is kept, not dropped


def test_the_lists_not_available_is_no_name_part_nor_country(tmp_path: Path) -> None:
    third = "<THIRD_NAME>GOMEZ</THIRD_NAME>"
    body = INDIVIDUAL.replace(third, third + "<FOURTH_NAME>na</FOURTH_NAME>")
    body = body.replace("<VALUE>Atlantis</VALUE>", "<VALUE>na</VALUE><VALUE>N/A</VALUE>")
    (entry,) = parse_un_consolidated(_write(tmp_path, body), owner_country="CO")
    assert entry.primary_name == "JUAN PEREZ GOMEZ"
    assert entry.nationalities == ["CO"]  # not NA, Namibia
    assert "Nationality" not in (entry.remarks or "")


def test_record_problems_name_the_element_and_line(tmp_path: Path) -> None:
    body = INDIVIDUAL.replace("<DATAID>1</DATAID>", "<DATAID>x</DATAID>", 1).replace(
        "<ENTITIES/>",
        "<ENTITIES>\n<ENTITY><DATAID>2</DATAID><FIRST_NAME>OK</FIRST_NAME></ENTITY>\n"
        "<ENTITY><DATAID>3</DATAID>\n<FIRST_NAME>X</FIRST_NAME><LISTED_ON>2020-13-01</LISTED_ON>\n"
        "<ENTITY_ALIAS><QUALITY>Maybe</QUALITY><ALIAS_NAME>Y</ALIAS_NAME></ENTITY_ALIAS></ENTITY>\n"
        "<ENTITY><DATAID>2</DATAID><FIRST_NAME>TWICE</FIRST_NAME></ENTITY>\n</ENTITIES>",
    )
    with pytest.raises(WatchlistFileError) as raised:
        parse_un_consolidated(_write(tmp_path, body), owner_country="US")
    assert [(problem.line, problem.message) for problem in raised.value.problems] == [
        (4, "INDIVIDUALS/INDIVIDUAL[1]/DATAID: missing or not a number: 'x'"),
        (18, "ENTITIES/ENTITY[2]/ENTITY_ALIAS[1]/QUALITY: unknown alias quality 'maybe'"),
        (17, "ENTITIES/ENTITY[2]/LISTED_ON: not a date: '2020-13-01'"),
        (19, "ENTITIES/ENTITY[3]/DATAID: 2 repeats ENTITIES/ENTITY[1]"),
    ]


def test_malformed_xml_is_rejected_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(WatchlistFileError) as raised:
        parse_un_consolidated(_write(tmp_path, "<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n</ENTITIES>\n"), owner_country="US")
    (problem,) = raised.value.problems
    assert problem.line == 4 and "not well-formed" in problem.message


def test_wrong_root_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(WatchlistFileError, match="root element is sdnList"):
        parse_un_consolidated(_write(tmp_path, "<sdnList/>"), owner_country="US")


BILLION_LAUGHS = """<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>&lol3;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"""

EXTERNAL_ENTITY = """<!DOCTYPE x [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>&secret;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_dtds_and_entities_are_refused(tmp_path: Path, body: str) -> None:
    with pytest.raises(WatchlistFileError) as raised:
        parse_un_consolidated(_write(tmp_path, body), owner_country="US")
    (problem,) = raised.value.problems
    assert problem.line == 2 and problem.message.startswith("refused:")
