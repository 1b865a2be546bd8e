"""The shortcuts normalisation takes for speed give what the general steps give."""

from __future__ import annotations

import string

import pytest
from rigour.names import remove_obj_prefixes, remove_person_prefixes

from services.matcher.engine import normalize
from services.matcher.engine.normalize import _NON_ALNUM, _latin_lower, _latin_lower_any_script, _words
from services.matcher.engine.syllables import syllable_key, syllable_words
from services.shared.models.common import EntityKind

# ASCII names that take each turn of the ASCII shortcut: apostrophes, branches in brackets or
# trailing in any case, a capital inside a word, one case or mixed
_ASCII_NAMES = [
    "PEDRO TORRES THOMAS",
    "pedro torres thomas",
    "'ABUD Ahamd",
    "O`BRIEN, Patrick",
    "ACME TRADING (PANAMA)",
    "Acme Trading (Sucursal Colombia)",
    "MAGUS HOLDING LLC SUCURSAL PANAMA",
    "kanilai group singapore branch",
    "Kanilai Group Filial de Mexico",
    "BRANCHES OF ACME",
    "JoaquinGuzman Loera",
    "DongPmig Ltd",
    "McDONALD TRADING",
    "EL-HAJJ (Mr.) Ali",
    "",
    "123 456",
]


@pytest.mark.parametrize("name", _ASCII_NAMES)
def test_ascii_names_read_as_names_in_any_script(name: str) -> None:
    assert _latin_lower(name) == _latin_lower_any_script(name)


def test_ascii_words_cut_as_the_general_pattern_cuts() -> None:
    text = string.printable + " soto hermanos s.a. de c.v. O'Brien-Smith 42nd"
    assert _words(text) == _NON_ALNUM.sub(" ", text).split()


_PERSON_HEADS = [prefix + " john smith" for prefix in normalize._PERSON_PREFIXES]
_OBJ_HEADS = [prefix + " ocean star" for prefix in normalize._OBJ_PREFIXES]


@pytest.mark.parametrize("text", [*_PERSON_HEADS, "drake smith", "mrsmith", "john smith", " dr john", "-mr x"])
def test_person_prefixes_removed_as_rigour_removes_them(text: str) -> None:
    assert normalize._remove_person_prefixes(text) == remove_person_prefixes(text)


@pytest.mark.parametrize("text", [*_OBJ_HEADS, "mtv ocean", "ss ocean", "the ocean", "ocean star", "/m/v x"])
def test_vessel_prefixes_removed_as_rigour_removes_them(text: str) -> None:
    assert normalize._remove_obj_prefixes(text) == remove_obj_prefixes(text)


def test_a_legal_form_with_its_letters_grouped_otherwise_is_left_out() -> None:
    company = EntityKind.ORGANIZATION
    assert normalize.name_readings("GRANATURA S DE PR DE RL DE CV", company) == (("granatura",),)
    assert normalize.name_readings("ANDES SA DE C V", company) == (("andes",),)
    assert normalize.name_readings("KIM SO", company) == (("kim", "so"),)  # short words, no form's letters


def test_a_branch_written_with_accents_is_a_branch() -> None:
    company = EntityKind.ORGANIZATION
    plain = normalize.name_readings("TRANSPORTES ANDES : PERU BRANCH", company)
    assert plain == (("transportes", "andes"),)
    assert normalize.name_readings("TRANSPORTES ÁNDES : PERÚ BRÁNCH", company) == plain
    assert normalize.name_readings("la hacienda (úsa) llc", company) == (("hacienda",),)


def test_a_joined_syllabic_name_is_cut_either_side_of_a_consonant() -> None:
    assert syllable_words(("pak", "songil")) == ("pak", "song", "il")
    assert syllable_words(("pak", "songil"), onset_first=True) == ("pak", "son", "gil")
    assert syllable_words(("cho", "ilu")) == ("cho", "il", "u")  # three letters, two syllables
    assert syllable_words(("kim", "yongho"), onset_first=True) == ("kim", "yong", "ho")  # nothing to move


def test_korean_eo_before_k_written_u_is_one_syllable_but_uk_is_not_ok() -> None:
    assert syllable_key("hyuk") == syllable_key("hyok") == syllable_key("hyeok")
    assert syllable_key("suk") == syllable_key("sok") == syllable_key("seok")
    assert syllable_key("uk") != syllable_key("ok") and syllable_key("kuk") != syllable_key("kok")
