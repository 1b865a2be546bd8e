"""A query naming one listed party by two of its names: words the matched name lacks but another
name of the same entry holds (a kunya before the name, a family name from another alias)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, NameType, WatchlistEntry

BACKGROUND_FILE = Path(__file__).resolve().parents[1] / "data" / "matching" / "background_names.csv"


def _entry(entry_id: str, kind: EntityKind, *names: tuple[str, NameType]) -> WatchlistEntry:
    listed = [EntryName(name=name, name_type=name_type) for name, name_type in names]
    return WatchlistEntry(entry_id=entry_id, list_id="test", kind=kind, names=listed, owner_country="US")


def _background() -> list[WatchlistEntry]:
    """The regression cases' distractor names, so that word weights are those of a list."""
    with BACKGROUND_FILE.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    return [
        _entry(f"background:{n}", EntityKind(row["kind"]), (row["name"], NameType.PRIMARY))
        for n, row in enumerate(rows)
    ]


KUNYA = _entry(
    "kunya",
    EntityKind.PERSON,
    ("QASIM AL-DURRANI", NameType.PRIMARY),
    ("Qasem al Durrani", NameType.AKA),
    ("Abu al-Zubayr", NameType.WEAK),
)
FAMILY = _entry(
    "family",
    EntityKind.PERSON,
    ("TALAL RAZUKI ABD-AL-MAJID SULAIMAN AL-TIKRITI", NameType.PRIMARY),
    ("Talal Abdal-Majid Sulayman al-Hadithi", NameType.AKA),
)
# the same listed name without the kunya, on another entry
NO_KUNYA = _entry("no-kunya", EntityKind.PERSON, ("QASIM AL-DURRANI", NameType.PRIMARY))


@pytest.fixture(scope="module")
def engine() -> MatchingEngine:
    engine = MatchingEngine()
    engine.load([*_background(), KUNYA, FAMILY])
    return engine


@pytest.fixture(scope="module")
def engine_without_kunya() -> MatchingEngine:
    engine = MatchingEngine()
    engine.load([*_background(), NO_KUNYA, FAMILY])
    return engine


def _found(engine: MatchingEngine, name: str) -> list[str]:
    return [match.entry.entry_id for match in engine.screen(ScreeningQuery(name=name, kind=EntityKind.PERSON))]


def test_a_kunya_from_a_weak_alias_before_the_name(engine: MatchingEngine) -> None:
    assert "kunya" in _found(engine, "Abu al Zubayr Qasim al Durrani")


def test_a_family_name_from_another_alias(engine: MatchingEngine) -> None:
    assert "family" in _found(engine, "Talal Razuqi Abd al-Majid Al-Hadithi")


def test_extra_words_no_name_of_the_entry_holds(engine_without_kunya: MatchingEngine) -> None:
    # the same query, the same listed name, but the entry has no name with ZUBAYR
    assert "no-kunya" not in _found(engine_without_kunya, "Abu al Zubayr Qasim al Durrani")


def test_another_entrys_words_explain_nothing(engine: MatchingEngine) -> None:
    # HADITHI is a word of FAMILY's alias, not of KUNYA's names
    assert "kunya" not in _found(engine, "Talal al Hadithi Qasim al Durrani")


def test_the_explanation_names_the_words_another_name_explained(engine: MatchingEngine) -> None:
    query = ScreeningQuery(name="Abu al Zubayr Qasim al Durrani", kind=EntityKind.PERSON)
    match = next(match for match in engine.screen(query) if match.entry.entry_id == "kunya")
    assert "manifest words found in the entry's other names: ABU, ZUBAYR" in match.explanation


def test_no_other_names_in_the_explanation_when_the_name_explains_every_word(engine: MatchingEngine) -> None:
    query = ScreeningQuery(name="Qasim al Durrani", kind=EntityKind.PERSON)
    match = next(match for match in engine.screen(query) if match.entry.entry_id == "kunya")
    assert "other names" not in match.explanation
