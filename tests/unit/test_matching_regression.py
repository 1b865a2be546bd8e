"""Hand-checked matching cases: the verdict a sanctions-screening analyst gives, case by case.

The cases are in tests/data/matching/regression_cases.csv (described in tests/data/README.md): a
name as a manifest writes it, a name as a watchlist holds it, whether the two must match, the kind
of difficulty and why. Every distinct listed name becomes an entry of one engine, beside the
distractor names of background_names.csv so that word weights are those of a list, not of a handful
of names. A `match` case passes when its entry is among the results, a `no_match` case when it is
not (other entries may match the query).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.matcher.engine import EntryMatch, MatchingEngine, ScreeningQuery
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, NameType, Sharing, SharingScope, WatchlistEntry

DATA = Path(__file__).resolve().parents[1] / "data" / "matching"
CASES_FILE = DATA / "regression_cases.csv"
BACKGROUND_FILE = DATA / "background_names.csv"

FIELDS = ("kind", "direction", "query", "query_kind", "listed", "listed_kind", "why")
KINDS = (
    "script_arabic",
    "script_hebrew",
    "script_cyrillic",
    "script_greek",
    "script_hangul",
    "script_han",
    "script_japanese",
    "script_other",
    "word_boundary",
    "extra_words",
    "syllabic",
    "legal_form",
    "latin_variants",
)
DIRECTIONS = ("match", "no_match")
QUERY_KINDS = frozenset({"person", "organization", "vessel", "unknown"})
LISTED_KINDS = frozenset(kind.value for kind in EntityKind)
MIN_CASES = 220
MIN_PER_DIRECTION = {"match": 8, "no_match": 6}
LIMIT = 50
LIST_ID = "regression"


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str  # "<kind>-<n>", n counting that kind's rows from 1 in file order
    line: int
    kind: str
    direction: str
    query: str
    query_kind: str
    listed: str
    listed_kind: str
    why: str


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str | None, str | None]]]]:
    """The header and the rows with their line numbers, as read: checked by the tests, not here."""
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        rows = [(reader.line_num, dict(row)) for row in reader]
        return list(reader.fieldnames or []), rows


CASE_HEADER, CASE_ROWS = _read(CASES_FILE)
BACKGROUND_HEADER, BACKGROUND_ROWS = _read(BACKGROUND_FILE)


def _cases() -> list[Case]:
    cases: list[Case] = []
    per_kind: Counter[str] = Counter()
    for line, row in CASE_ROWS:
        values = {field: (row.get(field) or "") for field in FIELDS}
        per_kind[values["kind"]] += 1
        cases.append(Case(f"{values['kind']}-{per_kind[values['kind']]}", line, **values))
    return cases


CASES = _cases()
# one entry per distinct listed name (and kind): cases naming the same listed name share it
LISTED_IDS: dict[tuple[str, str], str] = {}
for _case in CASES:
    LISTED_IDS.setdefault((_case.listed, _case.listed_kind), f"case-{len(LISTED_IDS) + 1}")


def _entry(entry_id: str, name: str, kind: str) -> WatchlistEntry:
    return WatchlistEntry(
        entry_id=entry_id,
        list_id=LIST_ID,
        kind=EntityKind(kind),
        names=[EntryName(name=name, name_type=NameType.PRIMARY)],
        owner_country="US",
        sharing=Sharing(scope=SharingScope.ALL_PARTNERS),
    )


@pytest.fixture(scope="module")
def engine() -> MatchingEngine:
    engine = MatchingEngine()
    engine.load(_entry(entry_id, listed, kind) for (listed, kind), entry_id in LISTED_IDS.items())
    engine.load(
        _entry(f"background-{number}", row.get("name") or "", row.get("kind") or "")
        for number, (_, row) in enumerate(BACKGROUND_ROWS, start=1)
    )
    return engine


# -- the files ---------------------------------------------------------------------------------


def _row_problems(
    header: list[str], rows: list[tuple[int, dict[str | None, str | None]]], fields: tuple[str, ...]
) -> list[str]:
    problems = [] if tuple(header) == fields else [f"header {header}, expected {list(fields)}"]
    for line, row in rows:
        if None in row:
            problems.append(f"line {line}: more fields than the header")
        for field in fields:
            value = row.get(field)
            if value is None:
                problems.append(f"line {line}: {field} missing")
            elif not value.strip():
                problems.append(f"line {line}: {field} empty")
            elif value != value.strip():
                problems.append(f"line {line}: {field} has spaces around it")
    return problems


def test_cases_file_is_well_formed() -> None:
    problems = _row_problems(CASE_HEADER, CASE_ROWS, FIELDS)
    for case in CASES:
        where = f"line {case.line} ({case.case_id})"
        if case.kind not in KINDS:
            problems.append(f"{where}: unknown kind {case.kind!r}")
        if case.direction not in DIRECTIONS:
            problems.append(f"{where}: direction {case.direction!r}, expected one of {DIRECTIONS}")
        if case.query_kind not in QUERY_KINDS:
            problems.append(f"{where}: query_kind {case.query_kind!r}, expected one of {sorted(QUERY_KINDS)}")
        if case.listed_kind not in LISTED_KINDS - {"unknown"}:
            problems.append(f"{where}: listed_kind {case.listed_kind!r}, expected a known entity kind")
    pairs = Counter((case.query, case.listed) for case in CASES)
    problems += [f"duplicate case: {query!r} vs {listed!r}" for (query, listed), count in pairs.items() if count > 1]
    counts = Counter((case.kind, case.direction) for case in CASES)
    for kind in KINDS:
        for direction, least in MIN_PER_DIRECTION.items():
            if counts[kind, direction] < least:
                problems.append(f"{kind}: {counts[kind, direction]} {direction} case(s), at least {least} wanted")
    if len(CASES) < MIN_CASES:
        problems.append(f"{len(CASES)} cases, at least {MIN_CASES} wanted")
    assert not problems, "\n".join(problems)


def test_background_file_is_well_formed() -> None:
    problems = _row_problems(BACKGROUND_HEADER, BACKGROUND_ROWS, ("name", "kind"))
    listed = {case.listed for case in CASES}
    names = Counter(row.get("name") for _, row in BACKGROUND_ROWS)
    for line, row in BACKGROUND_ROWS:
        if row.get("kind") not in LISTED_KINDS - {"unknown"}:
            problems.append(f"line {line}: kind {row.get('kind')!r}, expected a known entity kind")
        if row.get("name") in listed:
            problems.append(f"line {line}: {row.get('name')!r} is a listed name of a case")
    problems += [f"{name!r} appears {count} times" for name, count in names.items() if count > 1]
    assert not problems, "\n".join(problems)
    assert len(BACKGROUND_ROWS) >= 250, "the background is there to make word weights realistic: keep it large"


# -- the cases ---------------------------------------------------------------------------------


def _describe(case: Case) -> str:
    return (
        f"{case.case_id} (line {case.line}): {case.query!r} [{case.query_kind}] vs listed {case.listed!r} "
        f"[{case.listed_kind}] should be {case.direction}: {case.why}"
    )


def _results(matches: list[EntryMatch]) -> str:
    if not matches:
        return "no entry reached the threshold"
    shown = ", ".join(f"{match.entry.primary_name!r} ({match.score:.3f})" for match in matches[:3])
    return f"{len(matches)} result(s), best: {shown}"


def _known_gaps() -> dict[str, str]:
    """Cases the engine still gets wrong, with why (tests/data/matching/known_gaps.csv): expected
    to fail, strictly, so a case that starts passing must leave the file."""
    with (DATA / "known_gaps.csv").open(encoding="utf-8", newline="") as handle:
        return {row["case_id"]: row["reason"] for row in csv.DictReader(handle)}


KNOWN_GAPS = _known_gaps()


def test_known_gaps_name_existing_cases() -> None:
    assert set(KNOWN_GAPS) <= {case.case_id for case in CASES}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.case_id,
            # only the case's own verdict failing counts as the known gap, never an error on the way
            marks=[pytest.mark.xfail(strict=True, raises=pytest.fail.Exception, reason=KNOWN_GAPS[case.case_id])]
            if case.case_id in KNOWN_GAPS
            else [],
        )
        for case in CASES
    ],
)
def test_case(engine: MatchingEngine, case: Case) -> None:
    entry_id = LISTED_IDS[case.listed, case.listed_kind]
    matches = engine.screen(ScreeningQuery(name=case.query, kind=EntityKind(case.query_kind)), limit=LIMIT)
    found = next((match for match in matches if match.entry.entry_id == entry_id), None)
    if case.direction == "match" and found is None:
        pytest.fail(f"{_describe(case)}\n  not found; {_results(matches)}")
    if case.direction == "no_match" and found is not None:
        pytest.fail(f"{_describe(case)}\n  matched with score {found.score:.3f}: {found.explanation}")
