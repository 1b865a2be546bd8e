"""The name index: tokens -> names, with rarity weights and typo / sound-alike neighbours.

Candidates for a query come only from here (never from a scan of the list): each query token is
expanded to the listed tokens within one or two edits (SymSpell-style single-deletion keys over the
vocabulary, verified with rapidfuzz) or with the same sound key, and only the rarest query tokens
are used to fetch candidates (prefix filtering: a name that shares none of them cannot reach the
threshold, because the tokens left over do not weigh enough).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import OSA
from rapidfuzz.fuzz import ratio

from services.matcher.engine.normalize import GENERIC_WORDS, fold, phonetic_key
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import NameType

#: similarity given to a listed token one or two edits away, or sounding alike
SIM_ONE_EDIT = 0.9
SIM_TWO_EDITS = 0.8
SIM_SOUND_ALIKE = 0.85
_MIN_FUZZY_LEN = 4
#: weight kept by known generic company words on top of their IDF
GENERIC_FACTOR = 0.3
_EXPANSION_CACHE_LIMIT = 300_000
#: words this long may carry two typos anywhere: found through a (first letter, length) bucket
_LONG_WORD = 8
#: groups weigh a little more than strictly needed: a typo's listed word may weigh less than the query's
_GROUP_MARGIN = 1.25


@dataclass(slots=True, frozen=True)
class IndexedName:
    entry_id: str
    text: str
    name_type: NameType
    kind: EntityKind
    tokens: tuple[str, ...]


def deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def typo_similarity(edits: int, listed: str) -> float:
    """One typo in a long word says less than one in a short word."""
    return max(SIM_TWO_EDITS, min(SIM_ONE_EDIT, 1.0 - 0.5 * edits / len(listed)))


def allowed_edits(left: str, right: str) -> int:
    shortest = min(len(left), len(right))
    if shortest < _MIN_FUZZY_LEN:
        return 0
    return 2 if shortest >= 8 else 1


class NameIndex:
    """Inverted index of name tokens; supports adding and removing one name at a time."""

    def __init__(self) -> None:
        self.names: list[IndexedName | None] = []
        self._free: list[int] = []
        self.postings: dict[str, set[int]] = {}
        self._deletes: dict[str, set[str]] = {}
        self._sounds: dict[str, set[str]] = {}
        self._folds: dict[str, set[str]] = {}
        self._long_words: dict[tuple[str, int], set[str]] = {}
        self.live_names = 0
        self._expansions: dict[str, dict[str, float]] = {}
        self._weights: dict[str, float] = {}
        self._name_weights: dict[int, tuple[float, ...]] = {}

    # -- maintenance -------------------------------------------------------------------------

    def add(self, name: IndexedName) -> int:
        if self._free:
            name_id = self._free.pop()
            self.names[name_id] = name
        else:
            name_id = len(self.names)
            self.names.append(name)
        for token in set(name.tokens):
            posting = self.postings.get(token)
            if posting is None:
                self.postings[token] = {name_id}
                self._add_vocabulary(token)
            else:
                posting.add(name_id)
        self.live_names += 1
        self._forget_derived()
        return name_id

    def remove(self, name_id: int) -> None:
        name = self.names[name_id]
        if name is None:
            return
        for token in set(name.tokens):
            posting = self.postings.get(token)
            if posting is not None:
                posting.discard(name_id)
                if not posting:
                    # vocabulary neighbours are dropped lazily: lookups check the posting exists
                    del self.postings[token]
        self.names[name_id] = None
        self._free.append(name_id)
        self.live_names -= 1
        self._forget_derived()

    def _forget_derived(self) -> None:
        # weights depend on every document frequency: recomputed lazily after any change
        if self._expansions:
            self._expansions.clear()
        if self._weights:
            self._weights.clear()
            self._name_weights.clear()

    def _add_vocabulary(self, token: str) -> None:
        if len(token) >= _MIN_FUZZY_LEN:
            self._deletes.setdefault(token, set()).add(token)
            for variant in deletions(token):
                self._deletes.setdefault(variant, set()).add(token)
        key = phonetic_key(token)
        if key != token:
            self._sounds.setdefault(key, set()).add(token)
        self._folds.setdefault(fold(token), set()).add(token)
        if len(token) >= _LONG_WORD:
            self._long_words.setdefault((token[0], len(token)), set()).add(token)

    # -- weights -----------------------------------------------------------------------------

    def weight(self, token: str) -> float:
        """Inverse document frequency: generic words ("TRADING", "GROUP") weigh little."""
        cached = self._weights.get(token)
        if cached is None:
            cached = self._weights[token] = self._compute_weight(token)
        return cached

    def name_weights(self, name_id: int, tokens: tuple[str, ...]) -> tuple[float, ...]:
        cached = self._name_weights.get(name_id)
        if cached is None:
            if len(self._name_weights) > _EXPANSION_CACHE_LIMIT:
                self._name_weights.clear()
            cached = self._name_weights[name_id] = tuple(self.weight(token) for token in tokens)
        return cached

    def _compute_weight(self, token: str) -> float:
        posting = self.postings.get(token)
        df = len(posting) if posting else 1
        base = math.log(1.0 + self.live_names / df)
        # initials and two-letter tokens identify almost nothing, however rare
        if len(token) <= 2:
            return base * 0.5
        return base * GENERIC_FACTOR if token in GENERIC_WORDS else base

    def unseen_weight(self) -> float:
        return math.log(1.0 + max(self.live_names, 1))

    def document_frequency(self, token: str) -> int:
        posting = self.postings.get(token)
        return len(posting) if posting else 0

    # -- lookups -----------------------------------------------------------------------------

    def expand(self, token: str) -> dict[str, float]:
        """Listed tokens this query token may stand for, with their similarity (1.0 = same)."""
        cached = self._expansions.get(token)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if token in self.postings:
            found[token] = 1.0
        if len(token) >= _MIN_FUZZY_LEN:
            self._add_typo_neighbours(token, found)
            self._add_sound_alikes(token, found)
        if len(token) >= 3:
            for listed in self._folds.get(fold(token), ()):
                if listed not in found and listed in self.postings:
                    found[listed] = SIM_ONE_EDIT
        if len(self._expansions) > _EXPANSION_CACHE_LIMIT:
            self._expansions.clear()
            self._weights.clear()
        self._expansions[token] = found
        return found

    def _add_typo_neighbours(self, token: str, found: dict[str, float]) -> None:
        seen: set[str] = set()
        if len(token) >= _LONG_WORD and token not in self.postings:
            # two edits in one long word: single-deletion keys miss some of those, so compare with
            # the listed words of the same first letter and about the same length
            for length in range(len(token) - 2, len(token) + 3):
                for listed in self._long_words.get((token[0], length), ()):
                    if listed in self.postings:
                        seen.add(listed)
                        edits = OSA.distance(token, listed, score_cutoff=2)
                        if 0 < edits <= 2 and allowed_edits(token, listed) >= edits:
                            found[listed] = typo_similarity(edits, listed)
        for variant in (token, *deletions(token)):
            for listed in self._deletes.get(variant, ()):
                if listed in seen or listed in found:
                    continue
                seen.add(listed)
                if listed not in self.postings:
                    continue
                max_edits = allowed_edits(token, listed)
                if max_edits == 0:
                    continue
                edits = OSA.distance(token, listed, score_cutoff=max_edits)
                if 0 < edits <= max_edits:
                    found[listed] = typo_similarity(edits, listed)

    def _add_sound_alikes(self, token: str, found: dict[str, float]) -> None:
        key = phonetic_key(token)
        if key == token:
            return
        for listed in self._sounds.get(key, ()):
            if listed in found or listed not in self.postings:
                continue
            # a shared sound key alone is too loose (PEREZ / PARIS, GEORGE / JORGE): the first
            # letter must agree and the spelling be close too
            if listed[0] != token[0]:
                continue
            similarity = ratio(token, listed)
            if similarity >= 70 or (similarity >= 60 and listed[-1] == token[-1]):
                found[listed] = SIM_SOUND_ALIKE

    def candidates(self, expansions: list[dict[str, float]], weights: list[float], min_coverage: float) -> set[int]:
        """Names that can still reach min_coverage of the query's weight.

        Any group of query tokens weighing more than (1 - min_coverage) of the query must be met
        by a candidate, or what is left cannot reach min_coverage. The tokens are split, rarest
        first, into as many such groups as they make, and the candidates are the names meeting
        every group: one set intersection per group, done in C, so common words ("JUAN",
        "TRADING") cost little even in a list of a million names.
        """
        total = sum(weights)
        if total <= 0:
            return set()
        budget = (1.0 - min_coverage) * total * _GROUP_MARGIN
        order = sorted(range(len(expansions)), key=lambda i: sum(self.document_frequency(t) for t in expansions[i]))
        groups: list[set[int]] = []
        current: list[set[int]] = []
        covered = 0.0
        for i in order:
            current.extend(posting for listed in expansions[i] if (posting := self.postings.get(listed)))
            covered += weights[i]
            if covered > budget:
                # a group of one posting is used as it is: copying a common word's posting is the cost
                groups.append(current[0] if len(current) == 1 else set().union(*current))
                current, covered = [], 0.0
        if not groups:
            return set().union(*current)
        groups.sort(key=len)
        found = groups[0]
        for group in groups[1:]:
            found = found & group
            if not found:
                break
        return found

    def bulk_names(self) -> Iterable[tuple[int, IndexedName]]:
        for name_id, name in enumerate(self.names):
            if name is not None:
                yield name_id, name
