"""The engine's shortcuts never change what it finds.

Candidates come from the index through coverage groups and the two-word rule, and entries are
scored in full only until the top `limit` is settled. Both are meant to be lossless: this compares
the engine with the same engine made to score every listed name and every hit, on a list built to
trip them up (common words, near-duplicate words, repeated words, one-word names, thousands of ties).
"""

from __future__ import annotations

import random

import pytest
from pyroaring import BitMap
from rapidfuzz.distance import OSA

from services.matcher.engine import EntryMatch, MatchingEngine, ScreeningQuery
from services.matcher.engine.index import IndexedName, NameIndex
from services.matcher.engine.scoring import LINEAGE_DISCOUNT, compare_tokens, lineage_coverage
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, NameType, WatchlistEntry

SURNAMES = "GARCIA GARCIAS GRACIA GARZIA LOPEZ LOPES RODRIGUEZ RODRIGUES BROWN BROWNE DAVID DAVIS DAVILA".split()
GIVEN = "JUAN JUANA JOSE JOSEFA LUIS LUISA ANA MARIA DAVID PEDRO".split()
ORG_WORDS = "CICOARMI CICOARME HURAZU HURAZO ANDINA TRADING GLOBAL SERVICES MARINE PACIFICO".split()
LEGAL = ["S.A.", "S.A. DE C.V.", "LTDA.", "LLC", "CO.", ""]


def listed_entries(rng: random.Random, count: int) -> list[WatchlistEntry]:
    entries = []
    for number in range(count):
        if rng.random() < 0.55:
            words = [rng.choice(SURNAMES) for _ in range(rng.choice((1, 2, 2)))]
            words += [rng.choice(GIVEN) for _ in range(rng.choice((0, 1, 1, 2)))]
            kind = EntityKind.PERSON
        else:
            words = [rng.choice(ORG_WORDS) for _ in range(rng.choice((1, 1, 2, 3)))] + [rng.choice(LEGAL)]
            kind = rng.choice((EntityKind.ORGANIZATION, EntityKind.ORGANIZATION, EntityKind.VESSEL))
        names = [EntryName(name=" ".join(words).strip(), name_type=NameType.PRIMARY)]
        if rng.random() < 0.2:
            names.append(EntryName(name=" ".join(reversed(words)).strip(), name_type=NameType.WEAK))
        entries.append(WatchlistEntry(
            entry_id=f"t:{number:05d}", list_id="t", kind=kind, names=names, owner_country="US",
            dates_of_birth=[rng.choice(["1960", "1961-02-03"])] if kind is EntityKind.PERSON else [],
            countries=[rng.choice(["CO", "MX"])] if rng.random() < 0.5 else [],
        ))
    return entries


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice("AEIOUXZ") + word[i + 1 :]


def queries(entries: list[WatchlistEntry], rng: random.Random, count: int) -> list[ScreeningQuery]:
    found = []
    for _ in range(count):
        words = rng.choice(entries).names[0].name.split()
        change = rng.random()
        if change < 0.3 and len(words) > 1:
            words.pop(rng.randrange(len(words)))
        elif change < 0.6:
            position = rng.randrange(len(words))
            words[position] = typo(words[position], rng) if len(words[position]) > 3 else words[position]
        elif change < 0.7:
            words.append(words[0])  # a repeated word
        extra: dict[str, object] = {}
        if rng.random() < 0.3:
            extra["date_of_birth"] = rng.choice(["1960", "1961-02-03", "1975"])
        if rng.random() < 0.3:
            extra["countries"] = [rng.choice(["CO", "MX", "US"])]
        kind = rng.choice([EntityKind.UNKNOWN, EntityKind.PERSON, EntityKind.ORGANIZATION])
        found.append(ScreeningQuery(name=" ".join(words), kind=kind, **extra))  # type: ignore[arg-type]
    return found


def described(matches: list[EntryMatch]) -> list[tuple[str, float, str]]:
    return [(match.entry.entry_id, match.score, match.explanation) for match in matches]


@pytest.fixture(scope="module")
def engines() -> tuple[MatchingEngine, MatchingEngine, list[ScreeningQuery]]:
    rng = random.Random(20261123)
    entries = listed_entries(rng, 1200)
    engine, exhaustive = MatchingEngine(), MatchingEngine()
    exhaustive._index = NameIndex(every_name_a_candidate=True)
    engine.load(entries)
    exhaustive.load(entries)
    return engine, exhaustive, queries(entries, rng, 300)


def test_candidates_lose_no_match(engines: tuple[MatchingEngine, MatchingEngine, list[ScreeningQuery]]) -> None:
    engine, exhaustive, asked = engines
    matched = 0
    for query in asked:
        expected = described(exhaustive.screen(query, limit=10_000))
        assert described(engine.screen(query, limit=10_000)) == expected, query
        matched += bool(expected)
    assert matched > len(asked) // 2  # the list and queries do exercise the matching


def test_lineage_words_lose_no_match(engines: tuple[MatchingEngine, MatchingEngine, list[ScreeningQuery]]) -> None:
    """A query's lineage words (BIN and the names after it) weigh less when left out: the candidate
    search must still offer every name such a query may match."""
    engine, exhaustive, _ = engines
    rng = random.Random(11)
    persons = [entry for entry in engine.entries() if entry.kind is EntityKind.PERSON]
    matched = 0
    for _ in range(150):
        words = rng.choice(persons).names[0].name.split()
        if len(words) > 2:  # the listed name not held whole: held_whole does not find it
            words.pop(rng.randrange(len(words)))
        lineage = ["BIN", rng.choice(GIVEN), rng.choice(SURNAMES)]
        query = ScreeningQuery(name=" ".join([*words, *lineage]), kind=EntityKind.PERSON)
        expected = described(exhaustive.screen(query, limit=10_000))
        assert described(engine.screen(query, limit=10_000)) == expected, query
        matched += bool(expected)
    assert matched > 50  # the lineage queries do match listed names


@pytest.mark.parametrize("min_coverage", [0.3, 0.6, 0.75, 0.9])
def test_lineage_coverage_is_what_a_name_leaving_out_only_lineage_words_needs(min_coverage: float) -> None:
    """A name covering lineage_coverage of the query's weight, the rest all lineage words, reaches
    min_coverage once they are discounted, and one covering less does not."""
    tokens = ("usama", "bin", "muhammad", "awad")
    needed = lineage_coverage(tokens, min_coverage)
    assert needed < min_coverage
    for covered, reaches in ((needed, True), (needed - 0.01, False)):
        left_out = (1.0 - covered) * LINEAGE_DISCOUNT
        assert (covered / (covered + left_out) >= min_coverage - 1e-9) is reaches
    assert lineage_coverage(("usama", "muhammad"), min_coverage) == min_coverage  # no lineage
    assert lineage_coverage(("usama", "bin", "laden"), min_coverage) == min_coverage  # a family name


def test_top_limit_is_the_head_of_the_full_ranking(
    engines: tuple[MatchingEngine, MatchingEngine, list[ScreeningQuery]],
) -> None:
    engine, _, asked = engines
    crowded = 0
    for query in asked:
        everything = engine.screen(query, limit=10_000)
        for limit in (1, 3, 10):
            assert described(engine.screen(query, limit=limit)) == described(everything[:limit]), (query, limit)
        crowded += len(everything) > 10
    assert crowded > 10  # many queries have more matches than the limit, ties among them


def test_two_edit_neighbours_match_a_full_scan() -> None:
    """The halves index finds exactly the long words a scan of the whole vocabulary finds."""
    rng = random.Random(7)
    letters = "abcde"  # few letters: many words within two edits of each other
    words = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(8, 11))) for _ in range(1500)})
    index = NameIndex()
    for word in words:
        index.add(IndexedName("t:1", word, NameType.PRIMARY, EntityKind.PERSON, (word,)))
    for _ in range(500):
        typed = list(rng.choice(words))
        for _ in range(2):
            at = rng.randrange(1, len(typed) - 1)
            operation = rng.choice("sdit")
            if operation == "s":
                typed[at] = rng.choice(letters)
            elif operation == "d":
                del typed[at]
            elif operation == "i":
                typed.insert(at, rng.choice(letters))
            else:
                typed[at], typed[at + 1] = typed[at + 1], typed[at]
        token = "".join(typed)
        scanned = {word for word in words if word[0] == token[0] and 0 < OSA.distance(token, word) <= 2}
        assert {word for word, _ in index._two_edit_neighbours(token)} == scanned, token


def test_re_screening_finds_an_entry_beyond_the_limit(
    engines: tuple[MatchingEngine, MatchingEngine, list[ScreeningQuery]],
) -> None:
    """A changed entry ranked below the top 10 of a common name is still found when re-screened."""
    engine, _, asked = engines
    query = next(query for query in asked if len(engine.screen(query, limit=10_000)) > 10)
    everything = engine.screen(query, limit=10_000)
    last = everything[-1]
    assert last.entry.entry_id not in {match.entry.entry_id for match in engine.screen(query)}
    assert described(engine.screen(query, among={last.entry.entry_id})) == described([last])


def test_names_skipped_before_pairing_could_not_have_reached_the_score() -> None:
    """compare_tokens gives up early only on names whose full comparison stays below at_least."""
    rng = random.Random(11)
    words = [f"w{number}" for number in range(8)]
    checked = skipped = 0
    for _ in range(5_000):
        query = tuple(rng.choice(words) for _ in range(rng.randint(1, 4)))
        listed = tuple(rng.choice(words) for _ in range(rng.randint(1, 5)))
        weights = {word: rng.uniform(0.2, 8.0) for word in words}
        inverse: dict[str, list[tuple[int, float]]] = {}
        for position, word in enumerate(query):
            inverse.setdefault(word, []).append((position, 1.0))
            neighbour = rng.choice(words)
            if neighbour != word:
                inverse.setdefault(neighbour, []).append((position, rng.choice((0.8, 0.85, 0.9))))
        query_weights = [weights[word] for word in query]
        listed_weights = tuple(weights[word] for word in listed)
        person = rng.random() < 0.5
        at_least = rng.uniform(0.7, 1.0)
        full = compare_tokens(query, inverse, query_weights, listed, listed_weights, person)
        early = compare_tokens(query, inverse, query_weights, listed, listed_weights, person, at_least)
        if full.score >= at_least:
            assert early == full
            checked += 1
        skipped += early.score == 0.0 and full.score > 0.0
    assert checked > 100 and skipped > 100


def test_an_index_changed_entry_by_entry_answers_as_one_built_afresh() -> None:
    """Removals, renames and additions leave no trace: postings, one-word and repeated-word
    postings, the long-word halves and every cache answer as they would for the final list."""
    rng = random.Random(5)
    entries = listed_entries(rng, 800)
    changed = MatchingEngine()
    changed.load(entries)
    asked = queries(entries, rng, 150)
    for query in asked[:50]:  # fill the caches before the changes
        changed.screen(query)
    final = {entry.entry_id: entry for entry in entries}
    for entry in rng.sample(entries, 300):
        changed.remove(entry.entry_id)
        del final[entry.entry_id]
    for entry in rng.sample(list(final.values()), 100):
        renamed = entry.model_copy(update={"names": [EntryName(name=f"{entry.names[0].name} ZAFIROVA")]})
        changed.upsert(renamed)
        final[entry.entry_id] = renamed
    fresh = MatchingEngine()
    fresh.load(final.values())
    for query in asked:
        assert described(changed.screen(query, limit=10_000)) == described(fresh.screen(query, limit=10_000)), query


def test_a_probe_meets_found_names_alike_by_its_postings_or_by_their_words() -> None:
    """Few names found are met by their own words, more by the probe's postings, and the postings
    gathered once met often: each way finds the names holding an expansion, from none to all."""
    engine = MatchingEngine()
    engine.load(listed_entries(random.Random(3), 600))
    index = engine._index
    rng = random.Random(4)
    every_name = [name_id for name_id, _ in index.bulk_names()]
    for token in ("garcia", "davis", "cicoarmi", "juana", "lopes", "zafirova"):
        for size in (0, 1, 2, 3, 5, 8, 40, 300):
            index._forget_derived()  # a fresh probe, its postings never gathered
            probe = index.probe(token)
            holding = BitMap.union(BitMap(), *probe.postings)
            for _ in range(12):  # past the meetings after which the postings are gathered
                found = BitMap(rng.sample(every_name, size))
                met = probe.meeting_if_any(found, index.names)
                assert (met or BitMap()) == found & holding
                assert met is None or met  # None, never an empty set
