"""A second, independent labelled query set: the UN Security Council Consolidated List (July 2017).

The OFAC set (`benchmarks.queryset`) changes listed names with our own code; this one takes its queries
from what the UN's people wrote for the same person: the name in its original script and the Latin
aliases. The file is `benchmarks/data/un-consolidated-2017-names.xml`, a trimmed copy of the public list
(see `benchmarks/data/README.md`), read with the project's importer.

One index serves every kind (`build_un` returns it with the queries): each entry keeps only its names
written in Latin letters (so an original-script query never meets its own text, nor a same-script alias:
the pairs stay cross-script), less the one alias drawn as that entry's alias query.

Kinds (`LabelledQuery.change`), one per query:

- un_script_<script>: the name in its original script (NAME_ORIGINAL_SCRIPT, or an alias written wholly in
  one non-Latin script), expecting its entry: un_script_arabic, un_script_cyrillic, un_script_han,
  un_script_hangul, else un_script_other. The 2017 list gives no Hangul original: that kind is absent.
- un_alias: a Latin alias of good / a.k.a. / f.k.a. quality (not a low-quality one), one drawn per entry and
  taken out of the index, so the engine must find the entry from the primary name and the other aliases
  (Abd-al-Khaliq al-Huthi / ABD AL-KHALIQ AL-HOUTHI). An alias is used only when it is no listed name left
  in the entry written with other case, punctuation, spacing or word order, and when it shares a word
  with one (a spelling variant, not another name altogether: "Commander Putol" cannot be found from
  RADULAN SAHIRON, nor should it be). One alias of several joined by ';' is one query. An alias that
  another entry holds word for word is set aside: it cannot say which of the two it is (the list has
  HASSAN DAHIR AWEYS under Al-Qaida and under Somalia).
- un_syllabic: the alias queries of persons on the DPRK list, or whose names are Korean / Chinese /
  Vietnamese short syllables (Jo Yon Jun / CHO YON CHUN): counted here, not in un_alias.
- un_negative (no entry expected): persons not on the list, made of the list's own words: a given name of
  one record with the family name (and sometimes a middle name) of others, never together in a listed
  name (detail "recombined"); and Korean three-syllable names, the surname of one DPRK record with given
  syllables of others (detail "syllabic"), the hard negatives for short syllabic names. Each is checked
  not listed with `ListedNames.is_listed`, the syllabic ones also with `SyllabicNames.is_listed`
  (not a listed name in another romanisation). About as many negatives as positives.

Held out: positives by their entry's id, negatives by their text (as `benchmarks.queryset`). 30% of the
queries have EntityKind.UNKNOWN, drawn with the seed, as manifests often do not say what a party is.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from normality import ascii_text
from rapidfuzz import fuzz
from rigour.text.scripts import text_scripts

from benchmarks.queryset import (
    SURNAME_ORIGIN,
    LabelledQuery,
    ListedNames,
    SyllabicNames,
    held_out,
    held_out_text,
)
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, NameType, WatchlistEntry
from services.shared.settings import PROJECT_ROOT

UN_FILE = PROJECT_ROOT / "benchmarks" / "data" / "un-consolidated-2017-names.xml"
# the importer wants the partner who shares the list; for the evaluation any valid code does
OWNER_COUNTRY = "US"
NEGATIVE_KIND = "un_negative"
_KNOWN_SCRIPTS = {"Arabic": "arabic", "Cyrillic": "cyrillic", "Han": "han", "Hangul": "hangul"}
# Words too common on the list to make an alias a spelling variant of a name by themselves sharing them.
_COMMON_WORDS = {
    *("abu", "abd", "abdul", "abdel", "abdal", "bin", "ben", "ibn", "bint", "al", "el", "ul", "ud", "ur"),
    *("haji", "hajji", "mullah", "maulavi", "qari", "sheikh", "shaykh", "dr", "general", "commander"),
    *("mohammad", "mohammed", "muhammad", "muhammed", "mohamed", "muhamad", "ahmad", "ahmed", "ali"),
    *("the", "of", "for", "and", "in", "co", "ltd", "limited", "company", "corporation", "corp", "trading"),
    *("state", "enterprise", "establishment", "general", "organization", "group", "bank", "islamic"),
    *("international", "foundation", "trust", "front", "army", "movement", "industries", "industrial"),
}
_SURNAMES = {surname.lower() for surname in SURNAME_ORIGIN}
# one romanised Korean / Chinese / Vietnamese syllable (the OFAC set's notion, kept loose on purpose)
_SYLLABLE = re.compile(r"[bcdfghjklmnpqrstvwxz]{0,3}[aeiouy]{1,3}(?:ng|nh|ch|n|m|l|k|p|t|r|h)?")


def load_un(path: Path = UN_FILE) -> list[WatchlistEntry]:
    """Every entry of the trimmed 2017 list, read with the project's importer (it raises on any problem)."""
    from services.watchlist.importers.un_consolidated import parse_un_consolidated

    return parse_un_consolidated(path, owner_country=OWNER_COUNTRY)


def build_un(seed: int = 20260509) -> tuple[list[WatchlistEntry], list[LabelledQuery]]:
    """(the index to load, the labelled queries); the same for the same seed."""
    entries = load_un()
    alias_rng = random.Random(f"{seed}:un-alias")
    index: list[WatchlistEntry] = []
    positives: list[LabelledQuery] = []
    for entry in entries:
        latin = [listed for listed in entry.names if _is_latin(listed.name)]
        positives.extend(_script_queries(entry))
        drawn = _draw_alias(entry, latin, alias_rng)
        if drawn is not None:
            taken, query = drawn
            latin = [listed for listed in latin if not any(listed is name for name in taken)]
            positives.append(query)
        index.append(entry.model_copy(update={"names": latin}))
    negatives = _negatives(entries, random.Random(f"{seed}:un-negative"), len(positives), positives)
    queries = positives + negatives
    unknown = random.Random(f"{seed}:un-unknown-kind")
    for query in queries:  # manifests often do not say what a party is
        if unknown.random() < 0.3:
            query.kind = EntityKind.UNKNOWN
    # An alias that another entry holds word for word (the list has some persons twice, under two
    # regimes) cannot say which of them it is: the alert on the other is right, and the query is set
    # aside, after the draws, so that every other query and the index stay as they were.
    holders: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for entry in index:
        for listed in entry.names:
            holders[tuple(sorted(_words(listed.name)))].add(entry.entry_id)
    return index, [query for query in queries if not _held_elsewhere(query, holders)]


def _held_elsewhere(query: LabelledQuery, holders: dict[tuple[str, ...], set[str]]) -> bool:
    """True when an entry other than the one the query expects holds its words, in any order."""
    if query.expected is None:
        return False
    return bool(holders.get(tuple(sorted(_words(query.name or ""))), set()) - {query.expected})


# -- scripts ---------------------------------------------------------------------------------------


def _is_latin(name: str) -> bool:
    return text_scripts(name) <= {"Latin"}


def script_key(name: str) -> str | None:
    """'arabic', 'cyrillic', 'han', 'hangul' or 'other' for a name written wholly in one non-Latin
    script; None for Latin, mixed or letterless text."""
    scripts = text_scripts(name)
    if len(scripts) != 1 or "Latin" in scripts:
        return None
    return _KNOWN_SCRIPTS.get(next(iter(scripts)), "other")


def _script_queries(entry: WatchlistEntry) -> list[LabelledQuery]:
    """Every name of the entry written in one non-Latin script: the UN's original-script name, or an
    alias such as حاجى فیض الله خان نورزى. The index keeps none of them."""
    queries = []
    for listed in entry.names:
        key = script_key(listed.name)
        if key is None:
            continue
        queries.append(
            LabelledQuery(
                f"un_script_{key}",
                listed.name,
                entry.kind,
                entry.entry_id,
                source=entry.names[0].name,
                held_out=held_out(entry.entry_id),
                detail=f"{len(listed.name.split())} words",
            )
        )
    return queries


# -- aliases ---------------------------------------------------------------------------------------


def _fold(name: str) -> str:
    """Case, accents, punctuation and spacing gone: ABDUL-HAQ WASSIQ and Abdul Haq Wassiq meet."""
    return re.sub(r"[^a-z0-9]", "", ascii_text(name).lower())


def _words(name: str) -> list[str]:
    return re.sub(r"[^a-z0-9]+", " ", ascii_text(name).lower()).split()


def _alias_parts(entry: WatchlistEntry, alias: EntryName) -> list[str]:
    """The usable query texts of one alias: each ';' part, a person's parenthesis dropped (the UN adds
    notes there: "Abdel Ilah Sabri (false identity related to ...)"), at most eight words."""
    parts = []
    for part in alias.name.split(";"):
        text = re.sub(r"\s*\([^)]*\)?", "", part) if entry.kind is EntityKind.PERSON else part
        text = text.strip(" ,")
        if text and 1 <= len(text.split()) <= 8:
            parts.append(text)
    return parts


def _is_variant(text: str, others: list[str]) -> bool:
    """Not one of `others` rewritten (case, punctuation, spacing, word order), yet sharing a
    distinctive word with one of them, allowing a spelling difference (HOUTHI / HUTHI). A Korean or
    Chinese surname is not distinctive: Kim Hyok-Chol is another name than KIM TONG MY'ONG."""
    if any(_rewritten(text, other) for other in others):
        return False
    common = _COMMON_WORDS | _SURNAMES if looks_syllabic(text) else _COMMON_WORDS
    mine = [word for word in _words(text) if len(word) >= 2 and word not in common]
    theirs = {word for other in others for word in _words(other) if len(word) >= 2 and word not in common}
    return any(_same_word(word, their) for word in mine for their in theirs)


def _same_word(word: str, other: str) -> bool:
    """Close in spelling (HOUTHI / HUTHI), or the same consonants once the usual transcription
    differences are folded (SUFYAN / SOFIANE, QUMU / GOUMO)."""
    if fuzz.ratio(word, other) >= 70:
        return True
    mine, theirs = _consonants(word), _consonants(other)
    return len(mine) >= 2 and mine == theirs


def _consonants(word: str) -> str:
    for before, after in (("ph", "f"), ("kh", "k"), ("gh", "k"), ("th", "t"), ("dh", "d"), ("sh", "s")):
        word = word.replace(before, after)
    word = word.translate(str.maketrans("qgcz", "kkks"))
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouyhw]", "", word))


def _rewritten(text: str, other: str) -> bool:
    return _fold(text) == _fold(other) or sorted(_words(text)) == sorted(_words(other))


def _draw_alias(
    entry: WatchlistEntry, latin: list[EntryName], rng: random.Random
) -> tuple[list[EntryName], LabelledQuery] | None:
    """One alias of the entry as a query, with the listed names to take out of the index: the alias and
    the other aliases that are it rewritten (Abd-al-Khaliq al-Huthi, Abd al-Khaliq al-Huthi); None when
    the entry has no usable alias."""
    primary_parts = {part.strip() for part in entry.names[0].name.split(";")}
    candidates: list[tuple[list[EntryName], str]] = []
    for listed in latin[1:]:
        if listed.name_type is NameType.WEAK or listed.name in primary_parts:
            continue  # low quality, or a ';' part of the primary name (the importer's, not the UN's alias)
        for text in _alias_parts(entry, listed):
            twins = [other for other in latin[1:] if other is not listed and _rewritten(text, other.name)]
            stay = [other.name for other in latin if other is not listed and not any(other is t for t in twins)]
            if _is_variant(text, stay):
                candidates.append(([listed, *twins], text))
    if not candidates:
        return None
    taken, text = rng.choice(candidates)
    change = "un_syllabic" if _is_syllabic(entry, text) else "un_alias"
    query = LabelledQuery(
        change,
        text,
        entry.kind,
        entry.entry_id,
        source=taken[0].name,
        held_out=held_out(entry.entry_id),
        detail=str(taken[0].name_type),
    )
    return taken, query


def looks_syllabic(name: str) -> bool:
    """A person's name of two to four short syllables, first or last a known Korean / Chinese /
    Vietnamese surname: Jo Yon Jun, KIM TONG-HO, Lee Won Ho."""
    words = [ascii_text(word).lower() for word in re.split(r"[\s,-]+", name) if word]
    if not 2 <= len(words) <= 4:
        return False
    if words[0].upper() not in SURNAME_ORIGIN and words[-1].upper() not in SURNAME_ORIGIN:
        return False
    return all(len(word) <= 5 and _SYLLABLE.fullmatch(word) for word in words)


def _is_syllabic(entry: WatchlistEntry, text: str) -> bool:
    if entry.kind is not EntityKind.PERSON:
        return False  # DPRK companies' aliases are company names: un_alias
    return "DPRK" in entry.programs or looks_syllabic(text) or looks_syllabic(entry.names[0].name)


# -- negatives -------------------------------------------------------------------------------------


def _negatives(
    entries: list[WatchlistEntry], rng: random.Random, count: int, positives: list[LabelledQuery]
) -> list[LabelledQuery]:
    """`count` invented persons: syllabic ones (twice the syllabic positives, at most a third), then
    recombined ones."""
    listed, syllabic = ListedNames(entries), SyllabicNames(entries)
    seen = {_fold(listed_name.name) for entry in entries for listed_name in entry.names}
    wanted = min(2 * sum(query.change == "un_syllabic" for query in positives), count // 3)
    names = _syllabic_negatives(entries, rng, wanted, listed, syllabic, seen)
    made = [(name, "syllabic") for name in names]
    made += [(name, "recombined") for name in _recombined_negatives(entries, rng, count - len(made), listed, seen)]
    return [
        LabelledQuery(NEGATIVE_KIND, name, EntityKind.PERSON, None, held_out=held_out_text(name), detail=detail)
        for name, detail in made
    ]


def _syllabic_negatives(
    entries: list[WatchlistEntry],
    rng: random.Random,
    wanted: int,
    listed: ListedNames,
    syllabic: SyllabicNames,
    seen: set[str],
) -> list[str]:
    """A DPRK person's surname with two given syllables taken from two other DPRK persons."""
    people = []
    for entry in entries:
        words = re.split(r"[\s-]+", entry.names[0].name)
        if entry.kind is EntityKind.PERSON and "DPRK" in entry.programs and len(words) >= 2:
            people.append((words[0], words[1:]))
    names: list[str] = []
    for _attempt in range(200 * max(wanted, 1)):
        if len(names) >= wanted or len(people) < 3:
            break
        (surname, _), (_, first), (_, second) = rng.sample(people, 3)
        name = f"{surname} {rng.choice(first)} {rng.choice(second)}"
        if _fold(name) in seen or listed.is_listed(name) or syllabic.is_listed(name):
            continue
        seen.add(_fold(name))
        names.append(name)
    return names


def _recombined_negatives(
    entries: list[WatchlistEntry], rng: random.Random, wanted: int, listed: ListedNames, seen: set[str]
) -> list[str]:
    """A given name of one listed person with the family name of another (and, half the time, a middle
    name of a third), the given and family names never together in one listed name."""
    people = [
        words
        for entry in entries
        if entry.kind is EntityKind.PERSON and "DPRK" not in entry.programs
        for words in [entry.names[0].name.split()]
        if len(words) >= 2 and not looks_syllabic(entry.names[0].name)
    ]
    together = Counter(
        pair
        for entry in entries
        for listed_name in entry.names
        for words in [set(_words(listed_name.name))]
        for pair in ((a, b) for a in words for b in words if a != b)
    )
    names: list[str] = []
    for _attempt in range(200 * max(wanted, 1)):
        if len(names) >= wanted:
            break
        given, family, middle = rng.sample(people, 3)
        parts = [given[0], *([rng.choice(middle[1:])] if rng.random() < 0.5 else []), family[-1]]
        name = " ".join(parts)
        pair = (_words(given[0])[-1:] or [""])[0], (_words(family[-1])[-1:] or [""])[0]
        if together[pair] or _fold(name) in seen or listed.is_listed(name):
            continue
        seen.add(_fold(name))
        names.append(name)
    return names
