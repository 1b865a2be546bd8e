#!/usr/bin/env python3
"""Rebuild the demo watchlist bundled with the project: a small subset of the OFAC SDN list.

    .venv/bin/python scripts/make_demo_watchlist.py                 # from ../shared/data/ofac-sdn
    .venv/bin/python scripts/make_demo_watchlist.py --source DIR --snapshot "March 2026" [--output DIR]

A clone with nothing beside it still runs the demo against this subset. The subset holds:

1. the entries the sample feed (feeds/sample-manifests.jsonl) is written to hit, so the demo
   raises the same alerts as with the full list;
2. their namesakes (persons with the same surnames), so the matcher has to tell relatives apart,
   and the entries their remarks say they are linked to;
3. every entry with an overflow comment, so sdn_comments.csv is not empty;
4. evenly spaced samples of persons, organisations, vessels and aircraft (QUOTAS), half of the
   persons and organisations from the Colombian and Mexican narcotics programs the partners
   work on, skipping entries whose rows would weigh more than MAX_SAMPLED_ENTRY_BYTES.

Rows are copied byte for byte (same quoting, line endings and trailing DOS end-of-file mark), in
the order of the source files: the same source gives the same subset, byte for byte. Only the
standard library is used, so the script runs before the project is installed.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "data" / "ofac-sdn"
DEFAULT_OUTPUT = PROJECT_ROOT / "services" / "watchlist" / "demo_data" / "ofac-sdn"
DEFAULT_SNAPSHOT = "July 2021"

SDN_FILE, ALT_FILE, ADD_FILE, COMMENTS_FILE = "sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"
FILES = (SDN_FILE, ALT_FILE, ADD_FILE, COMMENTS_FILE)

#: ent_num -> why the sample feed hits it (tests/e2e/test_pipeline.py EXPECTED_HITS).
SAMPLE_FEED_HITS: dict[int, str] = {
    7156: "RFC and legal-form variant",
    4106: "word order",
    7157: "punctuation of S.A. de C.V.",
    15037: "IMO, MMSI, call sign",
    4107: "accents, passenger",
    4149: "cedula, missing second surname",
}

NARCOTICS_PROGRAMS = frozenset({"SDNT", "SDNTK"})

#: Sampled entries heavier than this (all their rows together) are passed over: a few entries
#: carry dozens of addresses or crypto wallets and would make up most of the subset.
MAX_SAMPLED_ENTRY_BYTES = 1500


@dataclass(frozen=True)
class Quota:
    label: str
    sdn_type: str  # as in sdn.csv, lower case; "" is an organisation
    narcotics: bool | None  # True: only SDNT/SDNTK entries; False: only others; None: any
    count: int


QUOTAS: tuple[Quota, ...] = (
    Quota("persons, narcotics programs", "individual", True, 100),
    Quota("persons, other programs", "individual", False, 70),
    Quota("organisations, narcotics programs", "", True, 80),
    Quota("organisations, other programs", "", False, 60),
    Quota("vessels", "vessel", None, 45),
    Quota("aircraft", "aircraft", None, 10),
)


@dataclass(frozen=True)
class Record:
    """One CSV record: its parsed fields and its exact text, line ending included."""

    fields: list[str]
    text: str

    @property
    def ent_num(self) -> int | None:
        first = self.fields[0].strip() if self.fields else ""
        return int(first) if first.isdigit() else None


@dataclass
class SourceFile:
    records: list[Record]
    trailer: str  # what follows the last record, e.g. the DOS end-of-file mark
    encoding: str


@dataclass(frozen=True)
class Party:
    """An sdn.csv row, as far as the selection needs it."""

    ent_num: int
    name: str
    sdn_type: str
    programs: frozenset[str]
    remarks: str


@dataclass
class Selection:
    chosen: dict[int, str] = field(default_factory=dict)  # ent_num -> reason, in order of choice

    def add(self, ent_num: int, reason: str) -> None:
        self.chosen.setdefault(ent_num, reason)

    def __contains__(self, ent_num: object) -> bool:
        return ent_num in self.chosen


# --- reading ------------------------------------------------------------------------------------


def read_source(path: Path) -> SourceFile:
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:  # older OFAC downloads are Windows-1252
        text, encoding = raw.decode("cp1252"), "cp1252"
    records, trailer = _split_records(text)
    return SourceFile(records=records, trailer=trailer, encoding=encoding)


def _split_records(text: str) -> tuple[list[Record], str]:
    """Data records with their exact text; non-data lines after the last one form the trailer."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$", text)
    consumed: list[str] = []

    def feed() -> Iterator[str]:
        for line in lines:
            consumed.append(line)
            yield line

    records: list[Record] = []
    trailer: list[str] = []
    # csv.reader pulls exactly the physical lines of one record (several when a quoted field holds
    # a line break) before yielding it, so `consumed` holds that record's text.
    for fields in csv.reader(feed(), strict=True):
        record = Record(fields=fields, text="".join(consumed))
        consumed.clear()
        if record.ent_num is None:
            trailer.append(record.text)
        else:
            records.append(record)
            trailer.clear()  # a stray non-data line between records is dropped, not kept as trailer
    return records, "".join(trailer)


def parties_of(sdn: SourceFile) -> list[Party]:
    return [
        Party(
            ent_num=ent_num,
            name=record.fields[1].strip(),
            sdn_type=_value(record.fields[2]).lower(),
            programs=frozenset(program.strip() for program in _value(record.fields[3]).split("] [")),
            remarks=_value(record.fields[11]),
        )
        for record in sdn.records
        if (ent_num := record.ent_num) is not None and len(record.fields) == 12
    ]


def _value(field_text: str) -> str:
    value = field_text.strip()
    return "" if value == "-0-" else value


# --- selection ----------------------------------------------------------------------------------


def entry_sizes(sources: dict[str, SourceFile]) -> dict[int, int]:
    """Bytes each ent_num takes in the four files together."""
    sizes: dict[int, int] = {}
    for source in sources.values():
        for record in source.records:
            if record.ent_num is not None:
                sizes[record.ent_num] = sizes.get(record.ent_num, 0) + len(record.text.encode(source.encoding))
    return sizes


def select(sources: dict[str, SourceFile]) -> Selection:
    parties = parties_of(sources[SDN_FILE])
    by_ent_num = {party.ent_num: party for party in parties}
    missing = sorted(set(SAMPLE_FEED_HITS) - set(by_ent_num))
    if missing:
        raise SystemExit(f"the source lacks the sample feed's entries {missing}: is it an OFAC SDN snapshot?")
    selection = Selection()
    for ent_num, why in SAMPLE_FEED_HITS.items():
        selection.add(ent_num, f"sample feed hit ({why})")
    _add_namesakes(selection, parties, by_ent_num)
    _add_linked(selection, parties, by_ent_num)
    for record in sources[COMMENTS_FILE].records:
        if record.ent_num in by_ent_num:
            selection.add(record.ent_num, "has an overflow comment")
    sizes = entry_sizes(sources)
    for quota in QUOTAS:
        _add_sample(selection, parties, quota, lambda party: sizes.get(party.ent_num, 0) <= MAX_SAMPLED_ENTRY_BYTES)
    return selection


def _surnames(party: Party) -> str | None:
    # OFAC writes individuals "SURNAME(S), Given names".
    return party.name.partition(",")[0].strip() if party.sdn_type == "individual" and "," in party.name else None


def _add_namesakes(selection: Selection, parties: list[Party], by_ent_num: dict[int, Party]) -> None:
    surnames = {_surnames(by_ent_num[ent_num]) for ent_num in SAMPLE_FEED_HITS} - {None}
    for party in parties:
        if _surnames(party) in surnames:
            selection.add(party.ent_num, f"namesake of a sample feed hit ({_surnames(party)})")


def _add_linked(selection: Selection, parties: list[Party], by_ent_num: dict[int, Party]) -> None:
    by_name = {party.name: party.ent_num for party in parties}
    for ent_num in SAMPLE_FEED_HITS:
        for linked in re.findall(r"Linked To: ([^;]+)", by_ent_num[ent_num].remarks):
            name = linked.strip()
            target = by_name.get(name, by_name.get(name.rstrip(".")))  # the remarks end with a period
            if target is not None:
                selection.add(target, f"linked to sample feed hit {ent_num}")


def _add_sample(
    selection: Selection, parties: list[Party], quota: Quota, small_enough: Callable[[Party], bool]
) -> None:
    """`quota.count` candidates evenly spaced over sdn.csv, so the sample spans years and programs."""
    candidates = [
        party
        for party in parties
        if party.sdn_type == quota.sdn_type
        and (quota.narcotics is None or bool(party.programs & NARCOTICS_PROGRAMS) == quota.narcotics)
        and party.ent_num not in selection
        and small_enough(party)
    ]
    count = min(quota.count, len(candidates))
    for index in range(count):
        selection.add(candidates[index * len(candidates) // count].ent_num, f"sample: {quota.label}")


# --- writing ------------------------------------------------------------------------------------


def write_subset(sources: dict[str, SourceFile], selection: Selection, output: Path) -> dict[str, int]:
    """The four files restricted to the selected ent_nums; returns rows written per file."""
    output.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name, source in sources.items():
        kept = [record.text for record in source.records if record.ent_num in selection]
        (output / name).write_bytes(("".join(kept) + source.trailer).encode(source.encoding))
        written[name] = len(kept)
    return written


def write_readme(output: Path, snapshot: str, source_entries: int, rows: dict[str, int], selection: Selection) -> None:
    reasons: dict[str, int] = {}
    for reason in selection.chosen.values():
        label = reason.partition(" (")[0]
        reasons[label] = reasons.get(label, 0) + 1
    lines = [
        "# Demo watchlist: a subset of the OFAC SDN list",
        "",
        "Source: US Department of the Treasury, Office of Foreign Assets Control (OFAC), *Specially",
        "Designated Nationals and Blocked Persons List* (SDN list), in the legacy CSV format OFAC publishes",
        "for download (`sdn.csv`, `alt.csv`, `add.csv`, `sdn_comments.csv`; today from its Sanctions List",
        "Service, https://sanctionslist.ofac.treas.gov/). The SDN list is a work of the United States",
        "Government and is in the public domain (17 U.S.C. 105).",
        "",
        f"Snapshot: {snapshot}, {source_entries:,} entries.",
        "",
        f"**This is a subset**, not the list: {rows[SDN_FILE]} of its entries with their {rows[ALT_FILE]} aliases,",
        f"{rows[ADD_FILE]} addresses and {rows[COMMENTS_FILE]} overflow comments, rows copied unchanged. It is out",
        "of date and incomplete by design: never screen real cargo against it. For the current list, run",
        "`interdict watchlist fetch ofac-sdn`.",
        "",
        "It exists so that a clone with nothing beside it can run the demo (`make run`): the demo reads",
        "the full snapshot from `../shared/data/ofac-sdn` when present, and this subset otherwise",
        "(`services/watchlist/demo_source.py`). Why each entry is here:",
        "",
        *(f"- {label}: {count}" for label, count in reasons.items()),
        "",
        "Generated by `scripts/make_demo_watchlist.py` from the full snapshot; do not edit by hand.",
        "Run it again to rebuild the same files from the same snapshot, byte for byte.",
        "",
    ]
    (output / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with the full OFAC SDN CSV files")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the subset is written")
    parser.add_argument("--snapshot", default=DEFAULT_SNAPSHOT, help="when the source was published, for the README")
    arguments = parser.parse_args(argv)
    missing = [name for name in FILES if not (arguments.source / name).is_file()]
    if missing:
        print(f"make_demo_watchlist: {arguments.source} lacks {', '.join(missing)}", file=sys.stderr)
        return 1
    sources = {name: read_source(arguments.source / name) for name in FILES}
    selection = select(sources)
    rows = write_subset(sources, selection, arguments.output)
    write_readme(arguments.output, arguments.snapshot, len(sources[SDN_FILE].records), rows, selection)
    size = sum((arguments.output / name).stat().st_size for name in FILES)
    per_file = ", ".join(f"{name}: {count}" for name, count in rows.items())
    print(f"{arguments.output}: {rows[SDN_FILE]} entries, {size:,} bytes ({per_file})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
