"""OFAC's Specially Designated Nationals list in its legacy CSV form, read into watchlist entries.

The list comes as four files related by `ent_num`: sdn.csv (one row per party), alt.csv (aliases),
add.csv (addresses) and sdn_comments.csv (the overflow of remarks longer than the Remarks column).
Files have no header; an empty field is written "-0- ", and the last line may be the DOS
end-of-file character. Every problem in any of the files is collected and raised together in one
WatchlistFileError, so a bad download is rejected whole rather than imported with holes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from services.shared.models.common import Address, EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import EntryName, NameType, Sharing, SharingScope, WatchlistEntry
from services.watchlist.countries import country_code
from services.watchlist.errors import FileProblem, WatchlistFileError
from services.watchlist.importers.ofac_remarks import parse_remarks

LIST_ID = "ofac-sdn"
OWNER_COUNTRY = "US"

SDN_FILE, ALT_FILE, ADD_FILE, COMMENTS_FILE = "sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"
_COLUMNS = {SDN_FILE: 12, ALT_FILE: 5, ADD_FILE: 6, COMMENTS_FILE: 2}

_KINDS = {
    "individual": EntityKind.PERSON,
    "vessel": EntityKind.VESSEL,
    "aircraft": EntityKind.AIRCRAFT,
    "": EntityKind.ORGANIZATION,  # OFAC leaves the type of companies and groups empty
}
_ALIAS_TYPES = {"aka": NameType.AKA, "fka": NameType.FKA, "nka": NameType.NKA}
_EMPTY = "-0-"
_DOS_EOF = "\x1a"

T = TypeVar("T")


@dataclass
class _Party:
    """What the four files say about one ent_num, before it becomes a WatchlistEntry."""

    line: int
    row: list[str]
    remarks: str = ""
    aliases: list[EntryName] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)


def parse_ofac_sdn(directory: Path) -> list[WatchlistEntry]:
    """The entries of an OFAC SDN legacy CSV directory, in sdn.csv order.

    Raises WatchlistFileError listing every problem (file and line) if any file is missing or
    malformed: a wrong column count, a non-numeric or duplicate ent_num, an unknown SDN type or
    alias type, an empty name, or an alias, address or comment for an ent_num sdn.csv lacks.
    """
    problems: list[FileProblem] = []
    rows = {name: _read_rows(Path(directory) / name, columns, problems) for name, columns in _COLUMNS.items()}
    parties = _read_parties(rows[SDN_FILE], problems)
    _attach_comments(parties, rows[COMMENTS_FILE], problems)
    _attach_aliases(parties, rows[ALT_FILE], problems)
    _attach_addresses(parties, rows[ADD_FILE], problems)
    if problems:
        raise WatchlistFileError(problems)
    entries = []
    for ent_num, party in parties.items():
        try:
            entries.append(_entry(ent_num, party))
        except ValidationError as error:
            for detail in error.errors():
                location = ".".join(str(part) for part in detail["loc"])
                problems.append(FileProblem(SDN_FILE, party.line, f"ent_num {ent_num}: {location}: {detail['msg']}"))
    if problems:
        raise WatchlistFileError(problems)
    return entries


def _read_rows(path: Path, columns: int, problems: list[FileProblem]) -> list[tuple[int, list[str]]]:
    """(first line number, fields) of each record, with "-0-" turned into ""."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.append(FileProblem(path.name, None, f"cannot read: {error.strerror or error}"))
        return []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Older OFAC downloads are Windows-1252; a real corruption still shows as a bad row below.
        text = raw.decode("cp1252", errors="replace")
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next_line = 1
    try:
        for fields in reader:
            line, next_line = next_line, reader.line_num + 1
            if not fields or fields == [_DOS_EOF] or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) != columns:
                problems.append(FileProblem(path.name, line, f"expected {columns} fields, found {len(fields)}"))
                continue
            records.append((line, [_field(value) for value in fields]))
    except csv.Error as error:
        problems.append(FileProblem(path.name, reader.line_num, f"CSV syntax: {error}"))
    return records


def _field(value: str) -> str:
    value = value.strip()
    return "" if value == _EMPTY else value


def _ent_num(value: str, file: str, line: int, problems: list[FileProblem]) -> int | None:
    if not value.isdigit():
        problems.append(FileProblem(file, line, f"ent_num {value!r} is not a number"))
        return None
    return int(value)


def _read_parties(rows: list[tuple[int, list[str]]], problems: list[FileProblem]) -> dict[int, _Party]:
    parties: dict[int, _Party] = {}
    for line, row in rows:
        ent_num = _ent_num(row[0], SDN_FILE, line, problems)
        if ent_num is None:
            continue
        if ent_num in parties:
            problems.append(FileProblem(SDN_FILE, line, f"ent_num {ent_num} repeats line {parties[ent_num].line}"))
            continue
        if not row[1]:
            problems.append(FileProblem(SDN_FILE, line, f"ent_num {ent_num}: SDN_Name is empty"))
        if row[2].lower() not in _KINDS:
            problems.append(FileProblem(SDN_FILE, line, f"ent_num {ent_num}: unknown SDN_Type {row[2]!r}"))
        parties[ent_num] = _Party(line=line, row=row, remarks=row[11])
    return parties


def _party_for(
    parties: dict[int, _Party], value: str, file: str, line: int, problems: list[FileProblem]
) -> _Party | None:
    ent_num = _ent_num(value, file, line, problems)
    if ent_num is None:
        return None
    if ent_num not in parties:
        problems.append(FileProblem(file, line, f"ent_num {ent_num} is not in {SDN_FILE}"))
        return None
    return parties[ent_num]


def _attach_comments(
    parties: dict[int, _Party], rows: list[tuple[int, list[str]]], problems: list[FileProblem]
) -> None:
    for line, (ent_num, text) in rows:
        party = _party_for(parties, ent_num, COMMENTS_FILE, line, problems)
        if party is not None:
            # The comment continues the cut-off Remarks mid-word, so it is joined without a space.
            party.remarks += text


def _attach_aliases(parties: dict[int, _Party], rows: list[tuple[int, list[str]]], problems: list[FileProblem]) -> None:
    for line, (ent_num, alt_num, alt_type, alt_name, _alt_remarks) in rows:
        party = _party_for(parties, ent_num, ALT_FILE, line, problems)
        if not alt_num.isdigit():
            problems.append(FileProblem(ALT_FILE, line, f"alt_num {alt_num!r} is not a number"))
        name_type = _ALIAS_TYPES.get(alt_type.lower())
        if name_type is None:
            problems.append(FileProblem(ALT_FILE, line, f"unknown alt_type {alt_type!r} (expected aka, fka or nka)"))
        if not alt_name:
            problems.append(FileProblem(ALT_FILE, line, "alt_name is empty"))
        if party is not None and name_type is not None and alt_name:
            party.aliases.append(EntryName(name=alt_name, name_type=name_type))


def _attach_addresses(
    parties: dict[int, _Party], rows: list[tuple[int, list[str]]], problems: list[FileProblem]
) -> None:
    for line, (ent_num, add_num, street, city_state_postal, country, _add_remarks) in rows:
        party = _party_for(parties, ent_num, ADD_FILE, line, problems)
        if not add_num.isdigit():
            problems.append(FileProblem(ADD_FILE, line, f"add_num {add_num!r} is not a number"))
        if party is None or not (street or city_state_postal or country):
            continue
        party.addresses.append(
            Address(
                street=street or None,
                # OFAC writes city, state and postal code in one field; it is kept whole as the city.
                city=city_state_postal or None,
                country=country_code(country),
                full=", ".join(part for part in (street, city_state_postal, country) if part),
            )
        )


def _entry(ent_num: int, party: _Party) -> WatchlistEntry:
    row = party.row
    kind = _KINDS[row[2].lower()]
    facts = parse_remarks(party.remarks, kind)
    identifiers = list(facts.identifiers)
    if row[5]:
        identifiers.insert(0, Identifier(scheme=IdentifierScheme.CALL_SIGN, value=row[5]))
    vessel_flag = country_code(row[9])
    countries = [address.country for address in party.addresses if address.country]
    if vessel_flag:
        countries.append(vessel_flag)
    return WatchlistEntry(
        entry_id=f"{LIST_ID}:{ent_num}",
        list_id=LIST_ID,
        source_ids={"ent_num": str(ent_num)},
        kind=kind,
        names=_unique_names([EntryName(name=row[1], name_type=NameType.PRIMARY), *party.aliases, *facts.names]),
        identifiers=_unique(identifiers),
        dates_of_birth=_unique(facts.dates_of_birth),
        places_of_birth=_unique(facts.places_of_birth),
        nationalities=_unique(facts.nationalities),
        countries=_unique(countries),
        addresses=party.addresses,
        vessel_flag=vessel_flag,
        programs=_programs(row[3]),
        remarks=party.remarks or None,
        owner_country=OWNER_COUNTRY,
        sharing=Sharing(scope=SharingScope.ALL_PARTNERS),
    )


def _programs(value: str) -> list[str]:
    # The CSV drops the outer brackets of "[SDNT] [SDNTK]", leaving "SDNT] [SDNTK".
    return _unique([part.strip() for part in re.split(r"\]\s*\[", value.strip().strip("[]")) if part.strip()])


def _unique_names(names: list[EntryName]) -> list[EntryName]:
    """First occurrence of each name (compared ignoring case and spacing); the primary stays first."""
    seen: set[str] = set()
    kept = []
    for name in names:
        key = " ".join(name.name.split()).casefold()
        if key not in seen:
            seen.add(key)
            kept.append(name)
    return kept


def _unique(values: list[T]) -> list[T]:
    return list(dict.fromkeys(values))
