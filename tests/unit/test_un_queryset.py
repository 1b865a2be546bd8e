"""The UN query set: its trimmed file imports cleanly and its queries are not trivially found."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from normality import ascii_text

from benchmarks.queryset import LabelledQuery, ListedNames
from benchmarks.un_queryset import NEGATIVE_KIND, build_un, load_un, script_key
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import WatchlistEntry


@cache
def _built() -> tuple[list[WatchlistEntry], list[LabelledQuery]]:
    return build_un()


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", ascii_text(name).lower())


def test_the_trimmed_file_imports_without_problems() -> None:
    entries = load_un()  # the importer raises WatchlistFileError on any problem in the file
    kinds = Counter(entry.kind for entry in entries)
    assert kinds[EntityKind.PERSON] == 650 and kinds[EntityKind.ORGANIZATION] == 371
    assert len({entry.entry_id for entry in entries}) == len(entries)
    assert sum(bool(entry.dates_of_birth) for entry in entries) > 500
    assert sum(bool(entry.nationalities) for entry in entries) > 400
    assert all(entry.programs and entry.listed_on for entry in entries)


def test_no_script_query_finds_its_own_text_in_the_index() -> None:
    index, queries = _built()
    names = {entry.entry_id: [listed.name for listed in entry.names] for entry in index}
    scripts = [query for query in queries if query.change.startswith("un_script_")]
    assert scripts
    for query in scripts:
        assert query.name is not None and script_key(query.name) is not None
        assert query.name not in names[query.expected or ""]
    # the index is Latin only: no query meets a same-script name of its entry either
    assert all(script_key(name) is None for listed in names.values() for name in listed)


def test_alias_queries_are_not_a_name_left_in_their_entry() -> None:
    index, queries = _built()
    folded = {entry.entry_id: {_fold(listed.name) for listed in entry.names} for entry in index}
    aliases = [query for query in queries if query.change in ("un_alias", "un_syllabic")]
    assert aliases
    for query in aliases:
        assert _fold(query.name or "") not in folded[query.expected or ""]


def test_no_alias_query_is_another_entrys_name_word_for_word() -> None:
    # HASSAN DAHIR AWEYS is listed twice (Al-Qaida and Somalia): an alias of one that the other holds
    # cannot say which of the two it is
    index, queries = _built()
    holders: dict[tuple[str, ...], set[str]] = {}
    for entry in index:
        for listed in entry.names:
            holders.setdefault(tuple(sorted(_fold_words(listed.name))), set()).add(entry.entry_id)
    for query in queries:
        if query.expected is not None:
            assert holders.get(tuple(sorted(_fold_words(query.name or ""))), set()) <= {query.expected}, query.name


def _fold_words(name: str) -> list[str]:
    return re.sub(r"[^a-z0-9]+", " ", ascii_text(name).lower()).split()


def test_negatives_are_not_listed() -> None:
    _, queries = _built()
    listed = ListedNames(load_un())
    negatives = [query for query in queries if query.change == NEGATIVE_KIND]
    assert negatives and all(query.expected is None for query in negatives)
    assert not [query.name for query in negatives if listed.is_listed(query.name or "")]
    assert {query.detail for query in negatives} == {"recombined", "syllabic"}


def test_counts_per_kind() -> None:
    _, queries = _built()
    counts = Counter(query.change for query in queries)
    # the 2017 list gives Arabic, Cyrillic and Han originals; it has no Hangul one (DPRK records give none)
    assert counts["un_script_arabic"] > 300
    assert counts["un_script_cyrillic"] > 0 and counts["un_script_han"] > 0
    assert counts["un_script_hangul"] == 0
    assert counts["un_alias"] > 300 and counts["un_syllabic"] > 10
    positives = sum(count for kind, count in counts.items() if kind != NEGATIVE_KIND)
    assert abs(counts[NEGATIVE_KIND] - positives) <= positives // 10


def test_the_same_seed_gives_the_same_queries() -> None:
    _, queries = _built()
    _, again = build_un()
    assert [(query.change, query.name, query.kind) for query in queries] == [
        (query.change, query.name, query.kind) for query in again
    ]
