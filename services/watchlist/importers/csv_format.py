"""The project's CSV format for national lists: one row per entry under a header row.

Partners keep national lists in spreadsheets; this format is what a spreadsheet exports. The
columns are those of `services.watchlist.formats.CsvRow` (any order, all but entry_id, kind and
name optional); multi-valued cells are separated by "|". Every problem of every row is reported
with its line number and the whole file is rejected: a list with rows silently missing would let
a listed party pass unmatched.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.shared.models.common import EntityKind, IdentifierScheme
from services.shared.models.watchlist import NameType, Sharing, WatchlistEntry
from services.watchlist.countries import country_code
from services.watchlist.errors import FileProblem, WatchlistFileError
from services.watchlist.formats import CSV_COLUMNS, CSV_LIST_SEPARATOR, CSV_REQUIRED_COLUMNS, CsvRow
from services.watchlist.importers.collect import UniqueEntries

_ALIAS_PREFIXES = {
    name_type.value: name_type for name_type in (NameType.AKA, NameType.FKA, NameType.NKA, NameType.WEAK)
}
_SCHEMES = {scheme.value: scheme for scheme in IdentifierScheme}
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}){0,2}$")
_LIST_COLUMNS = ("aliases", "identifiers", "dates_of_birth", "nationalities", "countries", "programs")


class _RowProblems(Exception):
    """The messages about one row; collected with the row's line number by the caller."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_csv(path: Path, *, list_id: str, owner_country: str, sharing: Sharing | None = None) -> list[WatchlistEntry]:
    """Every entry of the file in row order, or WatchlistFileError with every problem and its line."""
    name = Path(path).name
    text = _read_text(Path(path), name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[FileProblem] = []
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise WatchlistFileError([FileProblem(name, 1, f"not CSV: {error}")]) from error
    if header is None:
        raise WatchlistFileError([FileProblem(name, 1, "empty file: expected a header row")])
    columns = _check_header(header, name)
    entries = UniqueEntries(name, problems)
    line = reader.line_num + 1  # where the next row starts: a quoted cell may span lines
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(FileProblem(name, line, f"not CSV: {error}"))
            break  # the reader cannot resynchronise after a broken quote
        row_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            problems.append(FileProblem(name, row_line, f"{len(cells)} cells, the header has {len(columns)}"))
            continue
        try:
            entry = _entry(dict(zip(columns, cells, strict=True)), list_id, owner_country, sharing)
        except _RowProblems as error:
            problems.extend(FileProblem(name, row_line, message) for message in error.messages)
            continue
        entries.add(entry, row_line)
    return entries.result()


def _read_text(path: Path, name: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise WatchlistFileError([FileProblem(name, None, f"cannot read: {error.strerror or error}")]) from error
    try:
        return raw.decode("utf-8-sig")  # spreadsheets often write a byte-order mark
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise WatchlistFileError(
            [FileProblem(name, line, f"not UTF-8 (byte {error.start}): export the sheet as CSV UTF-8")]
        ) from error


def _check_header(header: list[str], name: str) -> list[str]:
    columns = [cell.strip().lower() for cell in header]
    problems = [
        FileProblem(name, 1, f"unknown column {column!r} (columns: {', '.join(CSV_COLUMNS)})")
        for column in columns
        if column not in CSV_COLUMNS
    ]
    problems += [
        FileProblem(name, 1, f"column {column!r} appears twice")
        for column in sorted({c for c in columns if columns.count(c) > 1})
    ]
    problems += [
        FileProblem(name, 1, f"missing required column {column!r}")
        for column in CSV_REQUIRED_COLUMNS
        if column not in columns
    ]
    if problems:
        raise WatchlistFileError(problems)
    return columns


def _entry(cells: dict[str, str], list_id: str, owner_country: str, sharing: Sharing | None) -> WatchlistEntry:
    try:
        row = CsvRow.model_validate(cells)
    except ValidationError as error:
        raise _RowProblems(
            [f"{'.'.join(str(p) for p in detail['loc'])}: {detail['msg']}" for detail in error.errors()]
        ) from error
    messages: list[str] = []
    lists = {
        column: [value.strip() for value in getattr(row, column).split(CSV_LIST_SEPARATOR) if value.strip()]
        for column in _LIST_COLUMNS
    }
    source_id = row.entry_id.removeprefix(f"{list_id}:")
    fields: dict[str, Any] = {
        "entry_id": f"{list_id}:{source_id}",
        "list_id": list_id,
        "source_ids": {"id": source_id},
        "kind": _kind(row.kind, messages),
        "names": [{"name": row.name}, *(_alias(alias) for alias in lists["aliases"])],
        "identifiers": [identifier for text in lists["identifiers"] if (identifier := _identifier(text, messages))],
        "dates_of_birth": [value for value in lists["dates_of_birth"] if _check_date(value, messages)],
        "nationalities": _countries("nationalities", lists["nationalities"], messages),
        "countries": _countries("countries", lists["countries"], messages),
        "vessel_flag": next(
            iter(_countries("vessel_flag", [row.vessel_flag] if row.vessel_flag else [], messages)), None
        ),
        "programs": lists["programs"],
        "remarks": row.remarks or None,
        "owner_country": owner_country,
        "expires_at": row.expires_at or None,
    }
    if sharing is not None:
        fields["sharing"] = sharing
    try:
        entry = WatchlistEntry.model_validate(fields)
    except ValidationError as error:
        messages += [f"{'.'.join(str(p) for p in detail['loc'])}: {detail['msg']}" for detail in error.errors()]
    if messages:
        raise _RowProblems(messages)
    return entry


def _kind(text: str, messages: list[str]) -> str:
    if text.lower() not in {kind.value for kind in EntityKind}:
        messages.append(f"kind: unknown kind {text!r} (expected {', '.join(kind.value for kind in EntityKind)})")
        return EntityKind.UNKNOWN.value  # already reported: keeps the model from reporting it twice
    return text.lower()


def _alias(text: str) -> dict[str, str]:
    prefix, separator, rest = text.partition(":")
    if separator and prefix.strip().lower() in _ALIAS_PREFIXES and rest.strip():
        return {"name": rest.strip(), "name_type": _ALIAS_PREFIXES[prefix.strip().lower()].value}
    return {"name": text, "name_type": NameType.AKA.value}


def _identifier(text: str, messages: list[str]) -> dict[str, str | None] | None:
    parts = [part.strip() for part in text.split(":")]
    if len(parts) < 2 or not parts[1]:
        messages.append(f"identifiers: {text!r} is not scheme:value[:country]")
        return None
    scheme = parts[0].lower()
    if scheme not in _SCHEMES:
        messages.append(f"identifiers: unknown scheme {parts[0]!r} in {text!r} (known: {', '.join(_SCHEMES)})")
        return None
    country = None
    if len(parts) > 2:  # the last part names the issuing country; a value may contain ':' itself
        country = country_code(parts[-1])
        if country is None:
            messages.append(f"identifiers: unknown country {parts[-1]!r} in {text!r}")
            return None
    value = ":".join(parts[1:-1] if len(parts) > 2 else parts[1:])
    return {"scheme": scheme, "value": value, "country": country}


def _check_date(value: str, messages: list[str]) -> bool:
    if _PARTIAL_DATE.match(value):
        year, month, day = ([int(part) for part in value.split("-")] + [1, 1])[:3]
        try:
            date(year, month, day)
            return True
        except ValueError:
            pass
    messages.append(f"dates_of_birth: {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return False


def _countries(column: str, values: list[str], messages: list[str]) -> list[str]:
    codes = []
    for value in values:
        code = country_code(value)
        if code is None:
            messages.append(f"{column}: unknown country {value!r}")
        elif code not in codes:
            codes.append(code)
    return codes
