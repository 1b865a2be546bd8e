"""Turn a name into the tokens the index and the scorer compare.

Both sides (watchlist names and screened names) go through the same steps, so every variation
that normalisation removes — case, accents, punctuation, other scripts, word order, legal forms,
vessel prefixes, Spanish particles — can never cost a match.
"""

from __future__ import annotations

import re
from functools import lru_cache

from normality import ascii_text
from rigour.names import remove_obj_prefixes, remove_org_types
from rigour.text import metaphone

from services.shared.models.common import EntityKind

# Particles carry no identity: "DE LA CRUZ" and "CRUZ" are the same surname on a manifest.
PARTICLES: frozenset[str] = frozenset(
    {"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "du", "van", "von",
     "der", "den", "the", "of", "and"}
)

# Legal forms that rigour's org-type list leaves in place (it knows "S.A." but not "S A" once
# punctuation is gone, nor the English "CO"/"CORP" family). Removed from the end of a name only,
# since "CO" or "SA" inside a name may be a real word.
_TRAILING_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(form.split())
            for form in (
                "s a de c v", "sa de cv", "s de r l de c v", "s de rl de cv", "s de r l", "s a s", "sas",
                "s a", "sa", "s c", "s en c", "s en c s", "ltda", "ltd", "limitada", "limited", "llc",
                "l l c", "inc", "incorporated", "co", "co ltd", "corp", "corporation", "company", "cia",
                "compania", "gmbh", "ag", "bv", "b v", "nv", "n v", "plc", "srl", "s r l", "sarl",
                "e i r l", "eirl", "cia ltda", "sa de cv", "sapi de cv", "s a p i de c v", "fze", "fzco",
                "fz llc", "lp", "l p", "llp", "jsc", "ojsc", "pjsc", "ooo", "zao", "oao",
            )
        ),
        key=len,
        reverse=True,
    )
)

_VESSEL_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("m", "v"), ("m", "t"), ("m", "s"), ("m", "y"), ("f", "v"), ("s", "s"),
    ("mv",), ("mt",), ("ms",), ("my",), ("fv",), ("ss",), ("mts",),
)

_APOSTROPHES = re.compile(r"['’`´‘]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_VOWELS = re.compile(r"[aeiouy]")


def _ascii_lower(text: str) -> str:
    # normality transliterates through ICU: Cyrillic, Arabic, Greek, CJK and accents all become
    # plain Latin letters, so one index serves every script a manifest may use.
    return ascii_text(text).lower()


def _strip_trailing_legal_forms(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for form in _TRAILING_LEGAL_FORMS:
            if len(form) < len(tokens) and tuple(tokens[-len(form):]) == form:
                tokens = tokens[: -len(form)]
                changed = True
                break
    return tokens


def _strip_vessel_prefix(tokens: list[str]) -> list[str]:
    for prefix in _VESSEL_PREFIXES:
        if len(prefix) < len(tokens) and tuple(tokens[: len(prefix)]) == prefix:
            return tokens[len(prefix):]
    return tokens


@lru_cache(maxsize=200_000)
def name_tokens(name: str, kind: EntityKind = EntityKind.UNKNOWN) -> tuple[str, ...]:
    """The comparable tokens of a name, in their original order, without particles or legal forms."""
    text = _APOSTROPHES.sub("", name.lower())
    if kind is not EntityKind.PERSON:
        # rigour's org-type list covers S.A., S.A.S., S.A. de C.V., Ltda., LLC, GmbH... in many
        # languages; it needs the punctuation still present to recognise dotted forms.
        text = remove_org_types(text) or text
    if kind in (EntityKind.VESSEL, EntityKind.UNKNOWN):
        text = remove_obj_prefixes(text) or text
    tokens = _NON_ALNUM.sub(" ", _ascii_lower(text)).split()
    if kind is not EntityKind.PERSON:
        tokens = _strip_trailing_legal_forms(tokens)
    if kind in (EntityKind.VESSEL, EntityKind.UNKNOWN):
        tokens = _strip_vessel_prefix(tokens)
    kept = [token for token in tokens if token not in PARTICLES]
    return tuple(kept or tokens)


def display_normal(name: str) -> str:
    """Case, accents and punctuation removed: what 'the same name' means to an officer."""
    return " ".join(_NON_ALNUM.sub(" ", _ascii_lower(_APOSTROPHES.sub("", name))).split())


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


def skeleton(token: str) -> str:
    """Consonant skeleton: a second, script-agnostic sound-alike key (vowels vary most in transliteration)."""
    if len(token) < 5 or not token.isalpha():
        return token
    head, rest = token[0], _VOWELS.sub("", token[1:])
    out: list[str] = [head]
    for char in rest:
        if char != out[-1]:
            out.append(char)
    return "".join(out)
