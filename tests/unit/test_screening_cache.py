"""The matcher's answers are cached across batches, but never past a watchlist change."""

from __future__ import annotations

from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.matcher.screening import BatchScreener, ScreeningCache
from services.shared.models import EntityKind, EntryName, WatchlistEntry


def entry(number: int, name: str) -> WatchlistEntry:
    return WatchlistEntry(
        entry_id=f"t:{number}",
        list_id="t",
        kind=EntityKind.ORGANIZATION,
        names=[EntryName(name=name)],
        owner_country="US",
    )


def query(name: str, where: str = "parties[0]") -> ScreeningQuery:
    return ScreeningQuery(name=name, kind=EntityKind.ORGANIZATION, where=where)


def test_a_repeated_query_is_looked_up_once_and_placed_where_it_was_asked() -> None:
    engine = MatchingEngine(threshold=0.8)
    engine.load([entry(1, "Pacific Kumsan Trading Corporation")])
    cache = ScreeningCache().for_generation(1)
    first = BatchScreener(engine, cache=cache)(query("PACIFIC KUMSAN TRADING CORP", "parties[0]"))
    second = BatchScreener(engine, cache=cache)(query("PACIFIC KUMSAN TRADING CORP", "parties[3]"))
    assert [hit.entry.entry_id for hit in first] == [hit.entry.entry_id for hit in second] == ["t:1"]
    assert {item.where for item in second[0].evidence} == {"parties[3]"}
    assert (cache.lookups, cache.hits) == (1, 1)


def test_a_watchlist_change_clears_the_cached_answers() -> None:
    engine = MatchingEngine(threshold=0.8)
    engine.load([entry(1, "Placeholder Holdings")])
    cache = ScreeningCache()
    asked = query("ANDES RIVER SHIPPING COMPANY")
    assert BatchScreener(engine, cache=cache.for_generation((1, 0)))(asked) == []
    engine.upsert(entry(2, "Andes River Shipping Company"))
    assert BatchScreener(engine, cache=cache.for_generation((1, 0)))(asked) == []  # same generation: cached
    found = BatchScreener(engine, cache=cache.for_generation((1, 1)))(asked)
    assert [hit.entry.entry_id for hit in found] == ["t:2"]


def test_the_least_recently_used_answer_goes_first_when_full() -> None:
    engine = MatchingEngine(threshold=0.8)
    engine.load([entry(1, "Placeholder Holdings")])
    cache = ScreeningCache(max_entries=2).for_generation(1)
    screen = BatchScreener(engine, cache=cache)
    screen(query("ALPHA ONE")), screen(query("BRAVO TWO")), screen(query("ALPHA ONE")), screen(query("CHARLIE THREE"))
    screen(query("ALPHA ONE"))  # still there: used after BRAVO
    screen(query("BRAVO TWO"))  # evicted: looked up again
    assert (cache.lookups, cache.hits) == (4, 2)
