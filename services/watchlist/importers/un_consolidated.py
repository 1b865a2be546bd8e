"""The UN Security Council Consolidated List (XML), read into watchlist entries.

The file (schema: https://www.un.org/sc/resources/sc-sanctions.xsd) holds
CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL and CONSOLIDATED_LIST/ENTITIES/ENTITY records, each
with a DATAID (the UN's stable record id) and a REFERENCE_NUMBER (e.g. "CDi.001").

The XML is parsed with defusedxml and no DTD is accepted at all: the UN publishes none, so a
DOCTYPE, an entity declaration (billion laughs) or an external reference can only be an attack or
a wrong file, and it rejects the import. Every problem is reported with the element's path and
line (`INDIVIDUALS/INDIVIDUAL[3]/DATAID`, line 57) and the whole file is rejected.

The UN is not one of the partners, so the owner of the imported list is the import's choice:
the partner whose administrators maintain the UN list in this system (see FORMATS.md).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from pydantic import ValidationError

from services.shared.models.common import Address, EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import EntryName, NameType, Sharing, SharingScope, WatchlistEntry
from services.watchlist.countries import country_code
from services.watchlist.errors import FileProblem, WatchlistFileError

LIST_ID = "un-sc"
TITLE = "UN Security Council Consolidated List"
ROOT_TAG = "CONSOLIDATED_LIST"

#: A FROM_YEAR..TO_YEAR range wider than this is a data error, not a birth year range.
MAX_YEAR_RANGE = 20
_READ_CHUNK = 1 << 16

_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ALIAS_TYPES = {
    "": NameType.AKA,
    "good": NameType.AKA,
    "a.k.a.": NameType.AKA,
    "low": NameType.WEAK,  # the UN's "low quality" aliases: too vague to alert on alone
    "f.k.a.": NameType.FKA,
    "n.k.a.": NameType.NKA,
}
_DOCUMENT_SCHEMES = {
    "passport": IdentifierScheme.PASSPORT,
    "diplomatic passport": IdentifierScheme.PASSPORT,
    "national identification number": IdentifierScheme.NATIONAL_ID,
    "national identity card": IdentifierScheme.NATIONAL_ID,
    "identity card": IdentifierScheme.NATIONAL_ID,
}
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
# A DOB given only as a NOTE, e.g. "Nov. 1973" or "12 Nov. 1973".
_NOTE_DATE = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{4})$")
_YEAR = re.compile(r"^\d{4}$")


class _LineTreeBuilder(ET.TreeBuilder):
    """Remembers the line of each element's start tag: the error messages point at it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[ET.Element, int] = {}
        self.parser: DefusedXMLParser | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[element] = self.parser.parser.CurrentLineNumber  # the pure-Python parser's expat
        return element


@dataclass
class _Record:
    """One INDIVIDUAL or ENTITY being read, with where it is and what is wrong with it."""

    element: ET.Element
    path: str
    file: str
    lines: dict[ET.Element, int]
    problems: list[FileProblem] = field(default_factory=list)

    def problem(self, child: ET.Element | None, relative: str, message: str) -> None:
        line = self.lines.get(child if child is not None else self.element)
        self.problems.append(
            FileProblem(
                self.file, line, f"{self.path}/{relative}: {message}" if relative else f"{self.path}: {message}"
            )
        )

    def text(self, tag: str) -> str:
        return _text(self.element.find(tag))

    def children(self, tag: str) -> list[tuple[str, ET.Element]]:
        found = self.element.findall(tag)
        return [(f"{tag}[{index}]", child) for index, child in enumerate(found, start=1)]


def _text(element: ET.Element | None) -> str:
    """The element's text, spaces tidied; "" for none, or for the list's "na" (not available), which a
    name part would keep as a word (FAIZULLAH KHAN NOORZAI na) and a nationality would read as Namibia."""
    text = re.sub(r"\s+", " ", element.text or "").strip() if element is not None else ""
    return "" if text == "na" or text.lower() == "n/a" else text


def parse_un_consolidated(path: Path, *, owner_country: str, sharing: Sharing | None = None) -> list[WatchlistEntry]:
    """Every individual and entity of the file (individuals first, in file order).

    Raises WatchlistFileError listing every problem with its element path and line: XML that is
    not well-formed or declares a DTD or entities, a wrong root, a missing or repeated DATAID, a
    record without a name, an unknown alias quality, an invalid date.
    """
    name = Path(path).name
    root, lines = _parse_xml(Path(path), name)
    if root.tag != ROOT_TAG:
        raise WatchlistFileError(
            [FileProblem(name, lines.get(root), f"root element is {root.tag}, expected {ROOT_TAG}")]
        )
    share = sharing or Sharing(scope=SharingScope.ALL_PARTNERS)
    problems: list[FileProblem] = []
    entries: list[WatchlistEntry] = []
    first_seen: dict[str, str] = {}
    for group, tag, kind in (
        ("INDIVIDUALS", "INDIVIDUAL", EntityKind.PERSON),
        ("ENTITIES", "ENTITY", EntityKind.ORGANIZATION),
    ):
        for index, element in enumerate(root.findall(f"{group}/{tag}"), start=1):
            record = _Record(element, f"{group}/{tag}[{index}]", name, lines)
            entry = _entry(record, kind, owner_country, share)
            problems.extend(record.problems)
            if entry is None:
                continue
            if entry.entry_id in first_seen:
                record.problem(
                    element.find("DATAID"),
                    "DATAID",
                    f"{entry.source_ids['dataid']} repeats {first_seen[entry.entry_id]}",
                )
                problems.extend(record.problems)
                continue
            first_seen[entry.entry_id] = record.path
            entries.append(entry)
    if problems:
        raise WatchlistFileError(problems)
    return entries


def _parse_xml(path: Path, name: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder.parser = parser
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_READ_CHUNK):
                parser.feed(chunk)
        root = parser.close()
    except OSError as error:
        raise WatchlistFileError([FileProblem(name, None, f"cannot read: {error.strerror or error}")]) from error
    except ET.ParseError as error:
        line, column = error.position
        raise WatchlistFileError(
            [FileProblem(name, line, f"not well-formed XML (column {column}): {error}")]
        ) from error
    except DefusedXmlException as error:
        line = parser.parser.CurrentLineNumber
        raise WatchlistFileError(
            [FileProblem(name, line, f"refused: {error} (a UN list has no DTD or entities)")]
        ) from error
    return root, builder.lines


def _entry(record: _Record, kind: EntityKind, owner_country: str, sharing: Sharing) -> WatchlistEntry | None:
    dataid = record.text("DATAID")
    if not dataid.isdigit():
        record.problem(record.element.find("DATAID"), "DATAID", f"missing or not a number: {dataid!r}")
        return None
    primary = " ".join(part for part in (record.text(tag) for tag in _NAME_PARTS) if part)
    if not primary:
        record.problem(None, "FIRST_NAME", "the record has no name")
        return None
    remarks: list[str] = []
    names = [
        EntryName(name=primary),
        *_names(record, primary, "INDIVIDUAL_ALIAS" if kind is EntityKind.PERSON else "ENTITY_ALIAS"),
    ]
    nationalities = _countries(record, "NATIONALITY/VALUE", "Nationality", remarks)
    addresses = _addresses(record, "INDIVIDUAL_ADDRESS" if kind is EntityKind.PERSON else "ENTITY_ADDRESS")
    fields = {
        "entry_id": f"{LIST_ID}:{dataid}",
        "list_id": LIST_ID,
        "source_ids": {"dataid": dataid, "reference_number": record.text("REFERENCE_NUMBER")},
        "kind": kind,
        "names": _unique_names(names),
        "identifiers": _documents(record, remarks) if kind is EntityKind.PERSON else [],
        "dates_of_birth": _dates_of_birth(record, remarks) if kind is EntityKind.PERSON else [],
        "places_of_birth": _places_of_birth(record) if kind is EntityKind.PERSON else [],
        "nationalities": nationalities,
        "countries": list(dict.fromkeys(address.country for address in addresses if address.country)),
        "addresses": addresses,
        "programs": [program] if (program := record.text("UN_LIST_TYPE")) else [],
        "remarks": _remarks(record, remarks),
        "owner_country": owner_country,
        "sharing": sharing,
        "listed_on": _listed_on(record),
    }
    if record.problems:
        return None
    try:
        return WatchlistEntry.model_validate(fields)
    except ValidationError as error:
        for detail in error.errors():
            record.problem(None, "", f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}")
        return None


def _names(record: _Record, primary: str, alias_tag: str) -> list[EntryName]:
    names: list[EntryName] = []
    # The UN writes some entities as "NAME A (A) ; NAME B (B)": each part is a name on its own.
    if ";" in primary:
        names.extend(
            EntryName(name=part.strip(), name_type=NameType.AKA) for part in primary.split(";") if part.strip()
        )
    for relative, alias in record.children(alias_tag):
        alias_name = _text(alias.find("ALIAS_NAME"))
        quality = _text(alias.find("QUALITY")).lower()
        if not alias_name:
            continue  # the UN's empty placeholder <ALIAS_NAME/>
        if quality not in _ALIAS_TYPES:
            record.problem(alias.find("QUALITY"), f"{relative}/QUALITY", f"unknown alias quality {quality!r}")
            continue
        names.append(EntryName(name=alias_name, name_type=_ALIAS_TYPES[quality]))
    original = record.text("NAME_ORIGINAL_SCRIPT")
    if original:
        names.append(EntryName(name=original, name_type=NameType.AKA))
    return names


def _unique_names(names: list[EntryName]) -> list[EntryName]:
    seen: set[str] = set()
    unique = []
    for name in names:
        if name.name.casefold() not in seen:
            seen.add(name.name.casefold())
            unique.append(name)
    return unique


def _countries(record: _Record, tag: str, label: str, remarks: list[str]) -> list[str]:
    codes: list[str] = []
    for element in record.element.findall(tag):
        text = _text(element)
        if not text:
            continue
        code = country_code(text)
        if code is None:
            remarks.append(f"{label}: {text}")  # unknown spelling: keep it readable rather than drop it
        elif code not in codes:
            codes.append(code)
    return codes


def _addresses(record: _Record, tag: str) -> list[Address]:
    addresses = []
    for _relative, element in record.children(tag):
        parts = {
            child: _text(element.find(child))
            for child in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY", "NOTE")
        }
        if not any(parts.values()):
            continue
        full = ", ".join(
            parts[key] for key in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY") if parts[key]
        )
        if parts["NOTE"]:
            full = f"{full} ({parts['NOTE']})" if full else parts["NOTE"]
        addresses.append(
            Address(
                street=parts["STREET"] or None, city=parts["CITY"] or None, region=parts["STATE_PROVINCE"] or None,
                postal_code=parts["ZIP_CODE"] or None, country=country_code(parts["COUNTRY"]), full=full,
            )
        )
    return addresses


def _dates_of_birth(record: _Record, remarks: list[str]) -> list[str]:
    dates: list[str] = []
    for relative, element in record.children("INDIVIDUAL_DATE_OF_BIRTH"):
        exact, year = _text(element.find("DATE")), _text(element.find("YEAR"))
        from_year, to_year = _text(element.find("FROM_YEAR")), _text(element.find("TO_YEAR"))
        note = _text(element.find("NOTE"))
        if exact:
            try:
                dates.append(date.fromisoformat(exact[:10]).isoformat())
            except ValueError:
                record.problem(element.find("DATE"), f"{relative}/DATE", f"not a date: {exact!r}")
        if year:
            if _YEAR.match(year):
                dates.append(year)
            else:
                record.problem(element.find("YEAR"), f"{relative}/YEAR", f"not a year: {year!r}")
        if from_year or to_year:
            dates.extend(_year_range(record, element, relative, from_year, to_year))
        if note and not (exact or year or from_year or to_year):
            parsed = _note_date(note)
            if parsed:
                dates.append(parsed)
            else:
                remarks.append(f"Date of birth: {note}")
    return list(dict.fromkeys(dates))


def _year_range(record: _Record, element: ET.Element, relative: str, from_year: str, to_year: str) -> list[str]:
    if (
        not (_YEAR.match(from_year) and _YEAR.match(to_year))
        or not 0 <= int(to_year) - int(from_year) <= MAX_YEAR_RANGE
    ):
        record.problem(
            element,
            relative,
            f"FROM_YEAR {from_year!r} .. TO_YEAR {to_year!r} is not a range of at most {MAX_YEAR_RANGE} years",
        )
        return []
    return [str(year) for year in range(int(from_year), int(to_year) + 1)]


def _note_date(note: str) -> str | None:
    match = _NOTE_DATE.match(note)
    if not match or match.group(2).lower() not in _MONTHS:
        return None
    day, month, year = match.group(1), _MONTHS[match.group(2).lower()], match.group(3)
    try:
        return date(int(year), month, int(day)).isoformat() if day else f"{year}-{month:02d}"
    except ValueError:
        return None


def _places_of_birth(record: _Record) -> list[str]:
    places = []
    for _relative, element in record.children("INDIVIDUAL_PLACE_OF_BIRTH"):
        place = ", ".join(
            part for part in (_text(element.find(tag)) for tag in ("CITY", "STATE_PROVINCE", "COUNTRY")) if part
        )
        if place and place not in places:
            places.append(place)
    return places


def _documents(record: _Record, remarks: list[str]) -> list[Identifier]:
    identifiers = []
    for _relative, element in record.children("INDIVIDUAL_DOCUMENT"):
        document_type, number = _text(element.find("TYPE_OF_DOCUMENT")), _text(element.find("NUMBER"))
        if not number:
            continue  # the UN's empty <INDIVIDUAL_DOCUMENT/>, or a document known only by its note
        country_name = _text(element.find("ISSUING_COUNTRY")) or _text(element.find("COUNTRY_OF_ISSUE"))
        country = country_code(country_name)
        if country_name and country is None:
            remarks.append(f"{document_type or 'Document'} {number} issued by: {country_name}")
        scheme = _DOCUMENT_SCHEMES.get(document_type.lower(), IdentifierScheme.OTHER)
        identifiers.append(Identifier(scheme=scheme, value=number, country=country))
    return identifiers


def _listed_on(record: _Record) -> date | None:
    text = record.text("LISTED_ON")
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        record.problem(record.element.find("LISTED_ON"), "LISTED_ON", f"not a date: {text!r}")
        return None


def _remarks(record: _Record, extra: list[str]) -> str | None:
    parts = [record.text("COMMENTS1")]
    for label, tag in (("Title", "TITLE/VALUE"), ("Designation", "DESIGNATION/VALUE")):
        values = [_text(element) for element in record.element.findall(tag) if _text(element)]
        if values:
            parts.append(f"{label}: {'; '.join(values)}")
    parts.extend(extra)
    text = "\n".join(part for part in parts if part)
    return text or None
