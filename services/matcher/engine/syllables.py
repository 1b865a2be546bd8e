"""Korean, Chinese and Vietnamese names: short syllables spelled many ways.

RI, LI, LEE, YI and RHEE are one Korean surname; PAK, PARK and BAK another; YONG, YEONG and YOUNG
one syllable. Latin-name rules give such words nothing: they are too short for typo tolerance, and a
sound key of two letters matches everything. So a name made of such syllables, with a family name
of the region, is compared syllable by syllable through a romanisation key that forgets what the
systems disagree on (McCune-Reischauer, Revised Romanization, the DPRK's own usage, Wade-Giles
and pinyin for the commonest differences): voiced or not (G/K, D/T, B/P, J/CH), R or L, EO/O,
EU/U, a final H. What the key keeps (the vowel, the final N/NG/M) tells names apart: YANG is not
KANG, CHOL is not CHUN.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Family names of Korea, China and Vietnam in their common romanisations (a name must hold one
# of them to be read syllable by syllable: JUAN is not CHUAN).
FAMILY_NAMES: frozenset[str] = frozenset(
    """kim gim ri li lee yi rhee i pak park bak choe choi choy chwe jong jeong chong chung cheong kang gang
    han o oh sin shin so seo suh yun yoon ryu yu yoo ryoo rhyu jo cho hwang ko go koh mun moon nam no noh roh
    ryang yang ro kwon gwon kweon hong jang chang son song sun jon jeon chon chun pae bae paek baek baik ku
    koo gu u woo wu ma an ahn im lim rim om eom um chae chea ha ho kye gye myong myung na pyon byun byon
    sok seok suk sim shim tak yo yeo ryo chu joo ju wang zhang liu chen zhou xu sun zhao huang wu lin he
    guo luo zheng liang xie tang feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng
    wei su lu ding ren shen yao jin cui tan fan qian wong chan cheung chow lau leung ng tsang hsu nguyen
    tran le pham hoang huynh phan vu vo dang bui do ngo duong ly gao kao heo her sohn suen hu kuo
    chiu yeung lam tsui hui kwok leung""".split()
)
#: family names spelled in Cantonese or Wade-Giles and their pinyin (WONG is WANG, CHEUNG is ZHANG),
#: and Korean spellings no key rule reaches: compared as the name they stand for
_FAMILY_NAME_FORMS = {
    "wong": "wang", "cheung": "zhang", "chan": "chen", "suen": "sun", "lau": "liu", "chow": "zhou",
    "yeung": "yang", "tsui": "xu", "hui": "xu", "kwok": "guo", "kuo": "guo", "lam": "lin", "chiu": "zhao",
    "leung": "liang", "sohn": "son", "heo": "ho", "her": "ho",
}

_ONSETS = (
    "tch", "kk", "tt", "pp", "ss", "jj", "ch", "sh", "ts", "hs", "zh", "ng", "kh", "th", "ph", "rh",
    "k", "g", "t", "d", "p", "b", "s", "j", "h", "m", "n", "r", "l", "y", "w", "z", "x", "q", "c", "f", "",
)
_VOWELS = (
    "yeo", "yae", "wae", "weo", "you", "eui", "uai", "iao", "iou", "uei",
    "ae", "ai", "ao", "ei", "eo", "eu", "ia", "ie", "io", "iu", "oa", "oe", "oi", "ou", "ua", "ue", "ui", "uo",
    "ya", "ye", "yo", "yu", "wa", "we", "wi", "wo", "ee", "oo", "ea",
    "a", "e", "i", "o", "u", "y",
)
_CODAS = ("ng", "rk", "hn", "n", "m", "l", "k", "p", "t", "h", "r", "")
_SYLLABLE = re.compile(
    "(" + "|".join(_ONSETS[:-1]) + ")?(" + "|".join(_VOWELS) + ")(" + "|".join(_CODAS[:-1]) + ")?"
)
#: the most syllables a word of such a name holds (a joined given name: YONGHO, CHOLNAM); a word
#: of three is another language's given name that happens to parse (see is_syllabic_name)
_MAX_SYLLABLES = 2

_ONSET_KEYS = {
    "g": "k", "kk": "k", "kh": "k", "d": "t", "tt": "t", "th": "t", "b": "p", "pp": "p", "ph": "p",
    "j": "ch", "jj": "ch", "tch": "ch", "zh": "ch", "q": "ch", "c": "ts", "z": "ts", "x": "hs",
    "sh": "s", "ss": "s", "l": "r", "rh": "r",
}
_VOWEL_KEYS = {
    "eo": "o", "eu": "u", "oo": "u", "ou": "u", "ee": "i", "ea": "i", "yeo": "yo", "you": "yo", "oi": "oe",
    "weo": "wo", "y": "i", "ai": "ae", "yoo": "yu", "yi": "i", "yee": "i", "ywo": "wo", "woo": "u", "wu": "u",
}
_CODA_KEYS = {"rk": "k", "r": "l", "h": "", "hn": "n", "t": "t"}


@lru_cache(maxsize=100_000)
def syllables(word: str) -> tuple[tuple[str, str, str], ...] | None:
    """The word as romanised syllables (onset, vowel, coda), or None if it is not one."""
    found: list[tuple[str, str, str]] = []
    position = 0
    while position < len(word):
        match = _best_syllable(word, position)
        if match is None or len(found) == _MAX_SYLLABLES:
            return None
        found.append(match)
        position += sum(map(len, match))
    return tuple(found) or None


def _best_syllable(word: str, position: int) -> tuple[str, str, str] | None:
    """The syllable at position; a coda is left to the next syllable when that one needs it
    as its onset (CHOLNAM is CHOL-NAM, WONHO is WON-HO, but NAMIL is NA-MIL: the regex decides)."""
    match = _SYLLABLE.match(word, position)
    if match is None:
        return None
    onset, vowel, coda = match.group(1) or "", match.group(2), match.group(3) or ""
    end = match.end()
    if coda and end < len(word) and _SYLLABLE.match(word, end) is None:
        shorter = end - len(coda)
        if _SYLLABLE.match(word, shorter) is not None:
            coda = ""
    return onset, vowel, coda


def syllable_words(tokens: tuple[str, ...], onset_first: bool = False) -> tuple[str, ...]:
    """A syllabic name's words cut into their syllables (MANCHOON: MAN CHOON), as lists write
    most given names of the region. onset_first: a coda's last letter before a syllable that starts
    with a vowel goes to that syllable instead (DAEHUN: DAE HUN, not DAEH UN; MUNGIL: MUN GIL), the
    other way a joined name may have been cut."""
    cut: list[str] = []
    for token in tokens:
        parsed = syllables(token) if len(token) > 2 else None
        if parsed and onset_first:
            parsed = _onset_first(parsed)
        cut += ["".join(parsed_syllable) for parsed_syllable in parsed] if parsed else [token]
    return tuple(cut)


def _onset_first(parsed: tuple[tuple[str, str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    moved = list(parsed)
    for i in range(len(moved) - 1):
        (onset, vowel, coda), (next_onset, next_vowel, next_coda) = moved[i], moved[i + 1]
        if coda and not next_onset and coda[-1] in _ONSETS and coda[:-1] in _CODAS:
            moved[i], moved[i + 1] = (onset, vowel, coda[:-1]), (coda[-1], next_vowel, next_coda)
    return tuple(moved)


@lru_cache(maxsize=100_000)
def syllable_key(word: str) -> str | None:
    """What the romanisations of a syllabic word agree on; None if the word is not syllabic."""
    parsed = syllables(_FAMILY_NAME_FORMS.get(word, word))
    if parsed is None:
        return None
    keys = []
    for index, (onset, vowel, coda) in enumerate(parsed):
        if onset in ("y", "w"):  # YOUNG is Y-OU-NG to the parser, YEO-NG to a Korean
            onset, vowel = "", onset + vowel
        onset = _ONSET_KEYS.get(onset, onset)
        vowel = _VOWEL_KEYS.get(vowel, vowel)
        if (vowel == "yu" and coda == "ng") or (vowel == "u" and coda == "l" and onset == "ch"):
            vowel = "yo" if vowel == "yu" else "o"  # MYUNG, CHUL: the usual spellings of MYEONG, CHEOL
        elif vowel == "u" and coda == "ng":
            vowel = "o"  # SUNG / SONG / SEONG, HUNG / HONG: Korean and Wade-Giles UNG is ONG
        elif vowel in ("u", "yu") and coda == "k" and onset not in ("", "k", "ch"):
            # EO before K, which English spellings write U (HYUK / HYOK / HYEOK, SUK / SOK / SEOK); not
            # alone or after K or CH, where UK is a syllable of its own (UK is not OK, KUK not KOK)
            vowel = "o" if vowel == "u" else "yo"
        elif vowel == "ie" and coda == "n":
            vowel = "ia"  # CHIEN / JIAN: Wade-Giles IEN is pinyin IAN
        if index == 0 and onset == "r" and vowel[0] in "iy":
            onset = ""  # RI / LI / LEE / YI, RYU / YU: the South drops an initial R before I and Y
        keys.append(onset + vowel + _CODA_KEYS.get(coda, coda))
    return "".join(keys)


def is_syllabic_name(tokens: tuple[str, ...]) -> bool:
    """A name of the region: a family name of Korea, China or Vietnam, and every word of one or two
    syllables. A word of three is another language's given name that happens to parse (SANTINO,
    TERESA, EDWINA, ALEKSEI beside DENG, CHENG, LAU, PARK): every one of the 23 such names among
    the OFAC and UN lists' 633 that pass otherwise. Their Latin words keep the typo tolerance
    syllables do without (WUOL for WOL)."""
    return (
        len(tokens) >= 2
        and not FAMILY_NAMES.isdisjoint(tokens)  # in C: most names screened hold no such name
        and all(len(token) <= 12 and syllables(token) is not None for token in tokens)
    )
