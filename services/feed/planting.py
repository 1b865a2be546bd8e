"""The watchlist side of generated manifests.

- which listed identities can be planted on a manifest so that the matcher reliably finds them
  (`plantable_identities`), and how a manifest would write them (`disguises`: case, word order,
  accents and punctuation, never misspelt: a planted hit must be a certain hit);
- how to keep invented names clear of listed ones (`ListedVocabulary`), so that an alert on an
  unplanted manifest is a real false positive of the matcher, not an accident of the generator.

Both work on plain tokens (ASCII, upper case, without particles or legal forms), written here
independently of the matcher's own normaliser so that checking the matcher is not circular.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from services.shared.models.common import EntityKind, IdentifierScheme
from services.shared.models.watchlist import WatchlistEntry

#: Words that carry no identity: Spanish and Portuguese particles, and the words of legal forms.
_PARTICLES = frozenset("DE DEL LA LAS LOS EL Y E DA DO DOS DAS VON VAN DER THE OF AND".split())
_LEGAL_WORDS = frozenset(
    "SA SAS LTDA LTD LIMITADA CIA CV RL SRL SPA LLC INC CORP CO COMPANY SAC EIRL SC SCS EN GMBH AG BV".split()
)
#: The longest name whose word pairs are indexed: longer listed names (organisations with long
#: descriptive names) are kept out of the pair index, they would only block harmless pairs.
_MAX_PAIR_TOKENS = 8
#: Programs whose entries are the region's own: narcotics traffickers and the Venezuelan ones.
_REGIONAL_PROGRAMS = ("SDNT", "SDNTK", "VENEZUELA")
#: Below this many regional vessels, vessels of other programs are planted too.
MIN_REGIONAL_VESSELS = 20


def ascii_fold(text: str) -> str:
    """Accents dropped, as many feeds' systems do ('Muñoz' -> 'Munoz')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def plain_tokens(name: str) -> list[str]:
    """The words that identify a name: ASCII upper case, no particles, legal forms or initials."""
    words = re.sub(r"[^A-Z0-9]+", " ", ascii_fold(name).upper()).split()
    return [word for word in words if len(word) > 1 and word not in _PARTICLES and word not in _LEGAL_WORDS]


def compact_identifier(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", value.upper())


class ListedVocabulary:
    """Every listed name as plain tokens, to refuse invented names that could pass for one.

    An invented name is refused when it holds a listed one-word name, or any two words that
    appear together in one listed name: the matcher weighs words by rarity and tolerates missing
    ones, so two shared words can be enough for it, while one shared common word (GARCIA) is not.
    The same holds for sound-alike spellings, compared through a rough phonetic skeleton.
    """

    def __init__(self, entries: Iterable[WatchlistEntry]) -> None:
        self._single_words: set[str] = set()
        self._word_pairs: set[str] = set()
        self._identifiers: set[str] = set()
        for entry in entries:
            for listed in entry.names:
                self._add_name(plain_tokens(listed.name))
            self._identifiers.update(compact_identifier(identifier.value) for identifier in entry.identifiers)

    def _add_name(self, tokens: list[str]) -> None:
        distinct = sorted(set(tokens))
        if len(distinct) == 1:
            self._single_words.update((distinct[0], _skeleton(distinct[0])))
        if 2 <= len(distinct) <= _MAX_PAIR_TOKENS:
            self._word_pairs.update(_pair_keys(distinct))

    def is_clear(self, name: str) -> bool:
        """True when no listed name could be read into `name`."""
        tokens = sorted(set(plain_tokens(name)))
        if any(token in self._single_words or _skeleton(token) in self._single_words for token in tokens):
            return False
        return not any(key in self._word_pairs for key in _pair_keys(tokens))

    def is_listed_identifier(self, value: str) -> bool:
        return compact_identifier(value) in self._identifiers


def _skeleton(word: str) -> str:
    """A rough sound-alike stem: the spellings the matcher's typo and phonetic steps would join,
    and the Spanish gender and plural endings (ANDINA and ANDINO, FRIGORIFICO and FRIGORIFICOS)."""
    word = word[0] + word[1:].replace("H", "")
    word = re.sub(r"(.)\1+", r"\1", word.translate(_SOUND_ALIKE))
    stem = re.sub(r"[AEIOU]?S?$", "", word)
    return "~" + (stem if len(stem) >= 3 else word)


_SOUND_ALIKE = str.maketrans({"Z": "S", "V": "B", "Y": "I", "K": "C", "Q": "C", "W": "U", "J": "G"})


def _pair_keys(tokens: Sequence[str]) -> list[str]:
    """Each pair of words, and each pair of their skeletons, as one hashable key each."""
    keys = [f"{a} {b}" for a, b in combinations(tokens, 2)]
    skeletons = sorted({_skeleton(token) for token in tokens})
    keys += [f"{a} {b}" for a, b in combinations(skeletons, 2)]
    return keys


@dataclass(frozen=True)
class Plantable:
    """A listed identity as a manifest could carry it."""

    entry_id: str
    kind: EntityKind
    name: str
    country: str | None = None
    date_of_birth: str | None = None
    imo: str | None = None
    mmsi: str | None = None
    call_sign: str | None = None
    flag: str | None = None


def plantable_identities(entries: Sequence[WatchlistEntry]) -> list[Plantable]:
    """Persons, organisations and vessels the matcher finds for certain once lightly disguised.

    The region's own entries (narcotics and Venezuela programs) when the list has them; only names
    that belong to one entry (two entries named alike would both alert, blurring the check); persons
    written 'SURNAMES, Given' (so that word order can vary); names of at least two words beyond
    legal forms (one word is too weak for a name-only match); vessels only with an IMO number.
    """
    name_owners = _name_owners(entries)
    regional = [entry for entry in entries if _is_regional(entry)]
    chosen = [entry for entry in regional or entries if _is_plantable(entry, name_owners)]
    vessels = [entry for entry in chosen if entry.kind is EntityKind.VESSEL]
    if len(vessels) < MIN_REGIONAL_VESSELS:  # too few of the region's own: any vessel with an IMO number
        chosen += [entry for entry in entries if entry.kind is EntityKind.VESSEL and entry not in vessels
                   and _vessel_imo(entry) is not None]
    return [identity for entry in chosen if (identity := _identity(entry)) is not None]


def _is_regional(entry: WatchlistEntry) -> bool:
    return any(program.startswith(_REGIONAL_PROGRAMS) for program in entry.programs)


def _name_owners(entries: Iterable[WatchlistEntry]) -> Counter[str]:
    """How many entries hold each name (as sorted plain tokens)."""
    owners: Counter[str] = Counter()
    for entry in entries:
        keys = {" ".join(sorted(plain_tokens(listed.name))) for listed in entry.names}
        owners.update(keys)
    return owners


def _is_plantable(entry: WatchlistEntry, name_owners: Counter[str]) -> bool:
    name = entry.primary_name
    tokens = plain_tokens(name)
    if entry.kind is EntityKind.VESSEL:  # the IMO number makes the match, whatever the name
        return _vessel_imo(entry) is not None
    if len(tokens) < 2 or name_owners[" ".join(sorted(tokens))] != 1:
        return False
    if entry.kind is EntityKind.PERSON:
        return _split_person(name) is not None
    return entry.kind is EntityKind.ORGANIZATION and not re.search(r"[^A-Za-z0-9 .,&'-]", name)


def _identity(entry: WatchlistEntry) -> Plantable | None:
    countries = [*entry.nationalities, *entry.countries]
    if entry.kind is EntityKind.VESSEL:
        imo = _vessel_imo(entry)
        if imo is None:
            return None
        return Plantable(
            entry.entry_id, entry.kind, entry.primary_name, imo=imo, flag=entry.vessel_flag,
            mmsi=_identifier(entry, IdentifierScheme.MMSI), call_sign=_identifier(entry, IdentifierScheme.CALL_SIGN),
        )
    full_dates = [day for day in entry.dates_of_birth if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)]
    return Plantable(
        entry.entry_id, entry.kind, entry.primary_name, country=countries[0] if countries else None,
        date_of_birth=full_dates[0] if full_dates else None,
    )


def _identifier(entry: WatchlistEntry, scheme: IdentifierScheme) -> str | None:
    return next((identifier.value for identifier in entry.identifiers if identifier.scheme is scheme), None)


def _vessel_imo(entry: WatchlistEntry) -> str | None:
    imo = _identifier(entry, IdentifierScheme.IMO)
    return imo if imo is not None and re.fullmatch(r"\d{7}", imo) else None


def _split_person(name: str) -> tuple[str, str] | None:
    """OFAC writes persons 'SURNAMES, Given names'; a name written otherwise is not reordered."""
    if name.count(",") != 1 or "(" in name:
        return None
    surnames, given = (part.strip() for part in name.split(","))
    if not plain_tokens(surnames) or not plain_tokens(given):
        return None
    return surnames, given


# -- disguises -----------------------------------------------------------------------------------


def disguises(identity: Plantable) -> list[str]:
    """Every way the generator may write the identity's name, as real manifests do: in capitals or
    title case, surnames first with or without a comma or given names first, accents dropped."""
    name = ascii_fold(identity.name)
    if identity.kind is EntityKind.PERSON:
        forms = _person_forms(name)
    elif identity.kind is EntityKind.VESSEL:
        forms = [name, f"M/V {name}", f"MV {name}"]
    else:
        forms = [name, name.replace(",", "")]
    variants = [variant for form in forms for variant in (form.upper(), _title(form))]
    return list(dict.fromkeys(variants))


def _person_forms(name: str) -> list[str]:
    split = _split_person(name)
    if split is None:
        return [name]
    surnames, given = split
    return [f"{surnames}, {given}", f"{given} {surnames}", f"{surnames} {given}"]


def _title(text: str) -> str:
    """Title case that keeps particles low ('Jose de Jesus'), as people write names."""
    return " ".join(_title_word(word) for word in text.split())


def _title_word(word: str) -> str:
    if word.upper() in _PARTICLES:
        return word.lower()
    if "." in word and len(word) <= 6:  # legal forms keep their capitals: 'S.A.', 'C.V.'
        return word.upper()
    return word.capitalize()
