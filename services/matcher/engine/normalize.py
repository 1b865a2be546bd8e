"""Turn a name into the tokens the index and the scorer compare.

Both sides (watchlist names and screened names) go through the same steps, so every variation
that normalisation removes — case, accents, punctuation, other scripts, word order, legal forms,
vessel prefixes, Spanish particles — can never cost a match.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne
from rigour.names import (
    NameTypeTag,
    SymbolCategory,
    analyze_names,
    remove_obj_prefixes,
    remove_org_types,
    remove_person_prefixes,
)
from rigour.text import metaphone

from services.matcher.engine.scripts import COUNTRY_NAMES, construct_reading, is_abjad, latin_readings, scripts_in
from services.shared.models.common import EntityKind

# Particles carry no identity: "DE LA CRUZ" and "CRUZ" are the same surname on a manifest.
PARTICLES: frozenset[str] = frozenset(
    {"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "du", "van", "von",
     "der", "den", "the", "of", "and", "for"}
)
# Words so common in company names that a match on them says almost nothing, however rare they
# happen to be in a small list (IDF alone cannot know that in a list of a hundred entries).
GENERIC_WORDS: frozenset[str] = frozenset(
    """trading trade international internacional global group grupo services servicios service shipping
    marine maritime holding holdings company compania enterprises enterprise industries industrias industrial
    investments inversiones investment import export importadora exportadora general logistics logistica
    solutions soluciones transport transportes transportation distribuidora comercializadora comercial
    commercial corporacion corporation sociedad associates asociados partners management consulting
    development desarrollos construction constructora foundation fundacion bank banco financial finance
    technologies technology systems agency agencia network world worldwide national nacional united unidos
    capital resources energy oil gas petroleum line lines airlines air cargo freight express supply
    supplies products productos imports exports limited agro engineering ingenieria construcciones mining
    minera textiles textil pharmaceutical pharmaceuticals chemical chemicals electronics electric motors
    automotive naviera aviation travel tours turismo hotel hotels foods alimentos agricola agropecuaria
    farms fishing pesquera metals steel cement power telecom communications media security seguridad
    consultores consultants contractors equipment machinery plastics printing medical health salud
    pharmacy farmacia drogueria distribution distributors wholesale retail stores realty properties
    inmobiliaria developers ventures assets insurance seguros exchange cambios manufacturing fabrica
    factory industrial industrias electronica tecnologia technologies petrochemical petrochemicals industry
    navigation metal tech electronic production offshore jewellery tourism business""".split()
)
try:  # the lists behind remove_person_prefixes and remove_obj_prefixes; without them every name
    # goes through rigour's regexes
    from rigour._core import obj_name_prefixes_list, person_name_prefixes_list

    _PERSON_PREFIXES: tuple[str, ...] = tuple(prefix.lower() for prefix in person_name_prefixes_list())
    _OBJ_PREFIXES: tuple[str, ...] = tuple(prefix.lower() for prefix in obj_name_prefixes_list())
except ImportError:  # pragma: no cover - rigour moved them
    _PERSON_PREFIXES = _OBJ_PREFIXES = ()

# Titles that rigour's prefix list misses when they are not at the head ("AL ZAWAHIRI, Dr. Ayman",
# "GUZMAN, General Joaquin"): a manifest adds them, a list leaves them out, or the other way round.
PERSON_TITLES: frozenset[str] = frozenset(
    """dr mr mrs ms sr sra srta lic ing gen general col colonel capt captain cmdr commander maj major lt sgt
    sheikh shaykh sheik haji hajji alhaji mullah maulana mawlawi mawlavi prof sir rev""".split()
)

# Honorifics that lists also write as a given name ("NOOR, Haji Mohammad"; "HAJI SHAHBAZ"): a person's
# name holding one is also read with it kept, so that HAJI NOOR is that name with a given name left
# out, as it would be without the honorific, and not the lone word NOOR.
NAME_HONORIFICS: frozenset[str] = frozenset(
    "sheikh shaykh sheik haji hajji alhaji mullah maulana mawlawi mawlavi".split()
)
_TITLES_NOT_NAMES = PERSON_TITLES - NAME_HONORIFICS
# ...each kept in one spelling, since a title is matched only as written (see index.expand)
_HONORIFIC_SPELLINGS = {"hajji": "haji", "alhaji": "haji", "shaykh": "sheikh", "sheik": "sheikh", "mawlavi": "mawlawi"}
# each spelling's spellings, in a fixed order (a set's would follow the hash seed)
_HONORIFIC_FORMS: dict[str, tuple[str, ...]] = {
    spelling: tuple(
        sorted(other for other in NAME_HONORIFICS if _HONORIFIC_SPELLINGS.get(other, other) == form)
    )
    for spelling in NAME_HONORIFICS
    for form in [_HONORIFIC_SPELLINGS.get(spelling, spelling)]
}


def honorific_spellings(token: str) -> tuple[str, ...]:
    """Every spelling of the honorific `token`, itself included (HAJI: HAJJI, ALHAJI); () for another word."""
    return _HONORIFIC_FORMS.get(token, ())

# Legal forms that rigour's org-type list leaves in place (it knows "S.A." but not "S A" once
# punctuation is gone, nor the English "CO"/"CORP" family). Removed from the end of a name only,
# since "CO" or "SA" inside a name may be a real word.
_TRAILING_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(form.split())
            for form in (
                "s a de c v", "sa de cv", "sade cv", "s c de r l de c v", "s de p r de r l de c v", "s de p r de r l",
                "s c de r l", "s c de c v", "s c", "a c", "s p r de r l", "s de r l de c v", "s de rl de cv",
                "s de r l", "s a s", "sas",
                "s a", "sa", "s c", "s en c", "s en c s", "ltda", "ltd", "limitada", "limited", "llc",
                "l l c", "inc", "incorporated", "co", "co ltd", "corp", "corporation", "company", "cia",
                "compania", "gmbh", "ag", "bv", "b v", "nv", "n v", "plc", "srl", "s r l", "sarl",
                "e i r l", "eirl", "cia ltda", "sa de cv", "sapi de cv", "s a p i de c v", "fze", "fzco",
                "fz llc", "dmcc", "lp", "l p", "llp", "jsc", "ojsc", "pjsc", "cjsc", "ooo", "zao", "oao", "pao", "ao",
                "tov",
                # the long forms, in several languages: cut whole, never in half ("... Joint Stock
                # Company" used to lose "company" here and keep "joint stock")
                "limited liability company", "limited liability co", "limited liability partnership",
                "limited partnership", "joint stock company", "open joint stock company",
                "closed joint stock company", "public joint stock company", "private joint stock company",
                "joint stock co", "public limited company", "private limited company", "company limited",
                "co limited", "corporation limited", "public company limited", "pte ltd", "pvt ltd",
                "private limited", "sdn bhd", "aktiengesellschaft", "gesellschaft mit beschrankter haftung",
                "sociedad anonima", "sociedad anonima de capital variable", "sociedad de responsabilidad limitada",
                "sociedad de responsabilidad limitada de capital variable", "sociedad por acciones simplificada",
                "sociedade anonima", "sociedade limitada", "societe anonyme", "societe a responsabilite limitee",
                "naamloze vennootschap", "besloten vennootschap", "s p a", "spa", "s r o", "sp z o o",
                "societa a responsabilita limitata", "societa per azioni", "societa in accomandita semplice",
                "societe anonyme libanaise", "sal", "s a l", "societe par actions simplifiee",
                "societe en nom collectif", "sociedad limitada", "sociedad en comandita", "eireli",
                "free zone company", "free zone establishment", "free zone llc", "private ltd", "pvt limited",
                "pty ltd", "proprietary limited", "sendirian berhad", "berhad", "bhd", "anonim sirketi",
                "limited sirketi", "kommanditgesellschaft", "kabushiki kaisha", "oy", "oyj", "aps", "kft", "doo",
                "d o o",
                "obshchestvo s ogranichennoy otvetstvennostyu", "aktsionernoe obshchestvo",
                "zakrytoe aktsionernoe obshchestvo", "otkrytoe aktsionernoe obshchestvo",
                "publichnoe aktsionernoe obshchestvo",
            )
        ),
        key=len,
        reverse=True,
    )
)

#: words a name drops when normalised (particles, titles, one-word legal forms): a word run into one
#: of them (AGUILACLTDA, LAMCANDELARIA) is cut from it and the dropped word left out
DROPPED_WORDS: frozenset[str] = (
    PARTICLES | PERSON_TITLES | {form[0] for form in _TRAILING_LEGAL_FORMS if len(form) == 1}
)
#: ...and those a manifest runs into the next or the last word with no letter for the space: the
#: articles and prepositions that begin a name (LAEMPRESA, DOSSANTOS) and the legal forms of three
#: letters or more that end one (SONSLTD); not English AND, OF, FOR, THE (FORTUNA is no FOR TUNA),
#: nor SA or CO, which end too many words (MARISA, TOBACCO)
JOINED_PARTICLES: frozenset[str] = PARTICLES - {"and", "for", "of", "the", "e", "y"}
JOINED_LEGAL_FORMS: frozenset[str] = frozenset(
    form[0] for form in _TRAILING_LEGAL_FORMS if len(form) == 1 and len(form[0]) >= 3
)
_LEGAL_FORMS_BY_LAST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _form in _TRAILING_LEGAL_FORMS:  # longest first, as above
    _LEGAL_FORMS_BY_LAST_WORD.setdefault(_form[-1], []).append(_form)
# The letters of each legal form of two words or more, run together: a manifest groups the letters of
# S. DE P.R. DE R.L. DE C.V. otherwise (S DE PR DE RL DE CV) once the dots are gone
_LEGAL_FORM_LETTERS: frozenset[str] = frozenset("".join(form) for form in _TRAILING_LEGAL_FORMS if len(form) >= 2)
_LEGAL_FORM_PIECE = 3  # the longest piece of such a form's letters (RL, CV, LTD)

# Long legal-form words that manifests mistype ("LIMTED", "COMPNAY"): a trailing word within one
# or two edits of one of these is still a legal form.
_FUZZY_LEGAL_WORDS: tuple[str, ...] = (
    "limited", "company", "corporation", "incorporated", "limitada", "sociedad", "anonima", "compania",
)
# ...but real words as close to them are no typos: a name ending with one keeps it (ISLAMIC REGIONAL
# COOPERATION, CENTRAL COMMAND, NUESTRA SENORA DE LA SOLEDAD, TECNOLOGIA OPTIMA CORPORATIVA)
_WORDS_NEAR_LEGAL_WORDS = frozenset(
    {"cooperation", "command", "companion", "soledad", "antonia", "romania", "corporativa", "corporativo"}
)

_APOSTROPHES = re.compile(r"['’`´‘ʿʾ]")
# "ACME TRADING (PANAMA)", "(BRANCH)", "(SUCURSAL COLOMBIA)": the branch of a listed company is the
# company, and lists and manifests add or leave out where it is
_BRANCH_WORDS = "branch|sucursal|filial|representative office|oficina de representacion|office"
_COUNTRIES = "|".join(map(re.escape, COUNTRY_NAMES))
_BRANCH = re.compile(
    r"\((?:(?:" + _BRANCH_WORDS + r")\b[^)]*|[^)]*\b(?:" + _BRANCH_WORDS + r")|" + _COUNTRIES + r")\)", re.IGNORECASE
)
# ...and the same at the end of a name without brackets ("MAGUS HOLDING LLC SUCURSAL PANAMA",
# "KANILAI GROUP SINGAPORE BRANCH")
_TRAILING_BRANCH = re.compile(
    r"\s+(?:(?:branch|sucursal|filial)(?:\s+(?:de|en|in|of))?(?:\s+(?:" + _COUNTRIES + r"))?"
    r"|(?:" + _COUNTRIES + r")\s+(?:branch|sucursal|filial))\s*$",
    re.IGNORECASE,
)
_BRANCH_WORD = re.compile(r"branch|sucursal|filial", re.IGNORECASE)
_CAMEL_CASE = re.compile(r"([a-z]{2,})([A-Z][a-z])")
#: matches where _CAMEL_CASE does (two lower-case letters are the end of a run of two or more)
_CAMEL_CASE_SEEN = re.compile(r"[a-z]{2}[A-Z][a-z]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# the same as _NON_ALNUM on ASCII text, which is what names are once transliterated, and faster (a
# table of bytes: str.translate looks each character up in a dict); bytes past ASCII never come
_ASCII_NON_ALNUM_TO_SPACE = bytes(
    [code if code < 128 and chr(code).isalnum() and not chr(code).isupper() else ord(" ") for code in range(256)]
)


def _latin_lower(text: str) -> tuple[str, ...]:
    """The name in lower-case ASCII, once per reading of its script (see scripts.latin_readings):
    one index serves every script a manifest may use."""
    if text.isascii():
        # most names: the same steps with substring checks instead of regexes, which cost more
        # than the rest of the name's normalisation
        if "'" in text or "`" in text:
            text = _APOSTROPHES.sub("", text)
        return _ascii_latin_lower(text)
    return _latin_lower_any_script(text)


def _latin_lower_any_script(text: str) -> tuple[str, ...]:
    """_latin_lower of a name in any script (the same as _ascii_latin_lower's on ASCII)."""
    text = _APOSTROPHES.sub("", text)
    if "(" in text:
        text = _BRANCH.sub(" ", text)
    if _BRANCH_WORD.search(text):
        text = _TRAILING_BRANCH.sub("", text)
    if _has_camel_case(text):
        return _camel_case_readings(text)
    # a branch written with accents (AFGHANISTÁN BRÁNCH, (ÚSA)) is one in each reading's letters
    return tuple(_without_branch(reading)[1] for reading in latin_readings(text))


def _ascii_latin_lower(text: str) -> tuple[str, ...]:
    """_latin_lower of an ASCII name without apostrophes."""
    text, lower = _without_branch(text)
    if _has_camel_case(text):
        return _camel_case_readings(text)
    return (lower,)  # its one reading, without filling latin_readings' cache with it


def _without_branch(text: str) -> tuple[str, str]:
    """An ASCII name without the branch it names (see _BRANCH and _TRAILING_BRANCH), as written and
    in lower case (lowered once: every new name passes here)."""
    if "(" in text:
        text = _BRANCH.sub(" ", text)
    lower = text.lower()
    # on ASCII text, the same test as _BRANCH_WORD's (a case-blind regex)
    if "branch" in lower or "sucursal" in lower or "filial" in lower:
        text = _TRAILING_BRANCH.sub("", text)
        lower = text.lower()
    return text, lower


def _has_camel_case(text: str) -> bool:
    # a name in one case has no capital inside a word; _CAMEL_CASE_SEEN finds what _CAMEL_CASE
    # does without its backtracking over every run of lower-case letters
    return not text.isupper() and not text.islower() and _CAMEL_CASE_SEEN.search(text) is not None


def _camel_case_readings(text: str) -> tuple[str, ...]:
    # JoaquinGuzman: the capital letters say where the words are, and lower case forgets it. But a
    # capital inside a word is as often a typo in a name typed in mixed case (DongPmig for
    # Dongming): the name is also read as written, one word.
    split = _CAMEL_CASE.sub(r"\1 \2", text)
    return tuple(dict.fromkeys([reading.lower() for reading in (*latin_readings(split), *latin_readings(text))]))


def _ascii_lower(text: str) -> str:
    return _latin_lower(text)[0]


#: shorter words are too near too many others to be taken for a mistyped legal form
_SHORTEST_FUZZY_LEGAL_WORD = 6


@lru_cache(maxsize=50_000)
def _is_fuzzy_legal_word(token: str) -> bool:
    if len(token) < _SHORTEST_FUZZY_LEGAL_WORD or token in _WORDS_NEAR_LEGAL_WORDS:
        return False
    limit = 1 if len(token) < 7 else 2
    return extractOne(token, _FUZZY_LEGAL_WORDS, scorer=OSA.distance, score_cutoff=limit) is not None


def _strip_trailing_legal_forms(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for form in _LEGAL_FORMS_BY_LAST_WORD.get(tokens[-1], ()):
            if len(form) < len(tokens) and tuple(tokens[-len(form):]) == form:
                tokens = tokens[: -len(form)]
                changed = True
                break
        else:
            if len(tokens[-1]) >= _SHORTEST_FUZZY_LEGAL_WORD and _is_fuzzy_legal_word(tokens[-1]):
                tokens = tokens[:-1]
                changed = True
            elif len(tokens[-1]) <= _LEGAL_FORM_PIECE and (regrouped := _regrouped_legal_form(tokens)):
                tokens = tokens[:-regrouped]
                changed = True
    return tokens


#: the legal forms' words and their starts of two letters or more: what a name cut in its legal form
#: may end with (see cut_legal_form)
_LEGAL_FORM_STARTS: frozenset[str] = frozenset(
    word[:end] for form in _TRAILING_LEGAL_FORMS for word in form for end in range(min(2, len(word)), len(word) + 1)
)


def cut_legal_form(tokens: tuple[str, ...]) -> int:
    """How many of a name's last tokens are a legal form cut short, at least one token left before
    them: its first words, the last of them cut (PRIVATE LIMI, CO LIMIT, COM) or two whole words or
    more short of the form (OPEN JOINT STOCK): where a name cut at a field's width ended; 0 if none."""
    if tokens[-1] not in _LEGAL_FORM_STARTS:  # most names: no legal form ends them, cut or not
        return 0
    longest = 0
    for form in _TRAILING_LEGAL_FORMS:
        for count in range(min(len(form), len(tokens) - 1), longest, -1):
            tail = tokens[-count:]
            if tail[:-1] != form[: count - 1]:
                continue
            word, last = form[count - 1], tail[-1]
            if (last != word and len(last) >= 2 and word.startswith(last)) or (last == word and 2 <= count < len(form)):
                longest = count
                break
    return longest


def _regrouped_legal_form(tokens: list[str]) -> int:
    """How many of the last tokens, short all of them, spell a legal form's letters grouped otherwise
    (S DE PR DE RL DE CV), the most first, at least one token left; 0 if none do."""
    short = 0
    while short < len(tokens) - 1 and len(tokens[-1 - short]) <= _LEGAL_FORM_PIECE:
        short += 1
    for count in range(short, 1, -1):
        if "".join(tokens[-count:]) in _LEGAL_FORM_LETTERS:
            return count
    return 0


def _prefixes_by_head(prefixes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The prefixes by their first _PREFIX_HEAD characters: a name can only start with those
    sharing its own first characters (startswith with all of them tries each in turn)."""
    by_head: dict[str, tuple[str, ...]] = {}
    for prefix in prefixes:
        by_head[prefix[:_PREFIX_HEAD]] = (*by_head.get(prefix[:_PREFIX_HEAD], ()), prefix)
    return by_head


_PREFIX_HEAD = min(map(len, _PERSON_PREFIXES + _OBJ_PREFIXES), default=1)
_PERSON_PREFIXES_BY_HEAD = _prefixes_by_head(_PERSON_PREFIXES)
_OBJ_PREFIXES_BY_HEAD = _prefixes_by_head(_OBJ_PREFIXES)


def _remove_person_prefixes(text: str) -> str:
    # rigour's regex tries each of its prefixes at the head of the name, which costs more than
    # most of the rest; most names start with none of them, and then it would remove nothing
    prefixes = _PERSON_PREFIXES_BY_HEAD.get(text[:_PREFIX_HEAD], ())
    if _PERSON_PREFIXES and text[:1].isalnum() and not text.startswith(prefixes):
        return text
    return remove_person_prefixes(text)


def _remove_obj_prefixes(text: str) -> str:
    prefixes = _OBJ_PREFIXES_BY_HEAD.get(text[:_PREFIX_HEAD], ())
    if _OBJ_PREFIXES and text[:1].isalnum() and not text.startswith(prefixes):
        return text
    return remove_obj_prefixes(text)


def _words(text: str) -> list[str]:
    """The runs of lower-case letters and digits in text."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_NON_ALNUM_TO_SPACE).decode("ascii").split()
    return _NON_ALNUM.sub(" ", text).split()


def ends_with_word(name: str, token: str) -> bool:
    """Whether a name written in Latin letters ends with this token as written, before a branch or a
    legal form the tokens leave out: where a name cut short at a field's width was cut."""
    if name.isascii():  # most names, without the normalisation (the token is lower case)
        end = len(name.rstrip(_TRAILING_MARKS))
        start = end - len(token)
        if start < 0 or name[start:end].lower() != token:
            return False
        return start == 0 or not name[start - 1].isalnum()
    if scripts_in(name):
        return False
    words = _words(_APOSTROPHES.sub("", latin_readings(name)[0]).lower())
    return bool(words) and words[-1] == token


#: what a reader may leave at the end of a name cut short: a stop, a comma, a bracket, a quote...
_TRAILING_MARKS = " .,;:-_/&()[]'\"`"


def is_person_kind(kind: EntityKind) -> bool:
    return kind is EntityKind.PERSON


@lru_cache(maxsize=200_000)
def name_tokens(name: str, kind: EntityKind = EntityKind.UNKNOWN) -> tuple[str, ...]:
    """The comparable tokens of a name's usual reading (see name_readings)."""
    readings = name_readings(name, kind)
    return readings[0] if readings else ()


@lru_cache(maxsize=200_000)
def name_readings(
    name: str, kind: EntityKind = EntityKind.UNKNOWN, listed: bool = False
) -> tuple[tuple[str, ...], ...]:
    """The comparable tokens of a name, without particles, titles, legal forms or vessel prefixes,
    once per reading of its script (one for a name in Latin letters); empty readings left out.
    listed: the name is a watchlist's (see _person_readings).

    Persons and everything else are normalised differently (rigour's org-type list would eat
    person names such as "YU" or "SA"); an UNKNOWN kind is normalised as an entity here, and the
    engine screens an unknown query both ways.
    """
    if is_abjad(name):
        return _abjad_readings(name, entity=not is_person_kind(kind))
    if is_person_kind(kind):
        readings = [reading for text in _latin_lower(name) for reading in _person_readings(text, listed=listed)]
    else:
        readings = [_entity_tokens(text) for text in _latin_lower(name)]
    return tuple(dict.fromkeys([reading for reading in readings if reading]))


def _abjad_readings(name: str, entity: bool) -> tuple[tuple[str, ...], ...]:
    """The words of each reading of a name written in Arabic or Hebrew, all of them, for any kind:
    no Latin title, prefix or legal form is written in those letters, and their consonants would
    take real names for one (OMAR and AMIR are M R, the title MR). entity: an organisation's or a
    vessel's, read with its constructs too (see scripts.construct_reading)."""
    texts = _latin_lower(name)
    if entity and (construct := construct_reading(name)) is not None:
        texts = (*texts, construct.lower())
    return tuple(dict.fromkeys([words for text in texts if (words := tuple(_words(text)))]))


def _person_readings(text: str, words: list[str] | None = None, listed: bool = False) -> list[tuple[str, ...]]:
    """A person's tokens without titles; then, when the name holds an honorific that lists also write
    as a given name, its tokens with the honorific kept. A listed name is read so only when two words
    at least stay beside the honorific: the alias AHMAD HAJI would otherwise be a two-word name that
    every Haji Ahmad holds whole. words: text's words, when the caller has them already."""
    kept = _remove_person_prefixes(text) or text
    if words is None or kept is not text:
        words = _words(kept)
    if PERSON_TITLES.isdisjoint(words):  # most names hold no title: no copy of their words
        return [_without_particles(_arabic_forms(words))]
    readings = [_without_particles(_arabic_forms([token for token in words if token not in PERSON_TITLES]))]
    if not NAME_HONORIFICS.isdisjoint(words) and (not listed or len(readings[0]) >= 2):
        named_words = [_HONORIFIC_SPELLINGS.get(token, token) for token in words if token not in _TITLES_NOT_NAMES]
        named = _without_particles(_arabic_forms(named_words))
        if named != readings[0]:
            readings.append(named)
    return readings


# Romanised Arabic names shorten MUHAMMAD (MOHD, MOHMED): written out on both sides, the
# abbreviations cost nothing
_MUHAMMAD_FORMS = frozenset({"mohd", "muhd", "mohmd", "mohmed", "mohmad", "muhmad"})


def _arabic_forms(tokens: list[str]) -> list[str]:
    """The tokens with MUHAMMAD's abbreviations written out."""
    if _MUHAMMAD_FORMS.isdisjoint(tokens):
        return tokens
    return ["muhammad" if token in _MUHAMMAD_FORMS else token for token in tokens]


#: ABD (servant of) alone or with its article joined (ABDUL KHALIQ, ABD AL-KHALIQ, ABDEL KHALIQ): each
#: stands for the others in the index (the article left over, when written apart, weighs little).
#: Not one form written for the others: a lone ABD ('ABD KHALAF for 'ABD AL-RAHMAN KHALAF) would
#: lose its match, and ABDUL the typos and run-in words it is found through.
ABD_SPELLINGS = frozenset({"abd", "abdul", "abdel", "abdal", "abdil", "abdol"})


def _entity_tokens(text: str, words: list[str] | None = None) -> tuple[str, ...]:
    """words: text's words, when the caller has them already."""
    kept = _remove_obj_prefixes(text) or text
    if words is None or kept is not text:
        words = _words(kept)
    tokens = _strip_trailing_legal_forms(words)
    # rigour's org-type list covers forms in many languages anywhere in the name
    # (OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU, OAO, GMBH...)
    stripped = remove_org_types(" ".join(tokens)).split()
    # ...but not when that leaves nothing distinctive ("YU SON" is a vessel, not a "YU" company)
    if len(stripped) >= 2 or any(len(token) >= 4 for token in stripped):
        tokens = stripped
    return _without_particles(_initials_joined(tokens))


def _initials_joined(tokens: list[str]) -> list[str]:
    """A.B.C. and ABC are the same company: a run of single letters is one word."""
    if list(map(len, tokens)).count(1) < 2:  # counted without a Python loop
        return tokens
    joined: list[str] = []
    run = ""
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run += token
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(token)
    if run:
        joined.append(run)
    return joined


def _without_particles(tokens: list[str]) -> tuple[str, ...]:
    if PARTICLES.isdisjoint(tokens):  # set operations run in C, a comprehension in Python
        return tuple(tokens)
    kept = [token for token in tokens if token not in PARTICLES]
    return tuple(kept or tokens)


# Legal forms that never end a person's name. Short ones (S.A., CO, AG, CIA...) are left out: they
# may be a person's initials or a surname (KIM SA, LE CO).
# ...nor the forms that are also surnames (PAO YU YI, ZAO WEI) or given names
_SURNAME_LIKE_FORMS = {(form,) for form in ("cia", "sas", "pao", "zao", "tov", "spa", "ao", "oao", "ooo")}
_ORGANISATION_ENDINGS: dict[str, list[tuple[str, ...]]] = {}
for _form in _TRAILING_LEGAL_FORMS:
    if (len(_form) >= 3 or any(len(word) >= 3 for word in _form)) and _form not in _SURNAME_LIKE_FORMS:
        _ORGANISATION_ENDINGS.setdefault(_form[-1], []).append(_form)


def names_an_organisation(name: str) -> bool:
    """Whether the name ends with a legal form no person's name ends with (LLC, LTDA, S.A. DE C.V.)."""
    return _ends_like_an_organisation(_words(_ascii_lower(name)))


def _ends_like_an_organisation(words: list[str]) -> bool:
    if not words:
        return False
    endings = _ORGANISATION_ENDINGS.get(words[-1], ())
    return bool(endings) and any(len(form) < len(words) and tuple(words[-len(form) :]) == form for form in endings)


@lru_cache(maxsize=100_000)
def unknown_kind_readings(name: str) -> list[tuple[tuple[str, ...] | None, tuple[str, ...]]]:
    """A name of a party of unknown kind read as a person's and as an entity's, per reading of its
    script; the person reading is None when the name ends like an organisation's (see
    names_an_organisation)."""
    readings: list[tuple[tuple[str, ...] | None, tuple[str, ...]]] = []
    if is_abjad(name):  # read alike for every kind, but for an entity's constructs
        persons = _abjad_readings(name, entity=False)
        readings += [(tokens, tokens) for tokens in persons]
        return readings + [(None, tokens) for tokens in _abjad_readings(name, entity=True) if tokens not in persons]
    for text in _latin_lower(name):
        words = _words(text)
        entity = _entity_tokens(text, words)
        if _ends_like_an_organisation(words):
            if entity:
                readings.append((None, entity))
            continue
        for person in _person_readings(text, words):
            if entity or person:
                readings.append((person, entity))
    return readings


def lone_word(tokens: tuple[str, ...], is_person: bool) -> str | None:
    """The word a one-word query may match a listed name on: its only word, or a company's only
    distinctive word (ANDES in ANDES ENGINEERING: a company filed without its descriptive words), of
    three letters at least (NPV in NPV ENGINEERING; a short one must be matched exactly, see
    scoring.compare_tokens)."""
    if len(tokens) == 1:
        return tokens[0]
    if is_person:
        return None
    distinctive = [token for token in tokens if not generic(token)]
    return distinctive[0] if len(distinctive) == 1 and len(distinctive[0]) >= 3 else None


@lru_cache(maxsize=200_000)
def phonetic_key(token: str) -> str:
    """A sound-alike key so transliteration variants (MOHAMMED / MUHAMMAD, JOSEF / YOSEF) meet.

    Metaphone is tuned for English spelling; digits and very short tokens keep their own spelling
    because a sound key of two letters matches far too much.
    """
    if len(token) < 4 or not token.isalpha():
        return token
    key = metaphone(token)
    return key if len(key) >= 2 else token


#: letters romanisations write for one sound at the end of a word (TARIQ / TAREK, SHAFIQ / CHAFIK)
_FINAL_SOUNDS = str.maketrans("qc", "kk")


def same_final_sound(left: str, right: str) -> bool:
    """Whether two words end on the same letter, or on letters that stand for one sound."""
    return left[-1:].translate(_FINAL_SOUNDS) == right[-1:].translate(_FINAL_SOUNDS)


_FOLDS = (
    ("ph", "f"), ("kh", "k"), ("gh", "g"), ("dj", "j"), ("w", "v"), ("y", "i"), ("ou", "u"), ("ee", "i"), ("oo", "u"),
)  # fmt: skip


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Spelling fold for romanisation variants (ALY/ALI, KWAI/KVAI, HUSSEIN/HUSEIN, YOUSEF/YUSEF, the
    French DJ for J: DJIBRIL/JIBRIL), and for a plural in -IES, three letters from its singular, too
    far for a typo (INDUSTRIES / INDUSTRY, COMPANIES / COMPANY: a firm's own name filed in the other
    number)."""
    if not token.isalpha():
        return token
    if len(token) > 5 and token.endswith("ies"):
        token = token[:-2]  # then Y and I fold alike
    for old, new in _FOLDS:
        token = token.replace(old, new)
    out: list[str] = []
    for char in token:
        if not out or char != out[-1]:
            out.append(char)
    folded = "".join(out)
    # Slavic names: YEVGENIY / EVGENIY / EVGENII, YELENA / ELENA (a Cyrillic E at the head of a word)
    return folded[1:] if folded.startswith("ie") and len(folded) > 4 else folded


_VOWEL_MASK = str.maketrans("aeiou", "*****")
#: consonants a word needs for its vowels to vary: with fewer, the vowels are most of the name
_MIN_MASK_CONSONANTS = 3


def vowel_mask(token: str) -> str | None:
    """The word with each vowel letter a star (ISMAILI and ESMAELI are *SM**L*): the words written
    with the same consonants in the same places; None for a word of other characters, or of fewer
    than three consonants."""
    if not (token.isascii() and token.isalpha()):
        return None
    mask = token.translate(_VOWEL_MASK)
    return mask if len(mask) - mask.count("*") >= _MIN_MASK_CONSONANTS else None


_ABJAD_VOWELS = str.maketrans("", "", "aeiouyw")
#: AMR in Latin letters (عمرو); OMAR and UMAR (عمر) are M R
_AMR_FORMS = frozenset({"amr", "amru", "amro", "amrou"})
#: DJ is the French J (DJAMEL, جمال); GH is G too (AG GHALI: اغ), DH is D too (ROMDHANE: رمضان)
_CONSONANT_FOLDS = (
    ("dj", "j"), ("kh", "k"), ("ch", "k"), ("gh", "g"), ("dh", "d"), ("ph", "p"), ("f", "p"), ("v", "b"), ("q", "k"),
)  # fmt: skip


@lru_cache(maxsize=200_000)
def consonants(token: str) -> str:
    """The consonants of a word, as Arabic and Hebrew write names: ABDUL RAHMAN and عبد الرحمن
    meet as BDL RHMN. Q and K are one letter here (QASIM, KASSEM). AMR, whose Arabic spelling
    alone tells it from OMAR and UMAR, has consonants of its own."""
    if not token.isalpha():
        return token
    if token in _AMR_FORMS:
        return "mrw"
    out: list[str] = []
    # the letters whose Latin forms vary: KH/K/CH, PH/F/P, V/B (Hebrew's BET and PE have both sounds)
    for old, new in _CONSONANT_FOLDS:
        token = token.replace(old, new)
    for char in token.translate(_ABJAD_VOWELS):
        if not out or char != out[-1]:
            out.append(char)
    return "".join(out)


def consonant_keys(token: str) -> tuple[str, ...]:
    """consonants(token), and for a word with CH, CE or CI the consonants read the French way too:
    CH is KH or K in German and Hebrew romanisations (and so in consonants), SH in French ones
    (CHEKKOURI is شكوري, AKKACHA عكاشة), and C before E or I is S (LOUNICI, لونيسي); TH is DHAL
    too (below). A G (or GH) is also read as the JIM Egyptian names say G (RAGAB رجب, GAMAL جمال)
    and as the QAF Gulf and Maghreb names say G (GHEDEIR قدير, GADDAFI قذافي)."""
    keys = [consonants(token)]
    if "ch" in token or "ce" in token or "ci" in token:
        keys.append(consonants(token.replace("ch", "sh").replace("ce", "se").replace("ci", "si")))
    if "th" in token:  # TH for DHAL as English says it (AL-BATHALI, البذالي), not only for THA
        keys += [consonants(token.replace("th", "dh"))]
    if "g" in keys[0]:
        keys += [key.replace("g", letter) for key in keys for letter in "jk"]
    return tuple(dict.fromkeys(keys))


#: the words of country names (KOREA, HONG KONG, REPUBLIC, UNITED): rare in a list's company names
#: though they may be, they say where a company is, not which one (see scoring.compare_tokens)
PLACE_WORDS: frozenset[str] = frozenset(
    # four letters at least: MAN (ISLE OF MAN), NAM (VIET NAM) and SEE (HOLY SEE) name no place alone
    word
    for country in COUNTRY_NAMES
    for word in _words(_ascii_lower(country))
    if len(word) >= 4 and word not in PARTICLES
)


#: what rigour's tagger of organisation names marks words as: a trade or good (DOMAIN: ELECTRIC for
#: ELECTRICITY, REALTY for REAL ESTATE), a kind of body (SYMBOL: MINISTRY, EMPRESA), a legal form (ORG_CLASS)
_DESCRIPTIVE_SYMBOLS = frozenset((SymbolCategory.DOMAIN, SymbolCategory.SYMBOL, SymbolCategory.ORG_CLASS))


@lru_cache(maxsize=20_000)
def descriptive_words(tokens: tuple[str, ...]) -> frozenset[str]:
    """The words of a company's name that say what kind of company it is or where it is (its trade,
    its goods, its kind of body, its country), not which one: GENERIC_WORDS (and their singular or
    plural), PLACE_WORDS, and the words OpenSanctions' vocabulary of organisation names (rigour's
    tagger) marks. In a list of a few thousand companies such a word may be as rare as a name
    (ELECTRICITY weighs more than GHADIR there), so its weight cannot tell."""
    described = {token for token in tokens if generic_or_place(token)}
    for name in analyze_names(NameTypeTag.ORG, [" ".join(tokens)], phonetics=False, numerics=False, rewrite=False):
        for span in name.spans:
            if span.symbol.category in _DESCRIPTIVE_SYMBOLS:
                described.update(part.form for part in span.parts)
    return frozenset(described)


def generic_or_place(token: str) -> bool:
    """Whether a word is a generic one, in the singular or the plural (TEXTILE as TEXTILES, AGENCY
    as AGENCIES), or a country's."""
    return token in _GENERIC_OR_PLACE


def generic(token: str) -> bool:
    """Whether a word is one of GENERIC_WORDS, in the singular or the plural, or in another of its
    forms (MINES as MINING: word_forms). A set lookup: scoring asks it of most words it compares."""
    return token in GENERIC_FORMS


def is_generic_form(token: str) -> bool:
    """generic() worked out: some form of the word (number_forms, word_forms) is one of GENERIC_WORDS."""
    return any(form in GENERIC_WORDS for form in (*number_forms(token), *word_forms(token)))


def number_forms(token: str) -> tuple[str, ...]:
    """The word and its other number as English writes a company's words: -S, -IES for -Y."""
    if token.endswith("ies") and len(token) > 5:
        return token, token[:-3] + "y", token[:-1]
    if token.endswith("s"):
        return token, token[:-1]
    if token.endswith("y") and len(token) > 3:
        return token, token + "s", token[:-1] + "ies"
    return token, token + "s"


#: the forms one descriptive word of a company's name takes (its trade, its kind of business), which a
#: filing may write otherwise than the list does (ORINOCO FINANCE for ORINOCO FINANCIAL, CARIBE
#: DEVELOPMENT BANK for ... BANKING CORPORATION): too far apart for a typo, the same word all the same
_WORD_FORMS: tuple[tuple[str, ...], ...] = (
    ("finance", "financial", "financing"),
    ("bank", "banking", "bankers"),
    ("industry", "industries", "industrial"),
    ("trade", "trading", "traders", "trader"),
    ("transport", "transports", "transportation"),
    ("investment", "investments", "investing"),
    ("technology", "technologies", "technological"),
    ("engineering", "engineers", "engineer"),
    ("construction", "constructions"),
    ("commerce", "commercial"),
    ("manufacturing", "manufacture", "manufacturers", "manufacturer"),
    ("electric", "electrical", "electricity"),
    ("consulting", "consultants", "consultant", "consultancy"),
    ("metal", "metals", "metallurgy", "metallurgical"),
    ("mining", "mines", "mine"),
    ("communication", "communications"),
    ("agriculture", "agricultural"),
    ("export", "exports", "exporting", "exporters", "exporter"),
    ("import", "imports", "importing", "importers", "importer"),
    ("logistic", "logistics"),
    ("insurance", "insurers"),
)
_FORMS_OF: dict[str, tuple[str, ...]] = {form: forms for forms in _WORD_FORMS for form in forms}


def word_forms(token: str) -> tuple[str, ...]:
    """The other forms of a descriptive word of a company's name (FINANCIAL for FINANCE), none for
    any other word."""
    forms = _FORMS_OF.get(token)
    return tuple(form for form in forms if form != token) if forms else ()


def _forms_to_try(word: str) -> tuple[str, ...]:
    """Every word one of whose number_forms can be `word` (a word itself, plus -S; less -S; -Y as -IES
    and back)."""
    tried = [word, word + "s", word[:-1]]
    if word.endswith("y"):
        tried.append(word[:-1] + "ies")
    if word.endswith("ies"):
        tried.append(word[:-3] + "y")
    return tuple(tried)


#: every word generic() holds generic: the words that number_forms or word_forms turn into one of
#: GENERIC_WORDS, worked out once (tests check it against is_generic_form)
GENERIC_FORMS: frozenset[str] = frozenset(
    candidate
    for word in (*GENERIC_WORDS, *_FORMS_OF)
    for candidate in _forms_to_try(word)
    if is_generic_form(candidate)
)
_GENERIC_OR_PLACE: frozenset[str] = GENERIC_FORMS | PLACE_WORDS
