"""CSV: bulk shipment manifests from customs and carriers, one row per line item of a bill of lading.

A file is a header row and data rows. The rows of one bill of lading are consecutive (same
`manifest_id` and `bill_of_lading`), each repeating the manifest-level columns, and `line_type`
says what else the row carries: a party, one more identifier of the party above it, a container
or a commodity. Shipment manifests only. The user documentation, with the column list, an example
and every rejection, is docs/feeds/csv.md.

The decoder builds documents in the JSON contract's shape and leaves checking to the models: an
empty cell is left out, a value is passed through as written (stripped), so pydantic's error
names the field. It refuses only what it cannot read: undecodable bytes, a bad header, a row it
cannot frame, values of the CSV's own vocabularies (line_type, party_role, party_kind,
party_id_scheme) it does not know, numbers it cannot read, rows of one bill disagreeing.

The module is `csv.py` inside a package: `import csv` below is the standard library's (absolute
imports), and the package's own name for it is `services.ingest.formats.csv`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from services.ingest.formats.base import (
    UNSUPPORTED_DOCUMENT,
    Context,
    Document,
    FormatError,
    Message,
    plain_text,
    require_fields,
)
from services.shared.models.common import EntityKind, IdentifierScheme
from services.shared.models.manifest import PartyRole

#: Reasons of the FormatErrors this format raises.
INVALID_ENCODING = "invalid_encoding"  # not UTF-8
INVALID_CSV = "invalid_csv"  # unparseable CSV, a row of the wrong width, an unknown value of the CSV's vocabularies
INVALID_HEADER = "invalid_header"  # no header row, a blank or repeated column name
MISSING_COLUMNS = "missing_columns"  # a required column is not in the header
UNKNOWN_COLUMNS = "unknown_columns"  # the header names a column this format does not have
INCONSISTENT_MANIFEST = "inconsistent_manifest"  # rows of one bill of lading disagree on a manifest-level column
NON_CONSECUTIVE_ROWS = "non_consecutive_rows"  # a bill of lading's rows are not together
MISSING_FEED = "missing_feed"  # neither a feed column nor the message's feed
TOO_MANY_ROWS = "too_many_rows"  # more than MAX_ROWS data rows in one message
LINE_TOO_LONG = "line_too_long"  # a physical line longer than MAX_LINE_BYTES
FIELD_TOO_LONG = "field_too_long"  # a cell longer than MAX_FIELD_CHARS

#: Data rows one message may hold. A bill of lading has tens of lines, a large consolidation a few
#: thousand; beyond this a message is an error or an attack, and is refused before it is built.
MAX_ROWS = 20_000
#: A physical line, and a cell, longer than these is not a manifest row. csv's own field limit
#: (field_size_limit, 128 KiB by default) is process-wide state shared with the other CSV readers
#: of the project (watchlists), so it is left alone and the limits are enforced here.
MAX_LINE_BYTES = 256 * 1024
MAX_FIELD_CHARS = 64 * 1024

#: Columns repeated on every row of a bill of lading, in the order `encode` writes them.
MANIFEST_COLUMNS = (
    "feed",
    "manifest_id",
    "reported_at",
    "bill_of_lading",
    "vessel_name",
    "vessel_imo",
    "vessel_mmsi",
    "vessel_call_sign",
    "vessel_flag",
    "voyage_number",
    "port_of_origin",
    "port_of_loading",
    "transshipment_ports",
    "port_of_discharge",
    "place_of_destination",
)
PARTY_ID_COLUMNS = ("party_id_scheme", "party_id_value", "party_id_country")
PARTY_COLUMNS = (
    "party_role",
    "party_name",
    "party_kind",
    "party_country",
    "party_street",
    "party_city",
    "party_region",
    "party_postal_code",
    "party_address_country",
    "party_address",
    *PARTY_ID_COLUMNS,
)
CONTAINER_COLUMNS = ("container_number", "container_seal", "container_size_type")
COMMODITY_COLUMNS = ("hs_code", "goods_description", "gross_weight_kg", "goods_container")
COLUMNS = (*MANIFEST_COLUMNS, "line_type", *PARTY_COLUMNS, *CONTAINER_COLUMNS, *COMMODITY_COLUMNS)

#: Without these no row can be framed (manifest_id, bill_of_lading, line_type) or no manifest can
#: ever be valid (the others); a header lacking one is refused at once rather than row by row.
REQUIRED_COLUMNS = ("manifest_id", "reported_at", "bill_of_lading", "port_of_loading", "port_of_discharge", "line_type")

#: Which line columns each line type may fill; "" is a row carrying only the manifest-level columns
#: (the one row of a bill of lading that has no parties, containers nor commodities).
LINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "party": PARTY_COLUMNS,
    "party_id": PARTY_ID_COLUMNS,
    "container": CONTAINER_COLUMNS,
    "commodity": COMMODITY_COLUMNS,
    "": (),
}
_LINE_COLUMN_SET = frozenset(PARTY_COLUMNS + CONTAINER_COLUMNS + COMMODITY_COLUMNS)
#: Manifest-level columns that are the contract's fields of the same name.
_SCALAR_FIELDS = (
    "manifest_id",
    "reported_at",
    "bill_of_lading",
    "voyage_number",
    "port_of_origin",
    "port_of_loading",
    "port_of_discharge",
    "place_of_destination",
)
#: Separator of the ports in `transshipment_ports` (a UN/LOCODE never contains it).
PORT_SEPARATOR = ";"

_ROLES = tuple(role.value for role in PartyRole)
_KINDS = tuple(kind.value for kind in EntityKind)
_SCHEMES = tuple(scheme.value for scheme in IdentifierScheme)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class _Row:
    line: int
    cells: dict[str, str]

    @property
    def key(self) -> tuple[str, str]:
        return self.cells.get("manifest_id", ""), self.cells.get("bill_of_lading", "")


class CsvFormat:
    name = "csv"

    def sniff(self, head: bytes) -> bool:
        # Only the first line is looked at: the header row with the required columns is what makes
        # a file this format (a `head` cut inside a UTF-8 sequence must not make it unrecognised).
        first = head.removeprefix(_BOM).split(b"\n", 1)[0].decode("utf-8", errors="ignore")
        try:
            header = next(csv.reader([first]), [])
        except csv.Error:
            return False
        names = {name.strip().lower() for name in header}
        return all(column in names for column in REQUIRED_COLUMNS)

    def split(self, handle: IO[bytes]) -> Iterator[Message]:
        # One message per bill of lading: a header row and that bill's rows, written again with csv
        # so each message decodes alone. Rows are not checked beyond framing here: what is wrong
        # inside a bill reaches the dead-letter topic with its reason, from `decode`.
        seen: set[tuple[str, str]] = set()
        group: list[_Row] = []
        for row in _Reader(_lines(handle)).rows():
            if group and row.key != group[0].key:
                yield _message(group)
                group = []
            if not group:
                if row.key in seen:
                    raise _non_consecutive(row)
                seen.add(row.key)
            group.append(row)
        if group:
            yield _message(group)

    def decode(self, payload: bytes, context: Context) -> list[Document]:
        documents: list[Document] = []
        seen: set[tuple[str, str]] = set()
        group: list[_Row] = []
        for count, row in enumerate(_Reader(_lines(io.BytesIO(payload))).rows(), start=1):
            if count > MAX_ROWS:
                raise FormatError(TOO_MANY_ROWS, f"more than {MAX_ROWS} data rows in one message", row.line)
            if group and row.key != group[0].key:
                documents.append(_document(group, context))
                group = []
            if not group:
                if row.key in seen:
                    raise _non_consecutive(row)
                seen.add(row.key)
            group.append(row)
        if group:
            documents.append(_document(group, context))
        return documents

    def encode(self, documents: Sequence[Document]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        seen: set[tuple[str, str]] = set()
        for document in documents:
            rows = _rows_of(document)
            key = (rows[0][COLUMNS.index("manifest_id")], rows[0][COLUMNS.index("bill_of_lading")])
            if key in seen:
                # Two documents of one bill (versions of a manifest) would be read back as one.
                raise FormatError(UNSUPPORTED_DOCUMENT, f"manifest {key[0]!r}, bill of lading {key[1]!r} given twice")
            seen.add(key)
            writer.writerows(rows)
        return out.getvalue().encode()


# --- reading -------------------------------------------------------------------------------------


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, str]]:
    """Physical lines as text with their numbers; lines are read one by one so that a huge line or
    a bad byte is found where it is, and reported with its line."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise FormatError(LINE_TOO_LONG, f"line longer than {MAX_LINE_BYTES} bytes", number)
        if number == 1:
            raw = raw.removeprefix(_BOM)
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FormatError(INVALID_ENCODING, f"not UTF-8: byte {error.start + 1} of the line", number) from error


class _Reader:
    """Data rows, each with the physical line it starts on and its cells by column name.

    The first non-blank row is the header. A row naming the required columns again is a new header
    (files concatenated from several exports, or written by `encode` one document at a time) and
    applies from there on. Blank rows are skipped.
    """

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self._lines = lines
        self._last = 0  # the physical line last handed to csv
        self._reader = csv.reader(self._feed(), strict=True)

    def _feed(self) -> Iterator[str]:
        for number, text in self._lines:
            self._last = number
            yield text

    def rows(self) -> Iterator[_Row]:
        columns: list[str] = []
        while True:
            start = self._last + 1
            try:
                cells = next(self._reader, None)
            except csv.Error as error:
                raise FormatError(INVALID_CSV, f"not CSV: {error}", self._last or 1) from error
            if cells is None:
                break
            if not any(cell.strip() for cell in cells):
                continue
            if any(len(cell) > MAX_FIELD_CHARS for cell in cells):
                raise FormatError(FIELD_TOO_LONG, f"a cell longer than {MAX_FIELD_CHARS} characters", start)
            if not columns or _is_header(cells):
                columns = _columns(cells, start)
                continue
            if len(cells) != len(columns):
                raise FormatError(INVALID_CSV, f"the row has {len(cells)} fields, the header {len(columns)}", start)
            yield _Row(start, {column: cell.strip() for column, cell in zip(columns, cells, strict=True)})
        if not columns:
            raise FormatError(INVALID_HEADER, "no header row (the message is empty)", 1)


def _is_header(cells: list[str]) -> bool:
    # A data row cannot name every required column: its line_type would be 'line_type'.
    names = {cell.strip().lower() for cell in cells}
    return all(column in names for column in REQUIRED_COLUMNS)


def _columns(header: list[str], line: int) -> list[str]:
    names = [name.strip().lower() for name in header]
    if "" in names:
        raise FormatError(INVALID_HEADER, f"column {names.index('') + 1} of the header has no name", line)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FormatError(INVALID_HEADER, f"column(s) given twice: {', '.join(repeated)}", line)
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise FormatError(
            UNKNOWN_COLUMNS, f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}", line
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise FormatError(MISSING_COLUMNS, f"the header lacks the column(s) {', '.join(missing)}", line)
    return names


def _non_consecutive(row: _Row) -> FormatError:
    manifest_id, bill = row.key
    return FormatError(
        NON_CONSECUTIVE_ROWS,
        f"manifest {manifest_id!r}, bill of lading {bill!r} continues here after other bills: "
        "the rows of a bill of lading must be consecutive",
        row.line,
    )


def _message(group: list[_Row]) -> Message:
    # The header is the bill's columns in the order first read (a new header in the middle of a
    # bill may add some): the message holds exactly what its rows said.
    columns = list(dict.fromkeys(column for row in group for column in row.cells))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row.cells.get(column, "") for column in columns] for row in group)
    feed, manifest_id = group[0].cells.get("feed"), group[0].cells.get("manifest_id")
    key = f"{feed}:{manifest_id}".encode() if feed and manifest_id else None
    return Message(group[0].line, out.getvalue().encode(), key)


# --- building documents --------------------------------------------------------------------------


def _document(rows: list[_Row], context: Context) -> Document:
    first = rows[0]
    for row in rows[1:]:
        for column in MANIFEST_COLUMNS:
            if row.cells.get(column, "") != first.cells.get(column, ""):
                raise FormatError(
                    INCONSISTENT_MANIFEST,
                    f"column {column!r} is {row.cells.get(column, '')!r} here but {first.cells.get(column, '')!r} "
                    f"on line {first.line}, in the same bill of lading",
                    row.line,
                )
    cells = first.cells
    feed = cells.get("feed") or context.feed
    if not feed:
        raise FormatError(MISSING_FEED, "no feed: the row has no 'feed' and the message no feed header", first.line)
    document: Document = {"kind": "shipment", "feed": feed}
    for field in _SCALAR_FIELDS:
        _put(document, field, cells.get(field))
    ports = [port.strip() for port in cells.get("transshipment_ports", "").split(PORT_SEPARATOR) if port.strip()]
    if ports:
        document["transshipment_ports"] = ports
    vessel: Document = {}
    for field in ("name", "imo", "mmsi", "call_sign", "flag"):
        _put(vessel, field, cells.get(f"vessel_{field}"))
    if vessel:
        document["vessel"] = vessel

    parties: list[Document] = []
    containers: list[Document] = []
    commodities: list[Document] = []
    last_line_type = ""
    for row in rows:
        line_type = _line_type(row)
        if line_type == "party":
            parties.append(_party(row))
        elif line_type == "party_id":
            if last_line_type not in ("party", "party_id"):
                raise FormatError(INVALID_CSV, "a party_id line must follow the party line it adds to", row.line)
            parties[-1].setdefault("identifiers", []).append(_identifier(row))
        elif line_type == "container":
            containers.append(_container(row))
        elif line_type == "commodity":
            commodities.append(_commodity(row))
        last_line_type = line_type
    for field, items in (("parties", parties), ("containers", containers), ("commodities", commodities)):
        if items:
            document[field] = items
    return document


def _line_type(row: _Row) -> str:
    line_type = row.cells["line_type"].lower()
    if line_type not in LINE_COLUMNS:
        raise FormatError(
            INVALID_CSV,
            f"column 'line_type' is {row.cells['line_type']!r}, expected one of party, party_id, container, "
            "commodity, or empty for a row with only the manifest-level columns",
            row.line,
        )
    allowed = LINE_COLUMNS[line_type]
    for column, value in row.cells.items():
        if value and column in _LINE_COLUMN_SET and column not in allowed:
            raise FormatError(
                INVALID_CSV,
                f"column {column!r} is filled ({value!r}) on a {line_type or 'manifest-only'} line, "
                "which does not use it",
                row.line,
            )
    return line_type


def _party(row: _Row) -> Document:
    cells = row.cells
    party: Document = {}
    _put(party, "role", _choice(row, "party_role", _ROLES))
    _put(party, "name", cells.get("party_name"))
    _put(party, "kind", _choice(row, "party_kind", _KINDS))
    _put(party, "country", cells.get("party_country"))
    address: Document = {}
    for field in ("street", "city", "region", "postal_code"):
        _put(address, field, cells.get(f"party_{field}"))
    _put(address, "country", cells.get("party_address_country"))
    _put(address, "full", cells.get("party_address"))
    if address:
        party["address"] = address
    if any(cells.get(column) for column in PARTY_ID_COLUMNS):
        party["identifiers"] = [_identifier(row)]
    return party


def _identifier(row: _Row) -> Document:
    identifier: Document = {}
    _put(identifier, "scheme", _choice(row, "party_id_scheme", _SCHEMES))
    _put(identifier, "value", row.cells.get("party_id_value"))
    _put(identifier, "country", row.cells.get("party_id_country"))
    return identifier


def _container(row: _Row) -> Document:
    container: Document = {}
    _put(container, "number", row.cells.get("container_number"))
    _put(container, "seal", row.cells.get("container_seal"))
    _put(container, "size_type", row.cells.get("container_size_type"))
    return container


def _commodity(row: _Row) -> Document:
    commodity: Document = {}
    _put(commodity, "hs_code", row.cells.get("hs_code"))
    _put(commodity, "description", row.cells.get("goods_description"))
    weight = row.cells.get("gross_weight_kg", "")
    if weight:
        commodity["gross_weight_kg"] = _number(row, "gross_weight_kg", weight)
    _put(commodity, "container_number", row.cells.get("goods_container"))
    return commodity


def _choice(row: _Row, column: str, allowed: tuple[str, ...]) -> str | None:
    value = row.cells.get(column, "")
    if not value:
        return None
    if value.lower() not in allowed:
        raise FormatError(
            INVALID_CSV, f"column {column!r} is {value!r}, expected one of {', '.join(allowed)}", row.line
        )
    return value.lower()


def _number(row: _Row, column: str, value: str) -> float:
    if _NUMBER.fullmatch(value) is None or not math.isfinite(number := float(value)):
        raise FormatError(INVALID_CSV, f"column {column!r} is {value!r}, not a number (write 21400.5)", row.line)
    return number


def _put(target: Document, field: str, value: str | None) -> None:
    if value:
        target[field] = value


# --- writing -------------------------------------------------------------------------------------

_DOCUMENT_FIELDS = frozenset(
    {
        "kind",
        "manifest_id",
        "feed",
        "reported_at",
        "bill_of_lading",
        "vessel",
        "voyage_number",
        "port_of_origin",
        "port_of_loading",
        "transshipment_ports",
        "port_of_discharge",
        "place_of_destination",
        "parties",
        "containers",
        "commodities",
    }
)


def _rows_of(document: Document) -> list[list[str]]:
    if document.get("kind", "shipment") != "shipment":
        raise FormatError(UNSUPPORTED_DOCUMENT, f"CSV carries shipment manifests only, not {document.get('kind')!r}")
    _known(document, _DOCUMENT_FIELDS, "manifest")
    base = dict.fromkeys(COLUMNS, "")
    for field in ("feed", *_SCALAR_FIELDS):
        base[field] = _cell(document.get(field))
    ports = [_cell(port) for port in document.get("transshipment_ports") or []]
    if any(PORT_SEPARATOR in port for port in ports):
        raise FormatError(UNSUPPORTED_DOCUMENT, f"a transshipment port contains {PORT_SEPARATOR!r}: {ports}")
    base["transshipment_ports"] = PORT_SEPARATOR.join(ports)
    vessel = document.get("vessel") or {}
    _known(vessel, {"name", "imo", "mmsi", "call_sign", "flag"}, "vessel")
    for field in ("name", "imo", "mmsi", "call_sign", "flag"):
        base[f"vessel_{field}"] = _cell(vessel.get(field))

    lines: list[dict[str, str]] = []
    for party in document.get("parties") or []:
        _known(party, {"role", "name", "kind", "country", "address", "identifiers"}, "party")
        address = party.get("address") or {}
        _known(address, {"street", "city", "region", "postal_code", "country", "full"}, "address")
        identifiers = list(party.get("identifiers") or [])
        line = {
            "line_type": "party",
            "party_role": _cell(party.get("role")),
            "party_name": _cell(party.get("name")),
            "party_kind": _cell(party.get("kind")),
            "party_country": _cell(party.get("country")),
            "party_street": _cell(address.get("street")),
            "party_city": _cell(address.get("city")),
            "party_region": _cell(address.get("region")),
            "party_postal_code": _cell(address.get("postal_code")),
            "party_address_country": _cell(address.get("country")),
            "party_address": _cell(address.get("full")),
        }
        # The party's first identifier goes on its own line, the others on party_id lines below it.
        if identifiers:
            line |= _identifier_cells(identifiers[0])
        lines.append(line)
        lines.extend({"line_type": "party_id"} | _identifier_cells(identifier) for identifier in identifiers[1:])
    for container in document.get("containers") or []:
        _known(container, {"number", "seal", "size_type"}, "container")
        lines.append(
            {
                "line_type": "container",
                "container_number": _cell(container.get("number")),
                "container_seal": _cell(container.get("seal")),
                "container_size_type": _cell(container.get("size_type")),
            }
        )
    for commodity in document.get("commodities") or []:
        _known(commodity, {"hs_code", "description", "gross_weight_kg", "container_number"}, "commodity")
        lines.append(
            {
                "line_type": "commodity",
                "hs_code": _cell(commodity.get("hs_code")),
                "goods_description": _cell(commodity.get("description")),
                "gross_weight_kg": _cell(commodity.get("gross_weight_kg")),
                "goods_container": _cell(commodity.get("container_number")),
            }
        )
    if not lines:
        lines.append({"line_type": ""})
    return [[(base | line).get(column, "") for column in COLUMNS] for line in lines]


def _identifier_cells(identifier: Any) -> dict[str, str]:
    _known(identifier, {"scheme", "value", "country"}, "identifier")
    return {
        "party_id_scheme": _cell(identifier.get("scheme")),
        "party_id_value": _cell(identifier.get("value")),
        "party_id_country": _cell(identifier.get("country")),
    }


def _known(value: Any, fields: Iterable[str], what: str) -> None:
    require_fields(value, fields, what, "CSV")


def _cell(value: Any) -> str:
    text = plain_text(value)
    if text is not None:
        return text
    if isinstance(value, bool):
        raise FormatError(UNSUPPORTED_DOCUMENT, f"{value!r} is not a value of the contract")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError(UNSUPPORTED_DOCUMENT, f"{value!r} cannot be written")
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise FormatError(UNSUPPORTED_DOCUMENT, f"cannot write a {type(value).__name__} in a cell: {value!r}")


CSV_FORMAT = CsvFormat()

__all__ = [
    "COLUMNS",
    "CSV_FORMAT",
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "CsvFormat",
]
