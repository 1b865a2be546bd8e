"""Spellings past a typo that the engine still reads as one word, and what it says it did: vowels
romanised otherwise around the same consonants, a spelling variant one letter more, and the forms of a
word describing a business; and the words near them that stay words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.matcher.engine import MatchingEngine, ScreeningQuery, normalize
from services.matcher.engine.index import NameIndex
from services.matcher.engine.normalize import generic, lone_word, name_readings, name_tokens, vowel_mask, word_forms
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, WatchlistEntry

DATA = Path(__file__).resolve().parents[1] / "data" / "matching"
LISTED = {
    "vowels": (EntityKind.PERSON, "ESKANDAR HAKIMI"),
    "family": (EntityKind.PERSON, "SALIMA HUMIDA"),
    "finance": (EntityKind.ORGANIZATION, "ORINOCO FINANCIAL LIMITED"),
    "number": (EntityKind.ORGANIZATION, "NATIONAL ELECTRONICS INDUSTRY"),
    "bank": (EntityKind.ORGANIZATION, "COMMERCIAL BANK"),
}


@pytest.fixture(scope="module")
def engine() -> MatchingEngine:
    engine = MatchingEngine()
    engine.load([_entry(entry_id, kind, name) for entry_id, (kind, name) in LISTED.items()])
    return engine


def _entry(entry_id: str, kind: EntityKind, name: str) -> WatchlistEntry:
    names = [EntryName(name=name)]
    return WatchlistEntry(entry_id=entry_id, list_id="test", kind=kind, names=names, owner_country="US")


def _found(engine: MatchingEngine, name: str, kind: EntityKind) -> dict[str, str]:
    return {match.entry.entry_id: match.explanation for match in engine.screen(ScreeningQuery(name=name, kind=kind))}


def test_a_vowel_mask_keeps_the_consonants_in_place() -> None:
    assert vowel_mask("ismaili") == vowel_mask("esmaeli") == "*sm**l*"
    assert vowel_mask("obeidi") is None  # two consonants: the vowels are most of the word
    assert vowel_mask("al-hassan") is None and vowel_mask("müller") is None


def test_other_vowels_at_two_places_are_the_same_word_and_said_so(engine: MatchingEngine) -> None:
    found = _found(engine, "ISKANDER HAKIMI", EntityKind.PERSON)
    assert "ISKANDER~ESKANDAR (other vowels around the same consonants" in found["vowels"]


def test_other_vowels_at_three_places_make_another_word(engine: MatchingEngine) -> None:
    assert "family" not in _found(engine, "SALIMA HAMADI", EntityKind.PERSON)


def test_the_forms_of_a_descriptive_word_are_one_word_and_generic() -> None:
    assert "financial" in word_forms("finance") and "finance" not in word_forms("finance")
    assert word_forms("orinoco") == ()
    assert generic("mines")  # MINING's other form describes as much as MINING


def test_another_form_of_a_descriptive_word_is_said_so(engine: MatchingEngine) -> None:
    found = _found(engine, "ORINOCO FINANCE LTD", EntityKind.ORGANIZATION)
    assert "FINANCE~FINANCIAL (another form of a word describing the business" in found["finance"]


def test_a_descriptive_name_given_whole_in_the_other_number_is_the_name(engine: MatchingEngine) -> None:
    assert "number" in _found(engine, "NATIONAL ELECTRONICS INDUSTRIES", EntityKind.ORGANIZATION)


def test_descriptive_words_in_other_forms_and_order_prove_nothing(engine: MatchingEngine) -> None:
    assert "bank" not in _found(engine, "BANK OF COMMERCE", EntityKind.ORGANIZATION)


def test_a_spelling_variant_one_letter_more_is_the_same_word_and_said_so() -> None:
    engine = MatchingEngine()
    engine.load([_entry("west", EntityKind.PERSON, "ABDULAI DIALLO"), _entry("other", EntityKind.PERSON, "ABDULAI")])
    found = _found(engine, "ABDOULAYE DIALLO", EntityKind.PERSON)
    assert "ABDOULAYE~ABDULAI (a spelling variant and one letter more" in found["west"]


def test_a_listed_word_is_a_spelling_variant_one_vowel_apart_too() -> None:
    # JAMAL is a word of the list (another entry's): the list holds its other spellings all the same
    engine = MatchingEngine()
    people = [("french", "DJAMEL LOUNICI"), ("other", "JAMAL AHMED"), ("kamel", "KAMEL HAMRAOUI")]
    engine.load([_entry(entry_id, EntityKind.PERSON, name) for entry_id, name in people])
    found = _found(engine, "JAMAL LOUNICI", EntityKind.PERSON)
    assert "JAMAL~DJAMEL (a spelling variant and one letter more" in found["french"]


def test_a_listed_word_is_no_spelling_variant_of_another_first_letter_or_consonant() -> None:
    engine = MatchingEngine()
    names = [("kamel", "KAMEL HAMRAOUI"), ("djamel", "DJAMEL BOUZID"), ("eirin", "EIRIN FARM"), ("eyrie", "EYRIE FARM")]
    engine.load([_entry(entry_id, EntityKind.PERSON, name) for entry_id, name in names])
    assert "kamel" not in _found(engine, "DJAMEL HAMRAOUI", EntityKind.PERSON)  # JAMEL / KAMEL: the first letter
    assert "eirin" not in _found(engine, "EYRIE FARM", EntityKind.UNKNOWN)  # EIRIE / EIRIN: a consonant



def test_a_word_near_a_legal_form_that_is_a_real_word_stays() -> None:
    # CORPORATIVA is two letters from CORPORATION, and a word of the name: no legal form to cut
    assert name_tokens("TECNOLOGIA OPTIMA CORPORATIVA S. DE R.L. DE C.V.", EntityKind.ORGANIZATION) == (
        "tecnologia",
        "optima",
        "corporativa",
    )
    assert name_tokens("OPTIMA CORPORATON", EntityKind.ORGANIZATION) == ("optima",)  # a mistyped legal form goes


def test_a_generic_word_in_the_plural_leaves_a_company_its_lone_word() -> None:
    assert lone_word(("desarrollo", "zafiro"), is_person=False) == "zafiro"
    assert lone_word(("andes", "securities"), is_person=False) == "andes"


def test_the_generic_words_worked_out_once_are_those_the_rule_gives() -> None:
    # every word of the regression list and its background, and each generic word's forms
    words: set[str] = set()
    for path in (DATA / "regression_cases.csv", DATA / "background_names.csv"):
        words.update(re.findall(r"[a-z]+", path.read_text(encoding="utf-8").lower()))
    for word in normalize.GENERIC_WORDS:
        words.update((word, word + "s", word + "es", word[:-1], word[:-1] + "ies", word[:-3] + "y"))
    assert [word for word in sorted(words) if generic(word) != normalize.is_generic_form(word)] == []


def test_an_honorific_is_also_read_as_a_given_name_in_one_spelling() -> None:
    person = EntityKind.PERSON
    noor = name_readings("NOOR, Hajji Mohammad", person, listed=True)
    assert noor == (("noor", "mohammad"), ("noor", "haji", "mohammad"))
    assert name_readings("SHAYKH TAHIR", person) == (("tahir",), ("sheikh", "tahir"))
    # a listed title and one word would be a name that every longer name holding both words holds
    assert name_readings("AHMAD HAJI", person, listed=True) == (("ahmad",),)
    assert name_readings("KARIMI, Dr. Abdul", person) == (("karimi", "abdul"),)  # Dr. is never a name


def test_an_honorific_is_matched_only_as_written_or_in_another_spelling_of_it() -> None:
    engine = MatchingEngine()
    person, company = EntityKind.PERSON, EntityKind.ORGANIZATION
    hadi, haji = _entry("hadi", person, "NOORI, Hadi Ahmad"), _entry("haji", person, "BASIR, Haji Abdul")
    engine.load([hadi, haji, _entry("house", company, "HAJJI RAHIM EXCHANGE HOUSE")])
    index: NameIndex = engine._index
    assert set(index.expand("haji")) == {"haji", "hajji"}  # not HADI
    assert "haji" not in index.expand("hadi")
    assert set(_found(engine, "HAJI BASIR", person)) == {"haji"}
    assert not _found(engine, "HAJI NOORI", person)
    found = _found(engine, "HAJI RAHIM EXCHANGE HOUSE", company)
    assert "HAJI~HAJJI (the same title written otherwise" in found["house"]


def test_an_initial_of_a_listed_word_left_out_costs_what_leaving_it_out_costs_and_is_said() -> None:
    engine = MatchingEngine(threshold=0.3)
    engine.load([_entry("raed", EntityKind.PERSON, "RAED MUHAMMAD HIJAZI")])
    without = engine.screen(ScreeningQuery(name="Raed Hijazi", kind=EntityKind.PERSON))[0]
    initial = engine.screen(ScreeningQuery(name="Raed M. Hijazi", kind=EntityKind.PERSON))[0]
    assert initial.score == without.score
    assert "initials of listed words left out: M for MUHAMMAD" in initial.explanation
    # an initial no listed word begins with is a word the listed name lacks
    other = engine.screen(ScreeningQuery(name="Raed K. Hijazi", kind=EntityKind.PERSON))[0]
    assert other.score < without.score and "initials" not in other.explanation


def test_an_initial_stands_for_one_listed_word_and_not_for_a_company() -> None:
    engine = MatchingEngine(threshold=0.5)
    firm = _entry("firm", EntityKind.ORGANIZATION, "MARINA MANTA PESQUERA")
    engine.load([_entry("one", EntityKind.PERSON, "JUAN MANUEL PEREZ"), firm])
    twice = engine.screen(ScreeningQuery(name="Juan M. M. Perez", kind=EntityKind.PERSON))[0]
    assert twice.explanation.count(" for MANUEL") == 1
    assert "initials" not in _found(engine, "MARINA M PESQUERA", EntityKind.ORGANIZATION).get("firm", "")


@pytest.fixture(scope="module")
def firms() -> MatchingEngine:
    engine = MatchingEngine()
    names = {
        "naviera": "NAVIERA CENTROAMERICANA DE TRANSPORTES Y LOGISTICA S.A.",
        "carga": "NAVIERA CENTROAMERICANA DE CARGA S.A.",
        "caribe": "INVERSIONES AGROINDUSTRIALES DEL CARIBE S.A.S.",
        "andes": "ANDES SHIPPING MANAGEMENT PRIVATE LIMITED",
    }
    engine.load([_entry(entry_id, EntityKind.ORGANIZATION, name) for entry_id, name in names.items()])
    return engine


def test_a_name_cut_short_in_a_word_is_the_listed_name_cut_there_and_said_so(firms: MatchingEngine) -> None:
    found = _found(firms, "NAVIERA CENTROAMERICANA DE TRANSPOR", EntityKind.ORGANIZATION)  # 35 characters
    assert set(found) == {"naviera"}  # TRANSPOR begins no word of CARGA's name
    assert "TRANSPOR~TRANSPORTES (the manifest's name cut short in this word" in found["naviera"]
    assert "listed words after the cut: LOGISTICA" in found["naviera"]


def test_a_name_cut_after_a_letter_or_three_is_cut_before_the_listed_word_they_begin(firms: MatchingEngine) -> None:
    found = _found(firms, "INVERSIONES AGROINDUSTRIALES DEL CAR", EntityKind.ORGANIZATION)
    assert "cut short in a word, ending CAR; listed words after the cut: CARIBE" in found["caribe"]
    assert "the same words" not in found["caribe"]  # not an exact match


def test_a_name_cut_short_in_its_legal_form_is_the_name_without_it(firms: MatchingEngine) -> None:
    found = _found(firms, "ANDES SHIPPING MANAGEMENT PRIVATE LIM", EntityKind.ORGANIZATION)
    assert "words cut otherwise: PRIVATE LIM LEFT OUT, A LEGAL FORM CUT SHORT" in found["andes"]
    assert normalize.cut_legal_form(("andes", "shipping", "open", "joint", "stock")) == 3  # two words short
    assert normalize.cut_legal_form(("andes", "shipping", "private")) == 0  # one whole word may be a name's


def test_a_short_name_or_one_ending_otherwise_is_not_taken_for_a_cut_one(firms: MatchingEngine) -> None:
    assert "naviera" not in _found(firms, "NAVIERA TRANSPOR", EntityKind.ORGANIZATION)  # too short to be cut
    # the last word as written is a legal form: the name was not cut in TRANSPOR
    assert "naviera" not in _found(firms, "NAVIERA CENTROAMERICANA DE TRANSPOR S.A.", EntityKind.ORGANIZATION)
