"""The name index: tokens -> names, with rarity weights and typo / sound-alike neighbours.

Candidates for a query come only from here (never from a scan of the list): each query token is
expanded to the listed tokens within one or two edits (SymSpell-style single-deletion keys over the
vocabulary, and over the halves of long words for two edits, verified with rapidfuzz) or with the
same sound key, and only the rarest query tokens are used to fetch candidates (prefix filtering: a
name that shares none of them cannot reach the threshold, because the tokens left over do not weigh
enough). Postings are Roaring bitmaps, so the set algebra on common words runs in C.

Every change (add, remove) clears what was derived from document frequencies (weights, expansions,
probes): they are rebuilt lazily, so changes apply one entry at a time while lookups go on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from pyroaring import BitMap
from rapidfuzz.distance import OSA
from rapidfuzz.fuzz import ratio
from rapidfuzz.process import extract

from services.matcher.engine.normalize import (
    ABD_SPELLINGS,
    DROPPED_WORDS,
    GENERIC_WORDS,
    JOINED_LEGAL_FORMS,
    JOINED_PARTICLES,
    NAME_HONORIFICS,
    consonant_keys,
    consonants,
    fold,
    honorific_spellings,
    phonetic_key,
    same_final_sound,
    vowel_mask,
    word_forms,
)
from services.matcher.engine.scoring import MIN_CUT_WORD, begins
from services.matcher.engine.syllables import syllable_key, syllable_words
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import NameType

#: similarity given to a listed token one or two edits away, or sounding alike
SIM_ONE_EDIT = 0.9
SIM_TWO_EDITS = 0.8
SIM_SOUND_ALIKE = 0.85
SIM_SPELLING = 0.9
#: the same syllable in another romanisation (see syllables.py)
SIM_ROMANISATION = 0.9
#: what a name keeps when its words were grouped otherwise to match (JOAQUINGUZMAN, AL HASSAN)
REGROUPED_FACTOR = 0.97
#: ...and when a letter crossed the space, or the space was typed as a letter (HERRER ABUITRAGO)
BOUNDARY_TYPO_FACTOR = 0.93
#: how a query word came to stand for a listed word, in words for the explanation
EXACT, ONE_TYPO, TWO_TYPOS, SOUNDS_ALIKE, SPELLING, ROMANISATION = (
    "the same word", "one letter differs", "two letters differ", "sounds alike (same sound key)",
    "a spelling variant (PH/F, KH/K, DJ/J, W/V, Y/I, double letters, plural -IES for -Y)",
    "the same syllables in another romanisation",
)
CONSONANTS = "the same consonants (Arabic and Hebrew write few vowels)"
WORD_FORM = "another form of a word describing the business (BANK / BANKING, FINANCE / FINANCIAL)"
HONORIFIC = "the same title written otherwise (HAJI / HAJJI / ALHAJI, SHEIKH / SHAYKH)"
FOLD_TYPO = "a spelling variant and one letter more (Y/I, double letters, KH/K, DJ/J...)"
VOWELS = "other vowels around the same consonants (romanised Arabic and Persian vowels vary)"
ABD_SPELLING = "ABD with its article joined or not (ABDUL, ABDEL, ABD AL-)"
CUT_SHORT = "the manifest's name cut short in this word (a fixed-width field)"
#: what the end of a name cut short at a field's width keeps of the listed word it begins
SIM_CUT = 0.9
#: the Arabic article as names romanise it, also in South Asia, where it takes the sound of the next
#: word (MATI UR-REHMAN, SHAMS UD-DIN, AMIN UL-HAQ for AL-RAHMAN, AL-DIN, AL-HAQQ)
ARTICLE_SPELLINGS = frozenset({"al", "el", "ul", "ur", "ud", "us", "uz", "ut"})
ARTICLE_SPELLING = "the Arabic article written another way (AL, EL, UL, UR, UD...)"
#: similarity of a listed word with the consonants of a word written in Arabic or Hebrew
SIM_CONSONANTS = 0.88
_MIN_FUZZY_LEN = 4
#: the shortest word whose vowels may all differ at two places (see normalize.vowel_mask): shorter ones
#: are other names too often (OMAR / AMIR)
_MIN_VOWEL_VARIANT_LEN = 6
#: the shortest spelling fold (see normalize.fold) that may differ by one letter more
_MIN_FOLD_TYPO_LEN = 5
#: the vowels of a spelling fold (Y folds to I)
_VOWELS_IN_ORDER = "aeiou"
_VOWEL_LETTERS = frozenset(_VOWELS_IN_ORDER)
#: vowel letters a word may have other than its listed form, at most
_MAX_VOWEL_CHANGES = 2
#: the words of Korean, Chinese and Vietnamese names get typo tolerance from this length only (a
#: joined given name, YONGHO): shorter ones are syllables, compared by romanisation key instead
_MIN_SYLLABIC_FUZZY_LEN = 6
#: how a query's words are to be read (see NameIndex.expand)
SYLLABIC, CONSONANTAL = "syllabic", "consonantal"
#: weight kept by known generic company words on top of their IDF
GENERIC_FACTOR = 0.3
#: tokens whose probes (and names whose weights) are kept; all are dropped beyond it
_CACHE_LIMIT = 300_000
#: words this long may carry two typos: found through the halves index (see _two_edit_neighbours)
_LONG_WORD = 8
# a listed word is cut into pieces of at least this many letters, found side by side in a listed name
_MIN_PIECE = 3
# names sharing both pieces looked at for the two side by side, at most (a cached, one-off cost)
_SIDE_BY_SIDE_CHECKS = 50
#: below this many candidates, scoring them all costs less than the two-word check
_SMALL_CANDIDATE_SET = 32
#: above this many, candidates are worth checking for two different listed words again
_LARGE_CANDIDATE_SET = 256
#: groups weigh a little more than strictly needed: a typo's listed word may weigh less than the query's
_GROUP_MARGIN = 1.25
#: other cuts of a query into words tried at most (see regroupings)
_MAX_REGROUPINGS = 6
#: a probe's postings are gathered once it has been met this many times (see TokenProbe.meeting_if_any)
_MEETINGS_BEFORE_GATHERING = 8
#: postings holding more names than this in all are gathered by pyroaring's union of many, which
#: costs some 20 us to set up: fewer are gathered one by one, several times faster
_LARGE_UNION = 8192


@dataclass(slots=True)
class TokenProbe:
    """What one query token stands for in the index, worked out once and cached until the next change."""

    expansions: dict[str, float]  # listed token -> similarity (1.0 = the same token)
    methods: dict[str, str]  # listed token -> how it was found (EXACT, ONE_TYPO...)
    listed: tuple[str, ...]  # the expansions that are listed...
    postings: tuple[BitMap, ...]  # ...and the names holding each, in the same order
    size: int  # how many names hold an expansion, counted once per expansion
    weight: float  # what the query token weighs in the score
    _names: BitMap | None = None
    _anchoring: dict[int, BitMap] | None = None
    _meetings: int = 0  # how often met posting by posting (see meeting_if_any)

    def anchoring(self, shorter_than: int, anchors: dict[int, dict[str, BitMap]]) -> BitMap:
        """The names of two words or more, fewer than shorter_than, anchored on an expansion (see
        NameIndex.held_whole), gathered when first asked for."""
        if self._anchoring is None:
            self._anchoring = {}
        found = self._anchoring.get(shorter_than)
        if found is None:
            postings = [
                posting
                for length in range(2, shorter_than)
                if (by_word := anchors.get(length))
                for word in self.listed
                if (posting := by_word.get(word))
            ]
            found = self._anchoring[shorter_than] = _union(postings)
        return found

    def names(self) -> BitMap:
        """The names holding any expansion (read only), gathered when first asked for."""
        if self._names is None:
            self._names = _union(self.postings)
        return self._names

    def meeting(self, found: BitMap, names: list[IndexedName | None]) -> BitMap:
        """The names of found holding any expansion (names: the index's names, by id)."""
        return self.meeting_if_any(found, names) or BitMap()

    def meeting_if_any(self, found: BitMap, names: list[IndexedName | None]) -> BitMap | None:
        """meeting, None when none of found holds an expansion. The expansions' postings are met
        one by one with a found smaller than they are, the first few times: gathering the postings
        of a word's many neighbours (in a list of a million names) costs more than meeting each
        with a few names, and most words seen first (a typo, a rare word) are not seen again. A word
        that comes back has them gathered once. Fewer names found than postings to meet have their
        own words looked at instead: a name's few words cost less than meeting a posting."""
        gathered = self._names is not None or len(self.postings) == 1
        if not gathered and len(found) <= len(self.postings):
            return self._holding_any(found, names)
        if not gathered and self._meetings < _MEETINGS_BEFORE_GATHERING and len(found) < self.size:
            self._meetings += 1
            met = [found & posting for posting in self.postings if found.intersect(posting)]
            return _union(met) if met else None
        names_holding = self.names()
        return found & names_holding if found.intersect(names_holding) else None

    def _holding_any(self, found: BitMap, names: list[IndexedName | None]) -> BitMap | None:
        """The names of found holding any expansion, by their words (every expansion is listed:
        a name holds a listed word exactly when the word's posting holds it)."""
        unheld = self.expansions.keys().isdisjoint
        held = [name_id for name_id in found if (name := names[name_id]) is not None and not unheld(name.tokens)]
        return BitMap(held) if held else None


@dataclass(slots=True, frozen=True)
class IndexedName:
    entry_id: str
    text: str
    name_type: NameType
    kind: EntityKind
    tokens: tuple[str, ...]
    syllabic: bool = False  # a Korean, Chinese or Vietnamese name (see syllables.py)
    consonantal: bool = False  # written in Arabic or Hebrew: its tokens are consonants (see scripts.py)
    lone: str | None = None  # the word a one-word query may match it on (see normalize.lone_word)

    def __reduce__(self) -> tuple[type[IndexedName], tuple[object, ...]]:
        # pickled (in the screen cache) by its fields: restoring a frozen instance attribute by
        # attribute, as the compiled class's default unpickling does, is refused
        return IndexedName, (self.entry_id, self.text, self.name_type, self.kind, self.tokens, self.syllabic,
                             self.consonantal, self.lone)


_TYPOS = {1: ONE_TYPO, 2: TWO_TYPOS}


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

    def __init__(self, every_name_a_candidate: bool = False) -> None:
        #: offer every listed name for comparison, pruning none (slow): what the pruning must equal
        self.every_name_a_candidate = every_name_a_candidate
        self.names: list[IndexedName | None] = []
        self._free: list[int] = []
        self.postings: dict[str, BitMap] = {}
        #: names of a single token (or of a single distinctive word: IndexedName.lone), by token: the
        #: only names a one-word query can match strongly
        self.single_postings: dict[str, BitMap] = {}
        #: names holding a token twice or more ("GARCIA GARCIA"), by token
        self.repeat_postings: dict[str, BitMap] = {}
        #: names of two words or more by their length and one of their words, the rarest when they
        #: were anchored: a query holding the whole name among other words is found through it
        #: (see held_whole)
        self.anchor_postings: dict[int, dict[str, BitMap]] = {}
        self._anchors: dict[int, str] = {}
        self._deletes: dict[str, set[str]] = {}
        self._sounds: dict[str, set[str]] = {}
        self._folds: dict[str, set[str]] = {}
        #: the words whose spelling fold differs from them, by that fold and its single deletions
        self._fold_deletes: dict[str, set[str]] = {}
        #: the long words by their consonants in place (see normalize.vowel_mask)
        self._vowel_masks: dict[str, set[str]] = {}
        #: romanisation keys of the words of syllabic names (see syllables.py)
        self._syllable_words: dict[str, set[str]] = {}
        #: the listed words by their consonants, for names written in Arabic or Hebrew
        self._consonant_words: dict[str, set[str]] = {}
        #: the words of listed names written in Arabic or Hebrew, by their consonants
        self._abjad_words: dict[str, set[str]] = {}
        #: the words longer than MIN_CUT_WORD by their first MIN_CUT_WORD letters: see probe(cut=True)
        self._prefixes: dict[str, set[str]] = {}
        #: heads and tails of the long words, whole and less a letter: see _two_edit_neighbours
        self._heads: dict[str, list[str]] = {}
        self._tails: dict[str, list[str]] = {}
        self.live_names = 0
        self._probes: dict[str, TokenProbe] = {}
        self._cuts: dict[str, list[tuple[tuple[str, ...], float]]] = {}
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
                self.postings[token] = BitMap([name_id])
                if not name.consonantal:  # consonants (MHMD) are no Latin word to misspell
                    self._add_vocabulary(token)
            else:
                posting.add(name_id)
        if (lone := name.lone) is not None:
            _add(self.single_postings, lone, name_id)
        for token in _repeated(name.tokens):
            _add(self.repeat_postings, token, name_id)
        self._anchor(name_id, name.tokens)
        if name.consonantal:
            for token in name.tokens:
                self._abjad_words.setdefault(consonants(token), set()).add(token)
        if name.syllabic:
            for token in name.tokens:
                key = syllable_key(token)
                if key is not None:
                    self._syllable_words.setdefault(key, set()).add(token)
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
        if (lone := name.lone) is not None:
            _discard(self.single_postings, lone, name_id)
        for token in _repeated(name.tokens):
            _discard(self.repeat_postings, token, name_id)
        if (anchor := self._anchors.pop(name_id, None)) is not None:
            _discard(self.anchor_postings[len(name.tokens)], anchor, name_id)
        self.names[name_id] = None
        self._free.append(name_id)
        self.live_names -= 1
        self._forget_derived()

    def _anchor(self, name_id: int, tokens: tuple[str, ...]) -> None:
        if len(tokens) < 2:
            return
        anchor = min(tokens, key=lambda token: (len(self.postings[token]), token))
        self._anchors[name_id] = anchor
        _add(self.anchor_postings.setdefault(len(tokens), {}), anchor, name_id)

    def reanchor(self) -> None:
        """Anchor every name on its rarest word again: names added while the list was loading were
        anchored on what was rarest among the names loaded before them."""
        self.anchor_postings.clear()
        self._anchors.clear()
        for name_id, name in self.bulk_names():
            self._anchor(name_id, name.tokens)
        self._forget_derived()

    def _forget_derived(self) -> None:
        # weights depend on every document frequency: recomputed lazily after any change
        if self._probes:
            self._probes.clear()
        if self._cuts:
            self._cuts.clear()
        if self._weights:
            self._weights.clear()
            self._name_weights.clear()

    def _add_vocabulary(self, token: str) -> None:
        if token in NAME_HONORIFICS:  # no word of a query is a mistyped title (see expand), but حجي is HAJI
            for key in consonant_keys(token):
                self._consonant_words.setdefault(key, set()).add(token)
            return
        if len(token) > MIN_CUT_WORD:
            self._prefixes.setdefault(token[:MIN_CUT_WORD], set()).add(token)
        if len(token) >= _MIN_FUZZY_LEN:
            self._deletes.setdefault(token, set()).add(token)
            for variant in deletions(token):
                self._deletes.setdefault(variant, set()).add(token)
        key = phonetic_key(token)
        if key != token:
            self._sounds.setdefault(_sound_bucket(token, key), set()).add(token)
        folded = fold(token)
        self._folds.setdefault(folded, set()).add(token)
        if folded != token and len(folded) >= _MIN_FOLD_TYPO_LEN:
            for variant in (folded, *deletions(folded)):
                self._fold_deletes.setdefault(variant, set()).add(token)
        if len(token) >= _MIN_VOWEL_VARIANT_LEN and (mask := vowel_mask(token)) is not None:
            self._vowel_masks.setdefault(mask, set()).add(token)
        for key in consonant_keys(token):
            self._consonant_words.setdefault(key, set()).add(token)
        if len(token) >= _LONG_WORD:
            heads, tails = _half_keys(token)
            for halves, keys in ((self._heads, heads), (self._tails, tails)):
                for key in keys:
                    words = halves.setdefault(key, [])
                    if token not in words:  # kept when the word left the list: it may come back
                        words.append(token)

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
            if len(self._name_weights) > _CACHE_LIMIT:
                self._name_weights.clear()
            cached = self._name_weights[name_id] = tuple(map(self.weight, tokens))
        return cached

    def _compute_weight(self, token: str) -> float:
        posting = self.postings.get(token)
        df = len(posting) if posting else 1
        base = math.log(1.0 + self.live_names / df)
        # initials and two-letter tokens identify almost nothing, however rare
        if len(token) <= 2:
            return base * 0.5
        # a title says as little of who a person is as TRADING says of which company
        return base * GENERIC_FACTOR if token in GENERIC_WORDS or token in NAME_HONORIFICS else base

    def document_frequency(self, token: str) -> int:
        posting = self.postings.get(token)
        return len(posting) if posting else 0

    # -- lookups -----------------------------------------------------------------------------

    def expand(self, token: str, reading: str = "", methods: dict[str, str] | None = None) -> dict[str, float]:
        """Listed tokens this query token may stand for, with their similarity (1.0 = same), and in
        methods (when given) how each was found. Reading SYLLABIC: the token is a word of a Korean,
        Chinese or Vietnamese name, and may stand for the same syllables romanised otherwise, but
        not for a word a letter away (YANG is not KANG); CONSONANTAL: the consonants of a word
        written in Arabic or Hebrew, which stand for any listed word with those consonants.

        Not cached here: probe() keeps the expansions with the rest of what it works out."""
        found: dict[str, float] = {}
        how = methods if methods is not None else {}
        if token in self.postings:
            found[token] = 1.0
            how[token] = EXACT
        if token in NAME_HONORIFICS:  # a title stands for itself (HADI is no mistyped HAJI), in any script
            self._offer(found, how, honorific_spellings(token), SIM_SPELLING, HONORIFIC)
            self._offer(found, how, self._abjad_words.get(consonants(token), ()), SIM_CONSONANTS, CONSONANTS)
            return found
        if reading == CONSONANTAL:
            self._offer(found, how, self._consonant_words.get(consonants(token), ()), SIM_CONSONANTS, CONSONANTS)
            if token == "al":  # the article, which South Asian names write UR, UD... (MATI UR-REHMAN)
                self._offer(found, how, ARTICLE_SPELLINGS, SIM_SPELLING, ARTICLE_SPELLING)
            return found
        syllabic = reading == SYLLABIC
        if len(token) >= (_MIN_SYLLABIC_FUZZY_LEN if syllabic else _MIN_FUZZY_LEN):
            self._add_typo_neighbours(token, found, how)
            self._add_sound_alikes(token, found, how)
        if not syllabic and len(token) >= _MIN_VOWEL_VARIANT_LEN:
            self._add_vowel_variants(token, found, how)
        if token in ABD_SPELLINGS:
            self._offer(found, how, ABD_SPELLINGS, SIM_SPELLING, ABD_SPELLING)
        if token in ARTICLE_SPELLINGS:
            self._offer(found, how, ARTICLE_SPELLINGS, SIM_SPELLING, ARTICLE_SPELLING)
        if len(token) >= 3:
            self._offer(found, how, self._folds.get(fold(token), ()), SIM_SPELLING, SPELLING)
        self._offer(found, how, word_forms(token), SIM_SPELLING, WORD_FORM)
        if self._abjad_words and len(token) >= 3:  # a Latin word for a listed name written in Arabic
            self._offer(found, how, self._abjad_words.get(consonants(token), ()), SIM_CONSONANTS, CONSONANTS)
        if syllabic and (key := syllable_key(token)) is not None:
            self._offer(found, how, self._syllable_words.get(key, ()), SIM_ROMANISATION, ROMANISATION)
        if not syllabic and len(token) >= _MIN_FOLD_TYPO_LEN:
            # a spelling variant with one letter more; for a word the list holds, only with one vowel
            # for another (JAMAL / DJAMEL: the list's other names have other vowels in its words too)
            if token in self.postings:
                self._add_fold_vowel_variants(token, found, how)
            else:
                self._add_fold_typos(token, found, how)
        return found

    def _offer(
        self, found: dict[str, float], how: dict[str, str], words: Iterable[str], similarity: float, method: str
    ) -> None:
        """The listed ones of `words` as expansions found by `method`, unless found already."""
        postings = self.postings
        for listed in words:
            if listed not in found and listed in postings:
                found[listed], how[listed] = similarity, method

    def probe(self, token: str, reading: str = "", cut: bool = False) -> TokenProbe:
        """The token's expansions, their postings and the token's weight (cached). cut: the token
        ends a name that may have been cut short at a field's width, and stands for the listed words
        it begins too (DEVELOPM for DEVELOPMENT)."""
        cache_key = f"{token}\x00{reading}" if reading else token
        if cut:
            cache_key += "\x00cut"
        cached = self._probes.get(cache_key)
        if cached is None:
            if cut:
                cached = self._cut_probe(token, self.probe(token, reading))
            else:
                methods: dict[str, str] = {}
                cached = self._new_probe(token, self.expand(token, reading, methods), methods)
            if len(self._probes) > _CACHE_LIMIT:
                self._probes.clear()
            self._probes[cache_key] = cached
        return cached

    def _new_probe(self, token: str, expansions: dict[str, float], methods: dict[str, str]) -> TokenProbe:
        listed = tuple(expansions)
        postings = tuple(self.postings[word] for word in listed)
        weight = self._query_weight(token, expansions)
        return TokenProbe(expansions, methods, listed, postings, sum(map(len, postings)), weight)

    def _cut_probe(self, token: str, whole: TokenProbe) -> TokenProbe:
        """The probe of a word that may have been cut short: also every listed word it begins, if
        found another way too (DEVELOPME is two letters from DEVELOPMENT), said cut short, as a word
        cut short it most likely is."""
        if len(token) < MIN_CUT_WORD:
            return whole
        starting = self._prefixes.get(token[:MIN_CUT_WORD], ())
        begun = sorted(word for word in starting if begins(token, word) and word in self.postings)
        if not begun:
            return whole
        expansions, methods = dict(whole.expansions), dict(whole.methods)
        for word in begun:
            expansions[word] = max(expansions.get(word, 0.0), SIM_CUT)
            methods[word] = CUT_SHORT
        return self._new_probe(token, expansions, methods)

    def regroupings(self, tokens: tuple[str, ...], syllabic: bool) -> list[tuple[tuple[str, ...], float, str]]:
        """Other ways to cut the query into listed words: (tokens, factor kept, what was done).

        Two or three words joined where the list has them as one (AL HASSAN / ALHASSAN), one word cut where
        the list has two (JOAQUINGUZMAN), and one typing error across the space: a letter moved over
        it (HERRER ABUITRAGO) or the space typed as a letter (ALOHASSAN). Only cuts into words the
        list holds are tried, so a name costs a few dictionary lookups a word. Syllabic: the tokens
        are a Korean, Chinese or Vietnamese name (syllables.is_syllabic_name), cut into syllables too.
        """
        vocabulary = self.postings
        found: list[tuple[tuple[str, ...], float, str]] = []
        for i in range(len(tokens) - 1):
            left, right = tokens[i], tokens[i + 1]
            if len(left) == len(right) == 1:
                continue  # initials: an entity's are joined already, a person's are no word
            joined = left + right
            if joined in vocabulary:
                found.append(((*tokens[:i], joined, *tokens[i + 2 :]), REGROUPED_FACTOR, f"{left} {right} as {joined}"))
                continue
            if left in vocabulary and right in vocabulary:
                continue  # a typo that leaves two listed words is unlikely: not worth a screening
            for cut in (len(left) - 1, len(left) + 1):  # a letter moved over the space
                if (pieces := self._pieces(joined[:cut], joined[cut:], typo=True)) is not None:
                    regrouped = (*tokens[:i], *pieces, *tokens[i + 2 :])
                    found.append((regrouped, BOUNDARY_TYPO_FACTOR, f"{left} {right} as {' '.join(pieces)}"))
        for i in range(len(tokens) - 2):  # three words the list holds as one (CHONG CHON GANG)
            joined = tokens[i] + tokens[i + 1] + tokens[i + 2]
            if joined in vocabulary:
                how = f"{' '.join(tokens[i : i + 3])} as {joined}"
                found.append(((*tokens[:i], joined, *tokens[i + 3 :]), REGROUPED_FACTOR, how))
        every_split: dict[int, tuple[str, ...]] = {}
        cuts = self._cuts
        for i, token in enumerate(tokens):
            if len(token) < 5:
                continue
            word_cuts = cuts.get(token)  # inlined: the same words come back in query after query
            if word_cuts is None:
                word_cuts = self._word_cuts(token)
            for pieces, factor in word_cuts:
                found.append(((*tokens[:i], *pieces, *tokens[i + 1 :]), factor, f"{token} as {' '.join(pieces)}"))
                if factor == REGROUPED_FACTOR:
                    every_split.setdefault(i, pieces)
        if len(every_split) >= 2:  # ABDULRAHMAN ALMANSOURI: both words cut
            split = [word for i, token in enumerate(tokens) for word in every_split.get(i, (token,))]
            found.insert(0, (tuple(split), REGROUPED_FACTOR, " ".join(tokens) + " as " + " ".join(split)))
        if syllabic:
            # KIM MANCHOON as KIM MAN CHOON: syllables are words whatever the vocabulary holds, and a
            # joined name cut two ways (MUNGIL as MUNG IL and as MUN GIL) is tried both ways
            for onset_first in (True, False):
                if (syllabled := syllable_words(tokens, onset_first)) != tokens and all(
                    syllabled != cut for cut, _, _ in found[:1]
                ):
                    how = f"{' '.join(tokens)} as {' '.join(syllabled)}"
                    found.insert(0, (syllabled, REGROUPED_FACTOR, how))
        return found[:_MAX_REGROUPINGS]

    def _word_cuts(self, token: str) -> list[tuple[tuple[str, ...], float]]:
        """The ways to cut a word into listed words (see _splits and _adjacent_splits), cached until
        the next change: the same words come back in query after query, and whether a word is
        listed cannot change while its cuts are kept."""
        found = self._splits(token) if token not in self.postings else self._adjacent_splits(token)
        if len(self._cuts) > _CACHE_LIMIT:
            self._cuts.clear()
        self._cuts[token] = found
        return found

    def _splits(self, token: str) -> list[tuple[tuple[str, ...], float]]:
        """The ways to cut an unlisted word into listed words: (words, factor kept).

        Two words a listed name holds together (JOAQUINGUZMAN, not JOHNSON as JOHN SON), or two with
        one letter between them typed for the space (ALOHASSAN). A word run into a word names drop
        (AGUILACLTDA, LAMCANDELARIA, with the letter typed for the space) is the listed word alone."""
        found = []
        vocabulary = self.postings
        for cut in range(2, len(token) - 1):
            head = token[:cut]
            if head not in vocabulary and head not in DROPPED_WORDS and head not in ABD_SPELLINGS:
                continue  # _pieces wants the head listed, dropped from names or ABD: most cuts are neither
            for tail, factor in ((token[cut:], REGROUPED_FACTOR), (token[cut + 1 :], BOUNDARY_TYPO_FACTOR)):
                if (pieces := self._pieces(head, tail, factor == BOUNDARY_TYPO_FACTOR)) is not None:
                    found.append((pieces, factor))
        return found

    def _adjacent_splits(self, token: str) -> list[tuple[tuple[str, ...], float]]:
        """A listed word cut where another listed name has its two pieces side by side: ABDULRAHMAN
        is a word of some names and ABDUL RAHMAN two words of others, and a manifest writes either."""
        # the article is shorter than any other piece (ALHASSAN, listed as one word and as AL HASSAN)
        first = 2 if token[:2] in ARTICLE_SPELLINGS else _MIN_PIECE
        return [
            ((token[:cut], token[cut:]), REGROUPED_FACTOR)
            for cut in range(first, len(token) - _MIN_PIECE + 1)
            if self._listed_side_by_side(token[:cut], token[cut:])
        ]

    def _listed_side_by_side(self, head: str, tail: str) -> bool:
        first, second = self.postings.get(head), self.postings.get(tail)
        if first is None or second is None:
            return False
        for checked, name_id in enumerate(first & second):
            if checked == _SIDE_BY_SIDE_CHECKS:
                return False
            name = self.names[name_id]
            if name is not None and any(
                left == head and right == tail for left, right in zip(name.tokens, name.tokens[1:], strict=False)
            ):
                return True
        return False

    def _pieces(self, head: str, tail: str, typo: bool) -> tuple[str, ...] | None:
        """head and tail as listed words, or the one listed word when the other is dropped from
        names and a typo put it there (see _splits); None if they are not."""
        vocabulary = self.postings
        if len(tail) < 2:
            return None
        if head in vocabulary and tail in vocabulary and self._listed_together(head, tail):
            return (head, tail)
        if not typo and head in ABD_SPELLINGS and tail in vocabulary and self._listed_with_abd(tail):
            return (head, tail)  # ABDELMAJID for ABD AL-MAJID: ABD in any of its spellings, then the name
        # a word names drop run into a listed one, with a letter typed for the space, or with none when
        # manifests do run them in (LAEMPRESA, SONSLTD); a dropped word may be listed too (LLC in
        # "LLC NOVYE PROEKTY"): tried all the same
        if tail in vocabulary and (
            (typo and head in DROPPED_WORDS and len(tail) >= 4) or (head in JOINED_PARTICLES and len(tail) >= 5)
        ):
            return (tail,)
        if head in vocabulary and len(head) >= 4 and (tail in DROPPED_WORDS if typo else tail in JOINED_LEGAL_FORMS):
            return (head,)
        return None

    def _listed_with_abd(self, tail: str) -> bool:
        """Whether some listed name holds the word with ABD in one of its spellings."""
        return any(self._listed_together(form, tail) for form in ABD_SPELLINGS if form in self.postings)

    def _listed_together(self, head: str, tail: str) -> bool:
        """Whether some listed name holds both words: a word cut in two only stands for a listed
        name's two words (JOHNSON is no JOHN SON where no listed name has both)."""
        first, second = self.postings.get(head), self.postings.get(tail)
        return first is not None and second is not None and first.intersect(second)

    def consonant_regroupings(self, tokens: tuple[str, ...]) -> list[tuple[tuple[str, ...], float, str]]:
        """regroupings for a name read from Arabic or Hebrew, by consonants: two or three words
        joined where a listed word has their consonants (نصر الله / NASRALLAH, عبد الله / ABDULLAH),
        an article between them dropped too (سراج الدين / SIRAJUDDIN)."""
        found: list[tuple[tuple[str, ...], float, str]] = []
        joins: list[tuple[int, int, str]] = []  # (position, words joined, joined)
        for i in range(len(tokens) - 1):
            for width in (2, 3):
                group = tokens[i : i + width]
                if len(group) < width:
                    continue
                for kept in (group, tuple(word for word in group if word != "al")):
                    joined = "".join(kept)
                    if len(kept) >= 2 and consonants(joined) in self._consonant_words:
                        regrouped = (*tokens[:i], joined, *tokens[i + width :])
                        found.append((regrouped, REGROUPED_FACTOR, f"{' '.join(group)} as {joined}"))
                        joins.append((i, width, joined))
        if every_join := _apart(joins):  # رحمت الله کاکا زاده / RAHMATULLAH KAKAZADA: both at once
            found.insert(0, _joined_at(tokens, every_join))
        return found[:_MAX_REGROUPINGS]

    def _query_weight(self, token: str, expansions: dict[str, float]) -> float:
        """A query token weighs what the listed token it most likely stands for weighs (an unlisted
        token: what a token held by a single name weighs)."""
        if not expansions:  # not cached: the weights would keep every unlisted word ever screened
            return self._compute_weight(token)
        if token in expansions:  # the only expansion as similar as 1.0
            return self.weight(token)
        # the word itself last: among equals, the same one whatever order the expansions came in
        best = max(expansions, key=lambda listed: (expansions[listed], -self.document_frequency(listed), listed))
        return self.weight(best)

    def _add_typo_neighbours(self, token: str, found: dict[str, float], how: dict[str, str]) -> None:
        seen: set[str] = set()
        if len(token) >= _LONG_WORD and token not in self.postings:
            # two edits in one long word: single-deletion keys miss some of those
            for listed, edits in self._two_edit_neighbours(token):
                seen.add(listed)
                if allowed_edits(token, listed) >= edits:
                    found[listed], how[listed] = typo_similarity(edits, listed), _TYPOS[edits]
        # the listed words sharing a single-deletion key with the token: one or two edits away
        near = set().union(*[self._deletes.get(variant, ()) for variant in (token, *deletions(token))])
        near.difference_update(seen, found)
        for listed, edits, _ in extract(token, near, scorer=OSA.distance, score_cutoff=2, limit=None):
            if 0 < edits <= allowed_edits(token, listed) and listed in self.postings:
                found[listed], how[listed] = typo_similarity(edits, listed), _TYPOS[edits]

    def _two_edit_neighbours(self, token: str) -> list[tuple[str, int]]:
        """Listed long words one or two edits from token, with the same first letter.

        Split a listed word in two halves: two edits leave one half with one edit at most (a
        transposition across the middle counts as one edit in each half, and the other edit
        then goes to one of them). So a neighbour shares with token a half within one edit,
        found through the single-deletion keys of its halves (see _half_keys); rapidfuzz then
        checks the few that do. The first letter must agree: people rarely mistype it, and a
        wrong first letter plus another typo is too loose a match.
        """
        heads, tails = _probe_half_keys(token)
        near = set().union(*filter(None, map(self._heads.get, heads)), *filter(None, map(self._tails.get, tails)))
        first = token[0]
        return [
            (listed, edits)
            for listed, edits, _ in extract(token, near, scorer=OSA.distance, score_cutoff=2, limit=None)
            if edits > 0 and listed[0] == first and listed in self.postings
        ]

    def _add_fold_typos(self, token: str, found: dict[str, float], how: dict[str, str]) -> None:
        """Listed words whose spelling fold is one letter from the token's (ABDOULAYE / ABDULAI, SEYDOU
        / SAIDU): a romanisation variant and a letter more, for a word the list does not hold."""
        folded = fold(token)
        if len(folded) < _MIN_FOLD_TYPO_LEN:
            return
        # the listed words that are their own fold are in _deletes under the deletions of that fold;
        # those one letter from an unfolded token were found as typos already
        indexes = (self._fold_deletes,) if folded == token else (self._fold_deletes, self._deletes)
        near: set[str] = set()
        for key in (folded, *deletions(folded)):
            for index in indexes:
                words = index.get(key)
                if words:
                    near.update(words)
        for listed in near:  # (the order of expansions is not the order of anything the engine says)
            if listed in found or listed not in self.postings:
                continue
            if OSA.distance(folded, fold(listed), score_cutoff=1) <= 1:
                found[listed], how[listed] = SIM_TWO_EDITS, FOLD_TYPO

    def _add_fold_vowel_variants(self, token: str, found: dict[str, float], how: dict[str, str]) -> None:
        """For a word the list holds, the listed words whose spelling fold is the token's with one vowel
        for another (JAMAL / DJAMEL): a listed word's other letters make other names too often (KAMEL,
        GHASSAN for HASAN, EIRIN for EYRIE)."""
        folded = fold(token)
        if len(folded) < _MIN_FOLD_TYPO_LEN:
            return
        for at, letter in enumerate(folded):
            if letter not in _VOWEL_LETTERS:
                continue
            for other in _VOWELS_IN_ORDER:
                words = self._folds.get(f"{folded[:at]}{other}{folded[at + 1 :]}") if other != letter else None
                for listed in sorted(words or ()):
                    if listed not in found and listed in self.postings:
                        found[listed], how[listed] = SIM_TWO_EDITS, FOLD_TYPO

    def _add_vowel_variants(self, token: str, found: dict[str, float], how: dict[str, str]) -> None:
        """Listed words with the same consonants in the same places and other vowels at two places at
        most, the first letter too (ISKANDER / ESKANDAR, SULAIMAN / SOLEIMAN): romanisations of Arabic and
        Persian names write their short vowels as they hear them, past what one typo allows."""
        mask = vowel_mask(token)
        if mask is None:
            return
        for listed in self._vowel_masks.get(mask, ()):
            if listed in found or listed not in self.postings:
                continue
            changes = sum(1 for mine, theirs in zip(token, listed, strict=True) if mine != theirs)  # one length
            if changes <= _MAX_VOWEL_CHANGES:
                found[listed], how[listed] = typo_similarity(changes, listed), VOWELS

    def _add_sound_alikes(self, token: str, found: dict[str, float], how: dict[str, str]) -> None:
        key = phonetic_key(token)
        if key == token:
            return
        # a shared sound key alone is too loose (PEREZ / PARIS, GEORGE / JORGE): the first letter
        # must agree (hence the bucket) and the spelling be close too
        bucket = self._sounds.get(_sound_bucket(token, key))
        if not bucket:
            return
        for listed, similarity, _ in extract(token, bucket, scorer=ratio, score_cutoff=60, limit=None):
            if listed in found or listed not in self.postings:
                continue
            if similarity >= 70 or same_final_sound(listed, token):
                found[listed], how[listed] = SIM_SOUND_ALIKE, SOUNDS_ALIKE

    def candidates(self, probes: list[TokenProbe], min_coverage: float, two_words: bool) -> BitMap:
        """Names that can still reach min_coverage of the query's weight (and share two words with it).

        Coverage: any group of query tokens weighing more than (1 - min_coverage) of the query must
        be met by a candidate, or what is left cannot reach min_coverage. The tokens are split,
        rarest first, into as many such groups as they make, and a candidate must meet every group.
        Two words: when a match resting on one word cannot reach the score asked for (see
        scoring.SINGLE_TOKEN_CAP), a candidate must hold the expansions of two query tokens, and a
        one-word query can only match one-word names. Every step is a set intersection done in C,
        starting from the smallest, so common words ("JUAN", "TRADING") cost little even in a list
        of a million names.
        """
        if self.every_name_a_candidate:
            return BitMap([name_id for name_id, _ in self.bulk_names()])
        if not probes:
            return BitMap()
        if two_words and len(probes) == 1:
            singles = self.single_postings
            return _union([singles[listed] for listed in probes[0].listed if listed in singles])
        groups = self._coverage_groups(probes, min_coverage)
        if not groups:
            return BitMap()
        if two_words and len(groups) == 1:
            # two groups already mean two query tokens; one group needs the check on its own
            (group,) = groups
            if len(group) > 1:
                return self._held_by_two_within(group, probes)
            groups.append([probe for probe in probes if probe is not group[0]])
        if len(groups) > 1:
            groups.sort(key=_group_size)
        # the smallest group is gathered whole; the others only where they meet it: a typo's
        # expansions may hold a dozen common words, whose union would cost more than the rest
        found = _names_of(groups[0])
        for group in groups[1:]:
            if not found:
                break
            found = _meeting(found, group, self.names)
        if two_words and len(found) > _LARGE_CANDIDATE_SET:
            # groups met through one listed word ("BROWN BROWN", "DAVID DAVIS") narrow nothing:
            # the exact check wants two different listed words, or one the name holds twice
            found = self._held_by_two([_restricted(found, probe) for probe in probes])
        return found

    def held_whole(self, probes: list[TokenProbe]) -> list[int]:
        """Names of two words or more, fewer than the query's, that the query's words may stand for
        in full.

        A listed name the query holds whole, among other words (a second given name, a patronymic,
        a branch), is scored with those words discounted (scoring.EXTRA_QUERY_DISCOUNT), so it may
        cover less of the query than candidates() asks for. Such a name holds its anchor word, so it
        is found through the anchors of the query's expansions; anchors are rare words, so the
        names found are few, and each is kept only if its every word is among the expansions.
        """
        if sum(1 for probe in probes if probe.size) < 2:
            return []
        anchors = self.anchor_postings
        names = self.names
        found = []
        for position, probe in enumerate(probes):
            anchored = probe.anchoring(len(probes), anchors)
            if not anchored:
                continue
            # in C first: the names anchored here that hold another query word's expansion too.
            # Anchored names are few and another word's names may be many (GARCIA in a list of a
            # million): each is met with the few, never gathered into one set
            for at, other in enumerate(probes):
                if at != position and other.size and (within := other.meeting_if_any(anchored, names)):
                    found.append(within)
        if not found:
            return []
        expansions = {word for probe in probes for word in probe.listed}
        held = expansions.issuperset
        return [name_id for name_id in _union(found) if (name := names[name_id]) is not None and held(name.tokens)]

    def _held_by_two_within(self, group: list[TokenProbe], probes: list[TokenProbe]) -> BitMap:
        found = _names_of(group)
        if _pair_cost(probes) < len(found):
            return self._held_by_two(probes) & found
        if len(found) <= _SMALL_CANDIDATE_SET:
            return found
        return self._held_by_two([_restricted(found, probe) for probe in probes])

    def _held_by_two(self, probes: list[TokenProbe]) -> BitMap:
        """Names holding the expansions of two different query tokens (two distinct listed words:
        GARCIA and GARICA both standing for GARCIA need a name with GARCIA twice)."""
        found = BitMap()
        for a, first in enumerate(probes):
            for second in probes[a + 1 :]:
                if second.expansions.keys().isdisjoint(first.listed):
                    # no listed word stands for both: a name holding one of each holds two words,
                    # found in one intersection instead of one per pair of their listed words
                    found |= first.names() & second.names()
                    continue
                for left_word, left in zip(first.listed, first.postings, strict=True):
                    for right_word, right in zip(second.listed, second.postings, strict=True):
                        if left_word != right_word:
                            found |= left & right
                        elif repeated := self.repeat_postings.get(left_word):
                            found |= left & repeated
        return found

    @staticmethod
    def _coverage_groups(probes: list[TokenProbe], min_coverage: float) -> list[list[TokenProbe]]:
        """Groups of query tokens a candidate must meet, one group at least (all the tokens);
        none when a group has no listed word at all, so nothing can meet it."""
        if len(probes) == 1:
            return [probes] if probes[0].size else []
        total = 0.0
        for probe in probes:
            total += probe.weight
        if total <= 0:
            return []
        budget = (1.0 - min_coverage) * total * _GROUP_MARGIN
        groups: list[list[TokenProbe]] = []
        current: list[TokenProbe] = []
        covered = 0.0
        for probe in sorted(probes, key=_probe_size):
            current.append(probe)
            covered += probe.weight
            if covered > budget:
                groups.append(current)
                current, covered = [], 0.0
        if not groups:
            groups.append(current)
        if not all(any(probe.size for probe in group) for group in groups):
            return []
        return groups

    def bulk_names(self) -> Iterable[tuple[int, IndexedName]]:
        for name_id, name in enumerate(self.names):
            if name is not None:
                yield name_id, name


def _probe_size(probe: TokenProbe) -> int:
    return probe.size


def _group_size(group: list[TokenProbe]) -> int:
    return group[0].size if len(group) == 1 else sum(probe.size for probe in group)


def _names_of(group: list[TokenProbe]) -> BitMap:
    """The names holding an expansion of any token of the group (read only)."""
    return group[0].names() if len(group) == 1 else BitMap.union(*[probe.names() for probe in group])


def _meeting(found: BitMap, group: list[TokenProbe], names: list[IndexedName | None]) -> BitMap:
    """The names of found holding an expansion of any token of the group."""
    if len(group) == 1:
        return group[0].meeting(found, names)
    return _union([probe.meeting(found, names) for probe in group])


def _union(postings: tuple[BitMap, ...] | list[BitMap]) -> BitMap:
    """The names in any of postings (a single posting itself: callers only read what they get)."""
    if len(postings) == 1:
        return postings[0]
    if sum(map(len, postings)) > _LARGE_UNION:
        found: BitMap = BitMap.union(*postings)
        return found
    found = BitMap()
    for posting in postings:
        found |= posting
    return found


def _restricted(found: BitMap, probe: TokenProbe) -> TokenProbe:
    """The probe with only the names of found in its postings (for the two-word check on a small set)."""
    kept = tuple(found & posting for posting in probe.postings)
    return TokenProbe(probe.expansions, probe.methods, probe.listed, kept, sum(map(len, kept)), probe.weight)


def _pair_cost(probes: list[TokenProbe]) -> int:
    """About what finding the names held by two query tokens costs: each intersection walks the smaller set."""
    return sum(min(first.size, second.size) for a, first in enumerate(probes) for second in probes[a + 1 :])


def _half_keys(word: str) -> tuple[set[str], set[str]]:
    """Keys of a listed long word: its head and its tail, each whole and less a letter."""
    middle = len(word) // 2
    head, tail = word[:middle], word[middle:]
    return {head, *deletions(head)}, {tail, *deletions(tail)}


def _probe_half_keys(token: str) -> tuple[set[str], set[str]]:
    """Head and tail keys under which the listed long words within two edits of token are found.

    A listed word of length m (token's length, give or take two) has a head of m // 2 letters,
    which is the token's head of that length within one edit: the same, less a letter, or one
    letter longer; so for the tail. The same head and the head less a letter are among the
    deletions of the heads one letter longer: every deletion of those heads is every key.
    """
    lengths = range(max(_LONG_WORD, len(token) - 2), len(token) + 3)
    heads = {token[: length // 2 + longer] for length in lengths for longer in (0, 1)}
    tails = {token[-(length - length // 2 + longer) :] for length in lengths for longer in (0, 1)}
    return _every_deletion(heads), _every_deletion(tails)


def _every_deletion(words: set[str]) -> set[str]:
    """The words less one letter, every letter in turn (deletions of each, in one pass)."""
    return {word[:i] + word[i + 1 :] for word in words for i in range(len(word))}


def _repeated(tokens: tuple[str, ...]) -> set[str]:
    return {token for token in tokens if tokens.count(token) > 1} if len(set(tokens)) < len(tokens) else set()


def _add(postings: dict[str, BitMap], token: str, name_id: int) -> None:
    posting = postings.get(token)
    if posting is None:
        postings[token] = BitMap([name_id])
    else:
        posting.add(name_id)


def _discard(postings: dict[str, BitMap], token: str, name_id: int) -> None:
    posting = postings.get(token)
    if posting is not None:
        posting.discard(name_id)
        if not posting:
            del postings[token]


def _sound_bucket(token: str, key: str) -> str:
    """Sound key and first letter (lower case, the key is upper case): sound-alikes must share both."""
    return token[0] + key


def _apart(joins: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The widest of the joins found at each place, left to right, that overlap none before them;
    none unless there are two at least (one alone is a regrouping already)."""
    kept: list[tuple[int, int, str]] = []
    for join in sorted(joins, key=lambda join: (join[0], -join[1])):  # at each place, the widest
        if not kept or join[0] >= kept[-1][0] + kept[-1][1]:
            kept.append(join)
    return kept if len(kept) >= 2 else []


def _joined_at(tokens: tuple[str, ...], joins: list[tuple[int, int, str]]) -> tuple[tuple[str, ...], float, str]:
    """The tokens with every join of `joins` (apart, in order) made, as a regrouping."""
    words: list[str] = []
    hows: list[str] = []
    position = 0
    for start, width, joined in joins:
        words += tokens[position:start]
        words.append(joined)
        hows.append(f"{' '.join(tokens[start : start + width])} as {joined}")
        position = start + width
    words += tokens[position:]
    return tuple(words), REGROUPED_FACTOR, ", ".join(hows)
