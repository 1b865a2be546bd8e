"""UN/LOCODEs: the five-character codes feeds name ports and places with ("COCTG", "NL RTM").

A code is two letters of a real ISO 3166 country then three letters or digits 2-9 (UNECE leaves
out 0 and 1 so they are not read as O and I). That structure is all that can be checked without
the official list, and no copy of it is reachable from the project's machines. Beyond it, the
project bundles `data/known-ports.csv`: about two hundred ports and inland places of the partners
and their main trade lanes, written from public knowledge, with the names and spellings feeds and
AIS destinations use, so a directory can tell "known" from "merely well formed" and turn names
into codes.

Loading the full official list: UNECE publishes UN/LOCODE twice a year, among other formats as
CSV (the "UNLOCODE CodeList" download on unece.org): a few parts, encoded in Latin-1, without a
header. An operator downloads and unzips it, then points the setting INTERDICT_UNLOCODE_FILE at
one part or at the directory of the parts; the services pass that path to `port_directory()`,
which merges it with the bundled list (the official names win, the bundled spellings stay as
aliases).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import normality

from services.shared.codes.countries import country_from_text, is_country

KNOWN_PORTS_FILE = Path(__file__).parent / "data" / "known-ports.csv"

_LOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")
_CODE_SEPARATORS = re.compile(r"[\s\-_./@]+")
# AIS destinations are typed on a six-bit keyboard and padded with '@'; many read "FROM>TO".
_AIS_ROUTE_SEPARATOR = re.compile(r">+")
_UNECE_PORT_FUNCTION = "1"  # the first character of the Function column: the place has a port
_UNECE_REMOVED_STATUS = "XX"  # the entry leaves the list at the next issue
_UNECE_DELETED_CHANGE = "X"  # the entry is deleted in this issue


@dataclass(frozen=True)
class Place:
    """A location with a UN/LOCODE: its name, other names, and whether it is a port (None: not said)."""

    locode: str
    name: str
    aliases: tuple[str, ...] = ()
    is_port: bool | None = None

    @property
    def country(self) -> str:
        return self.locode[:2]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class PortCheck:
    """What can be said of a code: its structure, its country, and whether the directory knows it."""

    code: str  # upper case, separators removed
    well_formed: bool  # two letters, then three letters or digits 2-9
    country_known: bool  # the first two letters are a real country
    known: bool  # in the directory (bundled list, plus the official list when loaded)
    name: str | None

    @property
    def valid(self) -> bool:
        """A possible UN/LOCODE: what a feed may send without being rejected, known or not."""
        return self.well_formed and self.country_known


def normalise_locode(code: str) -> str:
    """ "nl-rtm" and "NL RTM" -> "NLRTM" (not validated)."""
    return _CODE_SEPARATORS.sub("", code).upper()


def is_well_formed(code: str) -> bool:
    """The structure alone: two letters, then three letters or digits 2-9 (the country is not checked)."""
    return _LOCODE.fullmatch(normalise_locode(code)) is not None


class PortDirectory:
    """Places by UN/LOCODE, and by name for turning what feeds write into codes."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._places: dict[str, Place] = {place.locode: place for place in places}

    def __len__(self) -> int:
        return len(self._places)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalise_locode(code) in self._places

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places.values())

    def place(self, code: str) -> Place | None:
        return self._places.get(normalise_locode(code))

    def name_of(self, code: str) -> str | None:
        place = self.place(code)
        return None if place is None else place.name

    def check(self, code: str) -> PortCheck:
        normalised = normalise_locode(code)
        well_formed = _LOCODE.fullmatch(normalised) is not None
        return PortCheck(
            code=normalised,
            well_formed=well_formed,
            country_known=well_formed and is_country(normalised[:2]),
            known=normalised in self._places,
            name=self.name_of(normalised),
        )

    def resolve(self, text: str) -> str | None:
        """The code of the place `text` names, or None when it names none or several.

        Takes codes ("NLRTM", "nl-rtm", "NL RTM"), names in any case and with or without accents
        ("ROTTERDAM", "Lázaro Cárdenas"), names with their country ("Cartagena, CO", "CARTAGENA
        CO", "Manzanillo Panama") and AIS destinations ("BALBOA>", "COCTG>USHOU", "@@BALBOA").
        Only codes the directory knows come back. A name several places share (Manzanillo is in
        Mexico and Panama) resolves only with its country: guessing would send an alert to the
        wrong desk.
        """
        destination = _destination(text)
        code = normalise_locode(destination)
        if code in self._places:
            return code
        return self._resolve_name(destination)

    def _resolve_name(self, text: str) -> str | None:
        everywhere = self._by_name.get(_name_key(text), frozenset())
        if everywhere:
            return _only(everywhere)
        for name, country_text in _name_country_splits(text):
            country = country_from_text(country_text)
            if country is None:
                continue
            in_country = {code for code in self._by_name.get(_name_key(name), ()) if code.startswith(country)}
            if in_country:
                return _only(in_country)
        return None

    @cached_property
    def _by_name(self) -> dict[str, frozenset[str]]:
        # Built on first use: the official list has some 115,000 places.
        codes_by_name: defaultdict[str, set[str]] = defaultdict(set)
        for place in self._places.values():
            for name in place.names:
                if key := _name_key(name):
                    codes_by_name[key].add(place.locode)
        return {key: frozenset(codes) for key, codes in codes_by_name.items()}

    def merged_with(self, official: Iterable[Place]) -> PortDirectory:
        """This directory completed by the official list: its names win, ours stay as aliases."""
        places = dict(self._places)
        for place in official:
            known = places.get(place.locode)
            places[place.locode] = place if known is None else _merge(known, place)
        return PortDirectory(places.values())


def _merge(known: Place, official: Place) -> Place:
    aliases = tuple(dict.fromkeys(name for name in (*known.names, *official.aliases) if name != official.name))
    return Place(official.locode, official.name, aliases, official.is_port)


def _only(codes: Iterable[str]) -> str | None:
    unique = set(codes)
    return unique.pop() if len(unique) == 1 else None


def _destination(text: str) -> str:
    """The last stop of an AIS "FROM>TO" destination, without the '@' padding."""
    stops = [stop for stop in _AIS_ROUTE_SEPARATOR.split(text) if stop.strip(" @")]
    return stops[-1].strip(" @") if stops else ""


def _name_key(name: str) -> str:
    """Lower case, ASCII, punctuation as spaces, spaces collapsed: "Lázaro-Cárdenas." -> "lazaro cardenas"."""
    return normality.normalize(name, ascii=True) or ""


def _name_country_splits(text: str) -> Iterator[tuple[str, str]]:
    """(name, country) readings of "Cartagena, CO", "CARTAGENA CO" or "Limon Costa Rica"."""
    if "," in text:
        name, country = text.rsplit(",", 1)
        yield name, country
        return
    words = _name_key(text).split()
    for country_words in (1, 2, 3):
        if len(words) > country_words:
            yield " ".join(words[:-country_words]), " ".join(words[-country_words:])


def read_known_ports(path: Path = KNOWN_PORTS_FILE) -> list[Place]:
    """The bundled list: `locode,name,country,aliases` after '#' comment lines."""
    with path.open(encoding="utf-8", newline="") as lines:
        rows = csv.DictReader(line for line in lines if not line.startswith("#"))
        return [
            Place(row["locode"], row["name"], tuple(alias for alias in row["aliases"].split(";") if alias))
            for row in rows
        ]


def read_unece_code_list(path: Path, encoding: str = "latin-1") -> list[Place]:
    """Places of UNECE's UN/LOCODE CSV: one part, or every `*.csv` of a directory of parts.

    Columns, without a header: Change, Country, Location, Name, NameWoDiacritics, Subdivision,
    Status, Function, Date, IATA, Coordinates, Remarks. Country rows (no Location) and entries
    deleted or about to be removed are left out.
    """
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    return [place for file in files for place in _read_unece_part(file, encoding)]


def _read_unece_part(path: Path, encoding: str) -> Iterator[Place]:
    with path.open(encoding=encoding, newline="") as lines:
        for row in csv.reader(lines):
            if len(row) < 8 or not row[2].strip() or row[0] == _UNECE_DELETED_CHANGE:
                continue
            if row[6] == _UNECE_REMOVED_STATUS:
                continue
            name, plain_name, function = row[3].strip(), row[4].strip(), row[7]
            aliases = (plain_name,) if plain_name and plain_name != name else ()
            yield Place(normalise_locode(row[1] + row[2]), name, aliases, function[:1] == _UNECE_PORT_FUNCTION)


def port_directory(extra_file: Path | None = None) -> PortDirectory:
    """The bundled directory, merged with UNECE's official list when `extra_file` names a copy.

    Each is loaded once per process (the official list takes seconds): a new copy of the official
    list on disk is read at the next start.
    """
    return _bundled_directory() if extra_file is None else _directory_with(extra_file)


@cache
def _bundled_directory() -> PortDirectory:
    return PortDirectory(read_known_ports())


@cache
def _directory_with(extra_file: Path) -> PortDirectory:
    return _bundled_directory().merged_with(read_unece_code_list(extra_file))
