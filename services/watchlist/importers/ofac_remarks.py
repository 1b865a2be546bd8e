"""The Remarks column of OFAC's legacy SDN CSV, read into structured facts.

OFAC packs most of what identifies a party into one free-text column, items separated by ";":
"DOB 15 Dec 1967; POB Chihuahua, Mexico; R.F.C. AIMM-671215-387 (Mexico); a.k.a. 'EL CHAPO'".
Items this module does not understand are not an error: the raw remarks are kept on the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.shared.models.common import EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import EntryName, NameType
from services.watchlist.countries import country_code

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}

#: Years a DOB range may span and still be expanded year by year; wider ranges are too vague to help.
MAX_DOB_RANGE_YEARS = 20

# The labels OFAC writes before a number, and the scheme each becomes (FORMATS.md lists them). The
# regular expression tries them longest first, so "Company Number IMO" wins over "Company Number" and
# "Identification Number IMO" over "Identification Number".
_IDENTIFIER_LABELS: tuple[tuple[str, IdentifierScheme], ...] = (
    # IMO numbers: "Vessel Registration Identification IMO" in older files, "Identification Number
    # IMO" in current ones. On a company either label holds its IMO company number (see _IMO_LABELS).
    ("Vessel Registration Identification IMO", IdentifierScheme.IMO),
    ("Identification Number IMO", IdentifierScheme.IMO),
    ("Company Number IMO", IdentifierScheme.REGISTRATION),  # the IMO company and registered owner number
    ("MMSI", IdentifierScheme.MMSI),
    ("Passport", IdentifierScheme.PASSPORT),
    ("Cedula No.", IdentifierScheme.CEDULA),
    ("NIT #", IdentifierScheme.NIT),
    ("R.F.C.", IdentifierScheme.RFC),
    ("RFC", IdentifierScheme.RFC),
    ("C.U.R.P.", IdentifierScheme.CURP),
    ("CURP", IdentifierScheme.CURP),
    ("National ID No.", IdentifierScheme.NATIONAL_ID),
    ("D.N.I.", IdentifierScheme.NATIONAL_ID),
    ("SSN", IdentifierScheme.NATIONAL_ID),
    ("US FEIN", IdentifierScheme.EIN),
    # Tax numbers of any country: "(United States)" may be an EIN or a state number, "(Mexico)" an
    # RFC or a social security number, so the country alone does not tell the national scheme.
    ("Tax ID No.", IdentifierScheme.OTHER),
    ("RUC #", IdentifierScheme.OTHER),  # Panama's, Peru's and Ecuador's taxpayer registry number
    ("Aircraft Tail Number", IdentifierScheme.REGISTRATION),
    ("Business Registration Number", IdentifierScheme.REGISTRATION),
    ("Business Registration Document #", IdentifierScheme.REGISTRATION),
    ("Registration Number", IdentifierScheme.REGISTRATION),
    ("Registration ID", IdentifierScheme.REGISTRATION),
    ("Company Number", IdentifierScheme.REGISTRATION),
    ("Identification Number", IdentifierScheme.OTHER),
)
_LONGEST_FIRST = sorted((label for label, _ in _IDENTIFIER_LABELS), key=len, reverse=True)
_IDENTIFIER_RE = re.compile(
    r"^(?P<label>" + "|".join(re.escape(label) for label in _LONGEST_FIRST) + r")\s+"
    # Values may hold parentheses ("D489833(9)"); only a parenthesis after a space names the country.
    # A state or city may come before it ("3934472 (New York) (United States)"): it is left out.
    r"(?:No\.:?\s*)?(?P<value>[^,]+?)"
    r"(?:\s+\([^()]*\))??"
    r"(?:\s+\((?P<country>[^()]*)\))?"
    r"(?:\s+(?:issued|expires)\b.*|,.*)?$"
)
_SCHEMES = dict(_IDENTIFIER_LABELS)
#: OFAC writes the IMO number of a shipping company under the vessel labels too ("GREEN SHIPPING
#: LTD.: Identification Number IMO 5848165"). The matcher compares IMO numbers with ships' IMO
#: numbers only, so on an entry that is not a vessel these become the company's registration number.
_IMO_LABELS = {"Vessel Registration Identification IMO", "Identification Number IMO"}

_ALIAS_RE = re.compile(r"^(?P<kind>[afn])\.k\.a\.\s*['\"](?P<name>.+)['\"]$")
_ALIAS_TYPES = {"a": NameType.AKA, "f": NameType.FKA, "n": NameType.NKA}

_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3})[a-z]* (\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass
class RemarkFacts:
    names: list[EntryName] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    dates_of_birth: list[str] = field(default_factory=list)
    places_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)


def parse_remarks(remarks: str, kind: EntityKind | None = None) -> RemarkFacts:
    """The facts of one entry's remarks; `kind`, when known, tells a ship's IMO number from a company's."""
    facts = RemarkFacts()
    parts = remarks.split(";")
    for index, raw in enumerate(parts):
        item = raw.strip()
        if index == len(parts) - 1 and item.endswith("."):
            item = item[:-1].rstrip()  # the full stop ending the whole remark
        item = re.sub(r"^alt\.\s+", "", item)
        if item:
            _read_item(item, facts, kind)
    return facts


def _read_item(item: str, facts: RemarkFacts, kind: EntityKind | None) -> None:
    if (alias := _ALIAS_RE.match(item)) is not None:
        facts.names.append(_alias_name(alias.group("kind"), alias.group("name")))
    elif item.startswith("DOB "):
        facts.dates_of_birth.extend(parse_dob(item.removeprefix("DOB ")))
    elif item.startswith("POB "):
        facts.places_of_birth.append(item.removeprefix("POB ").strip())
    elif item.startswith(("nationality ", "citizen ")):
        code = country_code(item.split(" ", 1)[1])
        if code is not None:
            facts.nationalities.append(code)
    elif (identifier := _IDENTIFIER_RE.match(item)) is not None:
        label, country = identifier.group("label"), country_code(identifier.group("country"))
        scheme = _SCHEMES[label]
        if label in _IMO_LABELS and kind is not None and kind is not EntityKind.VESSEL:
            scheme = IdentifierScheme.REGISTRATION
        facts.identifiers.append(Identifier(scheme=scheme, value=identifier.group("value").strip(), country=country))


def _alias_name(kind: str, name: str) -> EntryName:
    name = name.strip()
    # OFAC lists its "weak" aliases (nicknames such as 'PACHO' or 'H7') only in the remarks; a single
    # word alone would alert on every namesake, so the matcher must treat it as supporting evidence.
    name_type = NameType.WEAK if len(name.split()) == 1 else _ALIAS_TYPES[kind]
    return EntryName(name=name, name_type=name_type)


def parse_dob(text: str) -> list[str]:
    """ISO dates or partial dates ('1960', '1960-04') for an OFAC DOB remark.

    Handles '15 Dec 1967', 'Dec 1967', '1967', 'circa 1967', ranges '1960 to 1962',
    '01 Jan 1979 to 31 Dec 1981' and 'circa 1979-1982'. A range within one month gives that
    month; a wider one gives each year, so a matcher can compare years.
    """
    body = text.strip().removeprefix("circa").strip()
    if " to " in body:
        start_text, end_text = body.split(" to ", 1)
    elif re.fullmatch(r"\d{4}\s*-\s*\d{4}", body):
        start_text, end_text = body.split("-", 1)
    else:
        single = _partial_date(body)
        return [_iso(single)] if single else []
    start, end = _partial_date(start_text.strip()), _partial_date(end_text.strip())
    if start is None or end is None:
        return [_iso(value) for value in (start, end) if value is not None]
    if start == end:
        return [_iso(start)]
    if start[0] == end[0] and start[1] is not None and start[1] == end[1]:
        return [f"{start[0]:04d}-{start[1]:02d}"]
    if start[0] == end[0]:
        return [f"{start[0]:04d}"]
    if 0 < end[0] - start[0] <= MAX_DOB_RANGE_YEARS:
        return [f"{year:04d}" for year in range(start[0], end[0] + 1)]
    return [_iso(start), _iso(end)]


def _partial_date(text: str) -> tuple[int, int | None, int | None] | None:
    if (match := _DAY_MONTH_YEAR.match(text)) is not None:
        month = _MONTHS.get(match.group(2).lower())
        return (int(match.group(3)), month, int(match.group(1))) if month else None
    if (match := _MONTH_YEAR.match(text)) is not None:
        month = _MONTHS.get(match.group(1).lower())
        return (int(match.group(2)), month, None) if month else None
    if (match := _YEAR.match(text)) is not None:
        return (int(match.group(1)), None, None)
    return None


def _iso(value: tuple[int, int | None, int | None]) -> str:
    year, month, day = value
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"
