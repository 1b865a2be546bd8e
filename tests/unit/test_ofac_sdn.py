"""The OFAC SDN legacy CSV importer, against the real July 2021 files and small broken copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.shared.models.common import EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import NameType, SharingScope, WatchlistEntry
from services.watchlist.errors import WatchlistFileError
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn

#: The tests over the whole real list read ../shared/data: `make test-reference`, not `make test`.
whole_list = pytest.mark.reference


@pytest.fixture(scope="module")
def entries(shared_data: Path) -> dict[str, WatchlistEntry]:
    return {entry.entry_id: entry for entry in parse_ofac_sdn(shared_data / "ofac-sdn")}


def names(entry: WatchlistEntry, name_type: NameType | None = None) -> list[str]:
    return [name.name for name in entry.names if name_type is None or name.name_type is name_type]


@whole_list
def test_reads_every_row_of_sdn_csv(entries: dict[str, WatchlistEntry], shared_data: Path) -> None:
    sdn_rows = (shared_data / "ofac-sdn" / "sdn.csv").read_text().splitlines()
    data_rows = [line for line in sdn_rows if line[:1].isdigit()]
    assert len(entries) == len(data_rows) == 8976
    assert all(entry.list_id == "ofac-sdn" and entry.owner_country == "US" for entry in entries.values())
    assert all(entry.sharing.scope is SharingScope.ALL_PARTNERS for entry in entries.values())
    assert all(entry.names[0].name_type is NameType.PRIMARY for entry in entries.values())


@whole_list
def test_kinds_follow_sdn_type(entries: dict[str, WatchlistEntry]) -> None:
    kinds = [entry.kind for entry in entries.values()]
    assert kinds.count(EntityKind.PERSON) == 4620
    assert kinds.count(EntityKind.VESSEL) == 406
    assert kinds.count(EntityKind.AIRCRAFT) == 277
    assert kinds.count(EntityKind.ORGANIZATION) == 3673


@whole_list
def test_colombian_sdnt_individual_with_cedula_and_weak_aliases(entries: dict[str, WatchlistEntry]) -> None:
    entry = entries["ofac-sdn:4106"]
    assert entry.source_ids == {"ent_num": "4106"}
    assert entry.kind is EntityKind.PERSON
    assert entry.programs == ["SDNT"]
    assert entry.primary_name == "HERRERA BUITRAGO, Helmer"
    assert names(entry, NameType.WEAK) == ["PACHO", "H7"]
    assert Identifier(scheme=IdentifierScheme.CEDULA, value="16247821", country="CO") in entry.identifiers
    assert Identifier(scheme=IdentifierScheme.PASSPORT, value="J287011", country="CO") in entry.identifiers
    assert entry.dates_of_birth == ["1951-08-24", "1951-07-05"]
    assert entry.addresses[0].city == "Cali" and entry.addresses[0].country == "CO"
    assert entry.remarks is not None and entry.remarks.startswith("DOB 24 Aug 1951;")


@whole_list
def test_mexican_sdntk_individual_with_rfc_and_curp(entries: dict[str, WatchlistEntry]) -> None:
    entry = entries["ofac-sdn:9338"]
    assert entry.programs == ["SDNTK"]
    assert names(entry) == ["ARRIOLA MARQUEZ, Miguel Angel", "ARREOLA MARQUEZ, Miguel Angel"]
    assert entry.identifiers == [
        Identifier(scheme=IdentifierScheme.RFC, value="AIMM-671215-387", country="MX"),
        Identifier(scheme=IdentifierScheme.CURP, value="AIMM67125HCHRRG06", country="MX"),
    ]
    assert entry.dates_of_birth == ["1967-12-15"]
    assert entry.places_of_birth == ["Chihuahua, Mexico"]
    assert entry.nationalities == ["MX"]
    assert entry.countries == ["MX", "US"]  # one of the addresses is in Presidio, TX


@whole_list
def test_vessel_with_imo_mmsi_call_sign_and_flag(entries: dict[str, WatchlistEntry]) -> None:
    entry = entries["ofac-sdn:15036"]
    assert entry.kind is EntityKind.VESSEL
    assert entry.vessel_flag == "IR"
    assert entry.identifiers == [
        Identifier(scheme=IdentifierScheme.CALL_SIGN, value="T2EU4"),
        Identifier(scheme=IdentifierScheme.IMO, value="9187629"),
        Identifier(scheme=IdentifierScheme.MMSI, value="572469210"),
    ]
    # fka from alt.csv, and a single-word f.k.a. in the remarks that is weak
    assert [(name.name, name.name_type) for name in entry.names[1:]] == [
        ("ABADAN", NameType.FKA),
        ("SHONA", NameType.FKA),
        ("ALPHA", NameType.WEAK),
    ]


@whole_list
def test_remark_aliases_of_several_words_are_full_aliases(entries: dict[str, WatchlistEntry]) -> None:
    multi_word = [
        name
        for entry in entries.values()
        for name in entry.names[1:]
        if name.name_type is NameType.AKA and entry.remarks and f"a.k.a. '{name.name}'" in entry.remarks
    ]
    assert len(multi_word) > 100
    assert all(len(name.name.split()) > 1 for name in multi_word)


@whole_list
def test_programs_split_from_bracketed_column(entries: dict[str, WatchlistEntry]) -> None:
    both = [entry for entry in entries.values() if entry.programs == ["NPWMD", "IFSR"]]
    assert len(both) == 321


@whole_list
def test_comment_overflow_is_joined_to_remarks(entries: dict[str, WatchlistEntry]) -> None:
    entry = entries["ofac-sdn:12300"]
    assert entry.remarks is not None
    assert "PROMO RAIZ S.A.S.; Linked To: RED MUNDIAL" in entry.remarks
    assert entry.remarks.endswith("Linked To: R D I S.A.")


@whole_list
def test_names_are_deduplicated(entries: dict[str, WatchlistEntry]) -> None:
    for entry in entries.values():
        keys = [" ".join(name.name.split()).casefold() for name in entry.names]
        assert len(keys) == len(set(keys)), entry.entry_id


# --- malformed files ----------------------------------------------------------------------------

GOOD_SDN = (
    '1,"DOE, John",individual,"SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 1960; Cedula No. 123 (Colombia)."\r\n'
)
GOOD_ALT = '1,10,"aka","DOE, Johnny",-0- \r\n'
GOOD_ADD = '1,20,-0- ,"Cali","Colombia",-0- \r\n'


def write_list(
    directory: Path, sdn: str = GOOD_SDN, alt: str = GOOD_ALT, add: str = GOOD_ADD, comments: str = ""
) -> Path:
    for name, text in (("sdn.csv", sdn), ("alt.csv", alt), ("add.csv", add), ("sdn_comments.csv", comments)):
        (directory / name).write_text(text)
    return directory


def test_small_good_list_with_dos_eof_marker(tmp_path: Path) -> None:
    [entry] = parse_ofac_sdn(write_list(tmp_path, sdn=GOOD_SDN + "\x1a"))
    assert names(entry) == ["DOE, John", "DOE, Johnny"]
    assert entry.dates_of_birth == ["1960"]
    assert entry.identifiers == [Identifier(scheme=IdentifierScheme.CEDULA, value="123", country="CO")]


def test_all_problems_are_reported_with_file_and_line(tmp_path: Path) -> None:
    sdn = GOOD_SDN + '2,"SHORT ROW",-0- \r\nX3,"BAD NUMBER",-0- ,"SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    alt = GOOD_ALT + '99,11,"aka","NOBODY",-0- \r\n1,12,"xyz","ODD TYPE",-0- \r\n'
    add = GOOD_ADD + '98,21,-0- ,"Bogota","Colombia",-0- \r\n'
    with pytest.raises(WatchlistFileError) as raised:
        parse_ofac_sdn(write_list(tmp_path, sdn=sdn, alt=alt, add=add))
    found = {(problem.file, problem.line) for problem in raised.value.problems}
    assert found == {("sdn.csv", 2), ("sdn.csv", 3), ("alt.csv", 2), ("alt.csv", 3), ("add.csv", 2)}
    message = str(raised.value)
    assert "sdn.csv:2: expected 12 fields, found 3" in message
    assert "sdn.csv:3: ent_num 'X3' is not a number" in message
    assert "alt.csv:2: ent_num 99 is not in sdn.csv" in message
    assert "alt.csv:3: unknown alt_type 'xyz'" in message


def test_duplicate_ent_num_and_unknown_type_are_errors(tmp_path: Path) -> None:
    sdn = GOOD_SDN + '1,"DOE, Jane",individual,"SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    sdn += '3,"THING",spaceship,"SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    with pytest.raises(WatchlistFileError) as raised:
        parse_ofac_sdn(write_list(tmp_path, sdn=sdn))
    messages = [str(problem) for problem in raised.value.problems]
    assert messages == ["sdn.csv:2: ent_num 1 repeats line 1", "sdn.csv:3: ent_num 3: unknown SDN_Type 'spaceship'"]


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    write_list(tmp_path)
    (tmp_path / "alt.csv").unlink()
    with pytest.raises(WatchlistFileError) as raised:
        parse_ofac_sdn(tmp_path)
    assert [(problem.file, problem.line) for problem in raised.value.problems] == [("alt.csv", None)]


def test_line_numbers_count_multi_line_records(tmp_path: Path) -> None:
    sdn = '1,"DOE, John",individual,"SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"two\r\nlines"\r\n2,"BAD"\r\n'
    with pytest.raises(WatchlistFileError) as raised:
        parse_ofac_sdn(write_list(tmp_path, sdn=sdn))
    assert [(problem.file, problem.line) for problem in raised.value.problems] == [("sdn.csv", 3)]


@whole_list
def test_the_engine_over_the_whole_list_finds_manifest_spellings(entries: dict[str, WatchlistEntry]) -> None:
    from services.matcher.engine import MatchingEngine, ScreeningQuery

    engine = MatchingEngine()
    engine.load(entries.values())

    def best(name: str, **fields: object) -> str | None:
        found = engine.screen(ScreeningQuery(name=name, **fields))  # type: ignore[arg-type]
        return found[0].entry.entry_id if found else None

    person = EntityKind.PERSON
    assert best("Gilberto José Rodríguez Orejuela", kind=person, date_of_birth="1939-01-31") == "ofac-sdn:4107"
    assert best("RODRIGEZ OREJUELA, Miguel Angel") == "ofac-sdn:4108"  # a typo, kind unknown
    assert best("Helmer Herrera", kind=person, countries=["CO"]) == "ofac-sdn:4106"  # no second surname
    assert best("M/V ARTAVIL", kind=EntityKind.VESSEL) == "ofac-sdn:15036"
    assert best("PACHO", kind=person) is None  # a weak alias alone does not alert
