"""The project's CSV watchlist format."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.shared.models.common import EntityKind, IdentifierScheme
from services.shared.models.watchlist import NameType, Sharing, SharingScope
from services.watchlist.errors import WatchlistFileError
from services.watchlist.importers.csv_format import parse_csv

HEADER = (
    "entry_id,kind,name,aliases,identifiers,dates_of_birth,nationalities,countries,vessel_flag,programs,remarks,"
    "expires_at\n"
)


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    file = tmp_path / "list.csv"
    file.write_bytes(text.encode(encoding))
    return file


def test_valid_file(tmp_path: Path) -> None:
    file = _write(
        tmp_path,
        HEADER
        + '123,person,"PEREZ GOMEZ, Juan",weak:EL FLACO|JUANCHO|fka:JUAN P,cedula:16247821:CO|passport:AB123,'
        '1971-03|1972,CO|Mexico,CO,,SDNT,"two\n'
        + 'lines",2030-01-01T00:00:00+00:00\n'
        + "\n"
        + "co-dijin:124,VESSEL,LA PERLA,,imo:9134270,,,,PA,,,\n",
        encoding="utf-8-sig",  # a spreadsheet's byte-order mark
    )
    first, second = parse_csv(
        file, list_id="co-dijin", owner_country="CO", sharing=Sharing(scope=SharingScope.OWNER_ONLY)
    )
    assert (first.entry_id, first.source_ids, first.kind) == ("co-dijin:123", {"id": "123"}, EntityKind.PERSON)
    assert [(name.name, name.name_type) for name in first.names] == [
        ("PEREZ GOMEZ, Juan", NameType.PRIMARY),
        ("EL FLACO", NameType.WEAK),
        ("JUANCHO", NameType.AKA),
        ("JUAN P", NameType.FKA),
    ]
    assert [(i.scheme, i.value, i.country) for i in first.identifiers] == [
        (IdentifierScheme.CEDULA, "16247821", "CO"), (IdentifierScheme.PASSPORT, "AB123", None),
    ]
    assert first.dates_of_birth == ["1971-03", "1972"]
    assert first.nationalities == ["CO", "MX"]
    assert first.remarks == "two\nlines"
    assert first.expires_at is not None and first.expires_at.year == 2030
    assert (first.owner_country, first.sharing.scope) == ("CO", SharingScope.OWNER_ONLY)
    # an id already carrying the list prefix is kept as it is; columns are case-insensitive
    assert (second.entry_id, second.kind, second.vessel_flag) == ("co-dijin:124", EntityKind.VESSEL, "PA")


def test_columns_in_any_order_and_optional(tmp_path: Path) -> None:
    (entry,) = parse_csv(
        _write(tmp_path, "name,kind,entry_id\nACME SA,organization,9\n"), list_id="mx", owner_country="MX"
    )
    assert (entry.entry_id, entry.primary_name, len(entry.names), entry.identifiers) == ("mx:9", "ACME SA", 1, [])


def test_header_problems(tmp_path: Path) -> None:
    with pytest.raises(WatchlistFileError) as raised:
        parse_csv(
            _write(tmp_path, "entry_id,kind,colour,kind\n1,person,red,person\n"), list_id="mx", owner_country="MX"
        )
    assert [(p.line, p.message.split(" (")[0]) for p in raised.value.problems] == [
        (1, "unknown column 'colour'"),
        (1, "column 'kind' appears twice"),
        (1, "missing required column 'name'"),
    ]


def test_every_bad_row_is_reported_with_its_line(tmp_path: Path) -> None:
    file = _write(
        tmp_path,
        HEADER
        + "1,person,ANA,,,,,,,,,\n"
        + "2,dragon,BAD KIND,,,,,,,,,\n"
        + "3,person,BAD SCHEME,,ssn:123,,,,,,,\n"
        + "4,person,BAD COUNTRY,,,,XX,,,,,\n"
        + '5,person,"multi\nline name",,,1971-13,,,,,,\n'
        + "1,person,SAME ID,,,,,,,,,\n"
        + "7,person,SHORT ROW\n"
        + "8,person,,,,,,,,,,\n"
        + "9,person,NO ZONE,,,,,,,,,2030-01-01T00:00:00\n",
    )
    with pytest.raises(WatchlistFileError) as raised:
        parse_csv(file, list_id="mx", owner_country="MX")
    assert [(p.line, p.message.split(" (")[0][:40]) for p in raised.value.problems] == [
        (3, "kind: unknown kind 'dragon'"),
        (4, "identifiers: unknown scheme 'ssn' in 'ss"),
        (5, "nationalities: unknown country 'XX'"),
        (6, "dates_of_birth: '1971-13' is not YYYY, Y"),
        (8, "entry_id 'mx:1' repeats line 2"),
        (9, "3 cells, the header has 12"),
        (10, "name: String should have at least 1 char"),
        (11, "expires_at: Input should have timezone i"),
    ]


def test_not_utf8_is_rejected_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(WatchlistFileError) as raised:
        parse_csv(
            _write(tmp_path, HEADER + "1,person,ANA,,,,,,,,,\n2,person,PE\u00d1A,,,,,,,,,\n", encoding="latin-1"),
            list_id="mx",
            owner_country="MX",
        )
    (problem,) = raised.value.problems
    assert problem.line == 3 and "not UTF-8" in problem.message
