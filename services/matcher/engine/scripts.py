"""Latin readings of a name written in another script.

One transliteration per script is not enough: the same Russian name is listed as EVGENIY, YEVGENIY
or EVGENY, a Korean one as RI YONG HO (the North's usage) or LI YEONGHO (the South's), so a name
gets every reading its script commonly has, and the engine screens each. Per script:

- Cyrillic: rigour's spelling (`Евгений` → evgeny) and BGN/PCGN, which the US and UK lists use
  (yevgeniy).
- Greek: rigour's (ELOT) and UNGEGN.
- Hangul: syllable by syllable in the McCune-Reischauer usage of the DPRK names on the UN and OFAC
  lists (`리영호` → ri yong ho), one word per syllable: how the syllables group into words differs
  from list to list, and the engine joins words where the list joins them.
- Han: pinyin, one word per syllable (ICU's Han-Latin).
- Kana: ICU's Hepburn, long vowels folded (`たろう` → taro). Kanji are read as Chinese: reading a
  Japanese name in kanji needs a dictionary of name readings, which no permissively licensed
  library here provides.
- Arabic, Hebrew and the rest: ICU's Any-Latin, then anyascii for what ICU leaves (Khmer, for one).
  Arabic and Hebrew write few vowels; the engine compares those readings by their consonants
  (see `consonants`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import icu  # type: ignore[import-untyped]  # PyICU ships no type information
import pycountry
from anyascii import anyascii
from normality import ascii_text
from rigour.text.scripts import codepoint_script, text_scripts
from rigour.text.translit import maybe_ascii

_BGN_CYRILLIC = icu.Transliterator.createInstance("Russian-Latin/BGN")
# ISO 9 (TSE as C, SHORT I as J, HA as H): how names of Latin origin come back from Cyrillic, as in Serbian Latin
_ISO_CYRILLIC = icu.Transliterator.createInstance("Cyrillic-Latin")
_UNGEGN_GREEK = icu.Transliterator.createInstance("Greek-Latin/UNGEGN")
_HAN = icu.Transliterator.createInstance("Han-Latin")
_KANA = icu.Transliterator.createInstance("Katakana-Latin; Hiragana-Latin")
_ANY = icu.Transliterator.createInstance("Any-Latin")

_HANGUL_INITIALS = (
    "k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th", "ph", "h",
)
_HANGUL_VOWELS = (
    "a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "u",
    "ui", "i",
)
_HANGUL_FINALS = (
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng",
    "t", "t", "k", "t", "p", "t",
)
#: country names in English and Spanish, as a branch's name gives them ("ACME TRADING (PANAMA)")
COUNTRY_NAMES: tuple[str, ...] = tuple(
    sorted(
        {country.name for country in pycountry.countries}
        # "Venezuela, Bolivarian Republic of", "Iran, Islamic Republic of": a branch names the first part
        | {country.name.split(",")[0] for country in pycountry.countries}
        | {getattr(country, "common_name", country.name) for country in pycountry.countries}
        # the Spanish, Portuguese and older English names pycountry does not give
        | {"México", "Panamá", "Brasil", "Perú", "USA", "UK", "UAE", "Turkey", "Russia", "Burma", "Dubai"},
        key=len,
        reverse=True,
    )
)
#: abjads: scripts whose names are written with few or no vowels
ABJADS = frozenset({"ARABIC", "HEBREW", "SYRIAC", "THAANA"})


def script_of(char: str) -> str:
    """The Unicode script of a character, upper case (CYRILLIC, HAN...), "" for spaces and marks."""
    return (codepoint_script(ord(char)) or "").upper()


@lru_cache(maxsize=50_000)
def scripts_in(text: str) -> frozenset[str]:
    """The scripts of the letters of a name other than Latin (rigour reads them from Unicode's tables)."""
    return frozenset(script.upper() for script in text_scripts(text) if script != "Latin")


@lru_cache(maxsize=50_000)
def latin_readings(text: str) -> tuple[str, ...]:
    """The name in Latin letters, once per reading its scripts commonly have, the usual one first."""
    if text.isascii():
        return (text,)
    scripts = scripts_in(text)
    if not scripts:  # Latin with accents
        return (ascii_text(text),)
    readings: list[str] = []
    if "CYRILLIC" in scripts:
        readings += [maybe_ascii(text), _BGN_CYRILLIC.transliterate(text), _ISO_CYRILLIC.transliterate(text)]
    if "GREEK" in scripts:
        readings += [maybe_ascii(text), _UNGEGN_GREEK.transliterate(text)]
    if "HANGUL" in scripts:
        readings.append(_hangul_syllables(text))
    if scripts & {"HIRAGANA", "KATAKANA"}:
        readings.append(_hepburn_names(_KANA.transliterate(_spaced_han(text))))
    elif "HAN" in scripts:
        readings.append(_HAN.transliterate(_spaced_han(text)))
    if scripts & {"ARABIC", "HEBREW"}:
        consonantal = _abjad_consonants(text)
        readings.append(consonantal)
        if "bd al " in f" {consonantal} ":  # ABD AL-RAHMAN is as often ABDUL RAHMAN, or ABDEL
            readings.append(f" {consonantal} ".replace(" bd al ", " bdl ").strip())
        persian_sounds, silent_heh = not _PERSIAN_SOUNDS.isdisjoint(text), _SILENT_HEH.search(text) is not None
        if persian_sounds or silent_heh:  # as Persian and Urdu say them
            readings.append(_abjad_consonants(text, persian=True))
        if persian_sounds and silent_heh:
            # the final HEH alone: Egyptian spellings write it for TEH MARBUTA (شحاته SHIHATA), in a
            # name whose THA or DHAL is still Arabic (ثروت THARWAT)
            readings.append(_abjad_consonants(text, silent_heh=True))
    if scripts & {"ARMENIAN", "GEORGIAN"}:
        readings.append(maybe_ascii(text))
    if not readings:
        # the rest (Thai, Khmer, Devanagari, Bengali, Tamil, Burmese...): ICU's and anyascii's
        # conventions differ, and lists follow either
        readings += [_ANY.transliterate(text), anyascii(text)]
    return tuple(dict.fromkeys([_ascii(reading) for reading in readings]))


def _ascii(text: str) -> str:
    plain = ascii_text(text)
    # what ICU could not transliterate comes back as "?": anyascii knows more scripts
    return anyascii(text) if "?" in plain else plain


def _spaced_han(text: str) -> str:
    """One word per Han character: each is a syllable, and lists group them into words differently."""
    return "".join(f" {char} " if script_of(char) == "HAN" else char for char in text)


def _hangul_syllables(text: str) -> str:
    out: list[str] = []
    for char in text:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            initial, vowel, final = code // 588, (code % 588) // 28, code % 28
            out.append(f" {_HANGUL_INITIALS[initial]}{_HANGUL_VOWELS[vowel]}{_HANGUL_FINALS[final]} ")
        else:
            out.append(char)
    return "".join(out)


def _hepburn_names(text: str) -> str:
    # names drop the long vowels that kana spell out: たろう is TARO, ゆうこ is YUKO
    return text.replace("ou", "o").replace("uu", "u").replace("oo", "o")


# The consonants Arabic and Hebrew letters are romanised with in names; vowel letters (alif, waw and
# ya as vowels, ayin, hamza) are left out, as the engine compares these readings by consonants.
_ARABIC = dict(
    zip(
        "بتثجحخدذرزسشصضطظغفقكلمنه",
        "b t th j h kh d dh r z s sh s d t z gh f q k l m n h".split(),
        strict=True,
    )
)
#: the letters Persian, Urdu and Pashto add (Afghan and Pakistani names: ACHEKZAI اچکزی, MALIK
#: مالک with the Persian KAF, CHAUDHRY with the Urdu HEH)
_PERSIAN_URDU_PASHTO = dict(
    zip(
        "پچژکگہھټډړږښځڅګڼ",
        "p ch zh k g h h t d r zh sh z s g n".split(),
        strict=True,
    )
)
#: a final TEH MARBUTA is the vowel A of FATIMA, HAMZA, USAMA; TATWEEL only stretches a letter
_SILENT = {"ة": "", "ـ": ""}
_HEBREW = dict(zip("בגדהזחטכךלמםנןסצץקרשתפף", "b g d h z kh t k k l m m n n s ts ts k r sh t p f".split(), strict=True))
_ABJAD_LETTERS = {**_ARABIC, **_PERSIAN_URDU_PASHTO, **_SILENT, **_HEBREW}
#: ...but said T at the end of a word without the article with another word after it, the first of a
#: construct (JAMAAT AL-DAWA, JAMIAT IHYA AL-TURATH, HARAKAT AL-JIHAD), as organisations' names are
_CONSTRUCT = re.compile("(?:^|\\s)(?!\u0627\u0644)\\S*\u0629(?=\\s+\\S)")
#: DAD and DHAL are Z in Persian and Urdu names (EWAZ عوض, NAZIR نذیر), THA is S (USMAN عثمان):
#: a name with one of them is read both ways
_PERSIAN_LETTERS = {**_ABJAD_LETTERS, "ض": "z", "ذ": "z", "ث": "s"}
_PERSIAN_SOUNDS = frozenset("ضذث")
#: a final HEH after a consonant is the vowel A or E in Persian and Urdu (زاده ZADA, جمعه JUMA);
#: after a long vowel or LAM it is a letter (شاه SHAH, الله ALLAH)
_SILENT_HEH = re.compile("[^\\s\u0627\u0648\u064a\u06cc\u0644]\u0647(?=\\s|$)")  # not after ALEF WAW YEH LAM
_ARTICLE = "ال"
_TEH = "ت"
_ABU = "ابو"
_ALEFS = frozenset("اأإآ")
#: titles as names written in Arabic script carry them, dropped as their Latin forms are (Dr.,
#: Haji, Mullah, Mawlawi, Maulana, Ustadh); SHAYKH stays, a word of some names (KHALID SHAIKH
#: MOHAMMED), as does SAYYID
_ABJAD_TITLES = frozenset(
    "الدكتور دكتور الحاج حاجي حاجی ملا مولوي مولوی مولانا الأستاذ الاستاذ استاذ".split()
)
#: AMR, written with a WAW no one says, which is all that tells it from OMAR (عمر): the same M R
_AMR = "عمرو"


def _abjad_consonants(text: str, persian: bool = False, silent_heh: bool = False, construct: bool = False) -> str:
    """An Arabic or Hebrew name in the consonants its Latin forms share; the article and "Abd"
    before it cut off as their own words (عبدالخالق is ABD AL-KHALIQ); titles left out. Persian:
    the letters and final HEH read as Persian and Urdu say them (_PERSIAN_LETTERS, _SILENT_HEH);
    silent_heh: the final HEH so read, the letters not; construct: a TEH MARBUTA read T where
    _CONSTRUCT says."""
    letters = _PERSIAN_LETTERS if persian else _ABJAD_LETTERS
    words: list[str] = []
    # NFKC: the presentation forms some sources write (ﻤﺤﻤﺪ for محمد) are the letters themselves
    written = unicodedata.normalize("NFKC", text)
    if construct:
        written = _CONSTRUCT.sub(lambda found: found.group()[:-1] + _TEH, written)
    for word in written.split():
        if word in _ABJAD_TITLES:
            continue
        if len(word) > 5 and word[0] in _ALEFS and word[1:3] == "بو":  # أبوغيث is ABU GHAITH (joined
            words.append(_ABU)  # again where a listed name has it as one word, ABUBAKAR)
            word = word[3:]
        if word.startswith("عبد" + _ARTICLE) and len(word) > 5:
            words += ["عبد", _ARTICLE, word[5:]]
        elif word.startswith(_ARTICLE) and len(word) > 3:
            words += [_ARTICLE, word[2:]]
        else:
            words.append(word)
    latin = []
    for word in words:
        if word == _ARTICLE:
            latin.append("al")
            continue
        if word == _AMR:
            latin.append("amr")  # its silent WAW tells it from OMAR (see normalize.consonants)
            continue
        # a final HE is most often the vowel E or A (משה is MOSHE), as a Persian final HEH may be
        if word.endswith("ה") or ((persian or silent_heh) and _SILENT_HEH.search(word)):
            word = word[:-1]
        latin.append("".join(letters.get(char, "" if script_of(char) in ABJADS else char) for char in word))
    return " ".join(word for word in latin if word)


@lru_cache(maxsize=50_000)
def construct_reading(text: str) -> str | None:
    """An organisation's name in Arabic script read with the TEH MARBUTA of its constructs said T
    (see _CONSTRUCT: جماعة حماة الدعوة is DJAMAT HOUMAT DAAWA), None when it has none. Not a
    person's: a given name before the father's is no construct (عزة محمود is AZZA MAHMUD, not
    IZZAT)."""
    if not is_abjad(text) or not _CONSTRUCT.search(text):
        return None
    return _ascii(_abjad_consonants(text, construct=True))


def is_abjad(text: str) -> bool:
    return not text.isascii() and bool(scripts_in(text) & ABJADS)
