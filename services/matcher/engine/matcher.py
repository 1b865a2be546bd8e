"""MatchingEngine: the watchlist index and the screening of one query against it."""

from __future__ import annotations

import itertools
from bisect import insort
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from pyroaring import BitMap

from services.matcher.engine.evidence import Finding, fuse
from services.matcher.engine.identifiers import (
    DOCUMENT_CLASS,
    SCHEME_LABELS,
    compact,
    identifier_class,
    problem,
)
from services.matcher.engine.index import CONSONANTAL, SYLLABIC, IndexedName, NameIndex, TokenProbe
from services.matcher.engine.models import EntryMatch, ScreeningQuery, trusted
from services.matcher.engine.normalize import (
    cut_legal_form,
    ends_with_word,
    lone_word,
    name_readings,
    unknown_kind_readings,
)
from services.matcher.engine.remarks import remark_aliases
from services.matcher.engine.scoring import (
    MIN_CUT_WORD,
    SINGLE_TOKEN_CAP,
    NameComparison,
    compare_tokens,
    invert,
    lineage_coverage,
    min_query_coverage,
)
from services.matcher.engine.scripts import is_abjad, scripts_in
from services.matcher.engine.syllables import is_syllabic_name
from services.shared.models.alert import Evidence
from services.shared.models.common import EntityKind, Identifier, IdentifierScheme
from services.shared.models.watchlist import NameType, WatchlistEntry

#: the most a name alone can give: even an exact name leaves room for corroboration to rank higher
NAME_CEILING = 0.95
#: OFAC's weak aliases are generic or short: alone they must stay under the threshold
WEAK_ALIAS_FACTOR = 0.8
#: corroboration only counts on top of a name that already resembles the listed one
CORROBORATION_FLOOR = 0.7
#: the shortest name that may have been cut short at a field's width: names are cut at 35 characters
#: in UN/EDIFACT (CUSCAR's party names), at 30 or 40 in other systems; a name of fewer letters than
#: this ending in the start of a listed word is written so on purpose, or mistyped
MIN_CUT_LENGTH = 25

_ID_STRENGTH: dict[IdentifierScheme, float] = {
    IdentifierScheme.IMO: 0.93,
    IdentifierScheme.MMSI: 0.9,
    # call signs are reassigned when a vessel changes flag: enough to alert, ranked below IMO/MMSI
    IdentifierScheme.CALL_SIGN: 0.82,
    IdentifierScheme.CONTAINER: 0.85,
    IdentifierScheme.REGISTRATION: 0.85,
    IdentifierScheme.OTHER: 0.82,
}
_DOCUMENT_STRENGTH = 0.9
_DOB_EXACT = 0.5
_DOB_PARTIAL = 0.3
_COUNTRY_MATCH = 0.25
_DOB_CONTRADICTION = 0.85
_COUNTRY_CONTRADICTION = 0.92
_KIND_CONTRADICTION = {True: 0.7, False: 0.85}  # keyed by "one side is a person"

_NAME_TYPE_WORDS = {
    NameType.PRIMARY: "listed name",
    NameType.AKA: "listed alias (a.k.a.)",
    NameType.FKA: "listed former name (f.k.a.)",
    NameType.NKA: "listed new name (n.k.a.)",
    NameType.WEAK: "listed weak alias",
}

_NAME_TYPE_RANK = {name_type: rank for rank, name_type in enumerate(_NAME_TYPE_WORDS)}


@dataclass(slots=True)
class _Hit:
    """What one entry gathered for a query before it is scored."""

    name: IndexedName | None = None
    comparison: NameComparison | None = None
    identifiers: list[tuple[Identifier, Identifier]] = field(default_factory=list)


class MatchingEngine:
    """Screens names and identifiers against watchlist entries held in memory."""

    def __init__(self, threshold: float = 0.80) -> None:
        self.threshold = threshold
        self._entries: dict[str, WatchlistEntry] = {}
        self._entry_names: dict[str, list[int]] = {}
        #: name id -> the words of its entry's other names it lacks (see scoring.compare_tokens' kin)
        self._kin_words: dict[int, frozenset[str]] = {}
        self._entry_identifier_keys: dict[str, list[tuple[str, str]]] = {}
        self._identifiers: dict[tuple[str, str], set[str]] = {}
        self._index = NameIndex()

    # -- maintenance -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entries

    def get(self, entry_id: str) -> WatchlistEntry | None:
        return self._entries.get(entry_id)

    def entries(self) -> Iterable[WatchlistEntry]:
        return self._entries.values()

    def upsert(self, entry: WatchlistEntry) -> None:
        """Add an entry, or replace the entry with the same entry_id."""
        if entry.entry_id in self._entries:
            self.remove(entry.entry_id)
        self._entries[entry.entry_id] = entry
        name_ids: list[int] = []
        for listed in (*entry.names, *remark_aliases(entry)):
            # a name in another script is indexed once per reading (EVGENIY, YEVGENIY...)
            for tokens in name_readings(listed.name, entry.kind, listed=True):
                is_person = entry.kind is EntityKind.PERSON
                indexed = IndexedName(
                    entry.entry_id, listed.name, listed.name_type, entry.kind, tokens, is_syllabic_name(tokens),
                    is_abjad(listed.name), lone_word(tokens, is_person),
                )
                name_ids.append(self._index.add(indexed))
        self._entry_names[entry.entry_id] = name_ids
        self._note_kin_words(name_ids)
        keys: list[tuple[str, str]] = []
        for identifier in entry.identifiers:
            key = (identifier_class(identifier.scheme), compact(identifier))
            if _matchable(key):
                self._identifiers.setdefault(key, set()).add(entry.entry_id)
                keys.append(key)
        self._entry_identifier_keys[entry.entry_id] = keys

    def _note_kin_words(self, name_ids: list[int]) -> None:
        names = [self._index.names[name_id] for name_id in name_ids]
        entry_words = frozenset(token for name in names if name is not None for token in name.tokens)
        for name_id, name in zip(name_ids, names, strict=True):
            if name is not None and (kin := entry_words.difference(name.tokens)):
                self._kin_words[name_id] = kin

    def remove(self, entry_id: str) -> None:
        """Forget an entry; unknown ids are ignored (a removal may be replayed)."""
        if self._entries.pop(entry_id, None) is None:
            return
        for name_id in self._entry_names.pop(entry_id, []):
            self._index.remove(name_id)
            self._kin_words.pop(name_id, None)
        for key in self._entry_identifier_keys.pop(entry_id, []):
            holders = self._identifiers.get(key)
            if holders is not None:
                holders.discard(entry_id)
                if not holders:
                    del self._identifiers[key]

    def load(self, entries: Iterable[WatchlistEntry]) -> None:
        for entry in entries:
            self.upsert(entry)
        self._index.reanchor()

    # -- screening ---------------------------------------------------------------------------

    @staticmethod
    def validate_identifiers(identifiers: Iterable[Identifier]) -> list[str]:
        """Human-readable problems with the identifiers (bad check digit, wrong length...)."""
        return [found for identifier in identifiers if (found := problem(identifier))]

    def screen(self, query: ScreeningQuery, limit: int = 10, among: Collection[str] | None = None) -> list[EntryMatch]:
        """The `limit` entries scoring best, at least the threshold, best first.

        `among` keeps only those entries (re-screening after they changed), scored against the
        whole index all the same.
        """
        hits: dict[str, _Hit] = {}
        if query.name:
            self._screen_name(query, hits)
        self._screen_identifiers(query, hits)
        if among is not None:
            hits = {entry_id: hit for entry_id, hit in hits.items() if entry_id in among}
        if limit <= 0 or not hits:
            return []
        if len(hits) == 1:
            ((entry_id, hit),) = hits.items()
            match = self._score(query, entry_id, hit)
            return [match] if match is not None else []
        # Scoring in full (evidence, explanation) is the costly part, and a common name may reach
        # the threshold for thousands of entries: entries are scored best bound first, and the
        # rest skipped once none of them could enter the top `limit`, ties included.
        ranked = sorted(
            ((self._score_bound(query, self._entries[entry_id], hit), entry_id, hit) for entry_id, hit in hits.items()),
            key=lambda ranked_hit: (-ranked_hit[0], ranked_hit[1]),
        )
        top: list[EntryMatch] = []
        for bound, entry_id, hit in ranked:
            if bound < self.threshold:
                break
            if len(top) == limit:
                last = top[-1]
                if bound < last.score or (bound == last.score and entry_id > last.entry.entry_id):
                    break
            match = self._score(query, entry_id, hit)
            if match is not None:
                insort(top, match, key=_rank)
                del top[limit:]
        return top

    def _needed_name_score(self, query: ScreeningQuery) -> float:
        """The lowest name score that corroboration could still lift to the threshold."""
        room = 1.0
        if query.date_of_birth:
            room *= 1.0 - _DOB_EXACT
        if query.countries:
            room *= 1.0 - _COUNTRY_MATCH
        needed_probability = 1.0 - (1.0 - self.threshold) / room
        return max(CORROBORATION_FLOOR, min(needed_probability / NAME_CEILING, 1.0))

    def _screen_name(self, query: ScreeningQuery, hits: dict[str, _Hit]) -> None:
        assert query.name is not None
        needed = self._needed_name_score(query)
        abjad = is_abjad(query.name)
        index = self._index
        # a name this long may have been cut short at a field's width, in its last word as written (not
        # a legal form or a branch the tokens leave out); not a syllabic name, whose words are syllables
        long_enough = len(query.name) >= MIN_CUT_LENGTH
        for tokens, persons in _query_readings(query.name, query.kind):
            reading = _reading(tokens, abjad)
            cut = long_enough and len(tokens) >= 2 and reading != SYLLABIC and ends_with_word(query.name, tokens[-1])
            self._screen_tokens(tokens, reading, persons, needed, hits, cut=cut)
            if cut and (count := cut_legal_form(tokens)):  # BUSHRA SHIP MANAGEMENT PRIVATE LIMI
                cut_off = f"{' '.join(tokens[-count:])} left out, a legal form cut short"
                self._screen_tokens(tokens[:-count], reading, persons, needed, hits, 1.0, cut_off)
            if abjad:
                regroupings = index.consonant_regroupings(tokens)
            else:
                regroupings = index.regroupings(tokens, syllabic=reading == SYLLABIC)
            for regrouped, factor, how in regroupings:
                self._screen_tokens(regrouped, _reading(regrouped, abjad), persons, needed, hits, factor, how)

    def _screen_tokens(
        self,
        tokens: tuple[str, ...],
        reading: str,
        persons: bool | None,
        needed: float,
        hits: dict[str, _Hit],
        factor: float = 1.0,
        regrouped: str = "",
        cut: bool = False,
    ) -> None:
        """Compare the listed names found through the index with these query tokens, read as reading
        says (see _reading; persons: only listed persons, or only the others); factor: what a score
        keeps when the tokens are the query's words cut otherwise (see NameIndex.regroupings); cut:
        the last token may be a word cut short (see NameIndex.probe)."""
        if not tokens:
            return
        index = self._index
        probes = [index.probe(token, reading) for token in tokens]
        if cut:
            probes[-1] = index.probe(tokens[-1], reading, cut=True)
        weights = [probe.weight for probe in probes]
        inverse: dict[str, list[tuple[int, float]]] | None = None  # built for the first candidate, if any
        names = index.names
        needed_here = needed / factor
        two_words = needed_here > SINGLE_TOKEN_CAP
        # listed names often share their words ("CICOARMI S.A.", "CICOARMI LTDA."): compared once
        compared: dict[tuple[tuple[str, ...], bool], NameComparison] = {}
        candidates = index.candidates(
            _candidate_probes(tokens, probes, cut), lineage_coverage(tokens, min_query_coverage(needed_here)), two_words
        )
        found: Iterable[int] = candidates
        if len(tokens) >= 3:  # a listed name held whole among extra words (see NameIndex.held_whole)
            found = _also(candidates, index.held_whole(probes))
        for name_id in found:
            name = names[name_id]
            if name is None:
                continue
            is_person = name.kind is EntityKind.PERSON
            if persons is not None and is_person is not persons:
                continue
            comparison = compared.get((name.tokens, is_person))
            if comparison is None:
                if inverse is None:
                    inverse = invert([probe.expansions for probe in probes])
                comparison = self._compare(
                    tokens, inverse, weights, name_id, name, needed, factor, regrouped, probes, cut=cut
                )
                compared[name.tokens, is_person] = comparison
            if comparison.score < needed:
                # the query's other words may be the entry's other names' (not kept: another entry
                # sharing this name has other names), if it has two words of this name and one more;
                # not from consonants alone, which many names share (HAMMAD, AHMED and HAMID are HMD)
                kin = self._kin_words.get(name_id) if len(tokens) >= 3 and reading != CONSONANTAL else None
                if kin is None or inverse is None or kin.isdisjoint(tokens):
                    continue
                comparison = self._compare(
                    tokens, inverse, weights, name_id, name, needed, factor, regrouped, probes, kin, cut
                )
                if comparison.score < needed:
                    continue
            hit = hits.get(name.entry_id)
            if hit is None:
                hits[name.entry_id] = _Hit(name, comparison)
            elif self._better_name(name, comparison, hit):
                hit.name, hit.comparison = name, comparison

    def _compare(
        self,
        tokens: tuple[str, ...],
        inverse: dict[str, list[tuple[int, float]]],
        weights: list[float],
        name_id: int,
        name: IndexedName,
        needed: float,
        factor: float,
        regrouped: str,
        probes: list[TokenProbe],
        kin: frozenset[str] = frozenset(),
        cut: bool = False,
    ) -> NameComparison:
        """The query tokens compared with this listed name (see compare_tokens), as found when the
        score reaches needed, _NOT_ENOUGH or no match otherwise."""
        is_person = name.kind is EntityKind.PERSON
        listed_weights = self._index.name_weights(name_id, name.tokens)
        comparison = compare_tokens(
            tokens, inverse, weights, name.tokens, listed_weights, is_person, needed / factor, name.syllabic,
            name.lone, needs_rarest=not is_person, kin=kin, cut=cut,
        )
        if comparison.score * factor >= needed:
            return _as_found(comparison, factor, regrouped, tokens, probes)
        return _NOT_ENOUGH if comparison.score else comparison

    def _screen_identifiers(self, query: ScreeningQuery, hits: dict[str, _Hit]) -> None:
        for identifier in query.identifiers:
            key = (identifier_class(identifier.scheme), compact(identifier))
            for entry_id in self._identifiers.get(key, ()):
                entry = self._entries[entry_id]
                for listed in entry.identifiers:
                    if (identifier_class(listed.scheme), compact(listed)) != key:
                        continue
                    if identifier.country and listed.country and identifier.country != listed.country:
                        continue  # the same passport number issued by another country is another person
                    hits.setdefault(entry_id, _Hit()).identifiers.append((identifier, listed))
                    break

    @classmethod
    def _better_name(cls, name: IndexedName, comparison: NameComparison, hit: _Hit) -> bool:
        """Whether this name explains the entry's match better than the one kept. Ties go to the
        listed name over aliases, then by text, so the explanation does not depend on the order
        candidates come in."""
        if hit.name is None or hit.comparison is None:
            return True
        new, kept = cls._name_probability(name, comparison), cls._name_probability(hit.name, hit.comparison)
        if new != kept:
            return new > kept
        return (_NAME_TYPE_RANK[name.name_type], name.text) < (_NAME_TYPE_RANK[hit.name.name_type], hit.name.text)

    @staticmethod
    def _name_probability(name: IndexedName | None, comparison: NameComparison | None) -> float:
        if name is None or comparison is None:
            return 0.0
        factor = WEAK_ALIAS_FACTOR if name.name_type is NameType.WEAK else 1.0
        return NAME_CEILING * comparison.score * factor

    # -- evidence ----------------------------------------------------------------------------

    def _score_bound(self, query: ScreeningQuery, entry: WatchlistEntry, hit: _Hit) -> float:
        """The most _score could give this hit: the same findings, every corroboration agreeing."""
        findings = self._findings(query, entry, hit, optimistic=True)
        return round(fuse(findings)[-1], 6) if findings else 0.0

    def _score(self, query: ScreeningQuery, entry_id: str, hit: _Hit) -> EntryMatch | None:
        entry = self._entries[entry_id]
        findings = self._findings(query, entry, hit, optimistic=False)
        if not findings:
            return None
        running = fuse(findings)
        if running[-1] < self.threshold:
            return None
        score = round(running[-1], 6)
        evidence = [
            _evidence(query, finding, after - before)
            for finding, before, after in zip(findings, [0.0, *running], running, strict=False)
        ]
        summary = "; ".join(
            f"{item.explanation} ({'+' if item.contribution >= 0 else ''}{item.contribution:.2f})" for item in evidence
        )
        explanation = f"Matches {entry.primary_name} [{entry.entry_id}] with score {score:.2f}: {summary}."
        # trusted: every field is built here from validated values, and validating them again would
        # cost more than the scoring itself
        return trusted(EntryMatch, entry=entry, score=score, evidence=evidence, explanation=explanation)

    def _findings(self, query: ScreeningQuery, entry: WatchlistEntry, hit: _Hit, optimistic: bool) -> list[Finding]:
        """Supports first (name, identifiers, corroboration), then contradictions. Optimistic: every
        corroboration that could agree is taken to agree, and nothing is phrased (the bound)."""
        supports: list[Finding] = []
        if hit.name is not None and hit.comparison is not None:
            supports.append(self._name_finding(query, hit.name, hit.comparison, explain=not optimistic))
        supports += [_identifier_finding(given, listed) for given, listed in hit.identifiers]
        if not supports:
            return []
        contradictions: list[Finding] = []
        if max(finding.strength for finding in supports) >= NAME_CEILING * CORROBORATION_FLOOR or hit.identifiers:
            if optimistic:
                supports += _possible_corroboration(query, entry)
            else:
                supports += _corroboration(query, entry, contradictions)
        contradictions += _kind_contradiction(query, entry)
        return supports + contradictions

    def _name_finding(
        self, query: ScreeningQuery, name: IndexedName, comparison: NameComparison, explain: bool
    ) -> Finding:
        assert query.name is not None
        probability = self._name_probability(name, comparison)
        method = "name:exact" if comparison.exact else "name:fuzzy"
        if name.name_type is NameType.WEAK:
            method = "name:weak_alias"
        words = _name_words(query.name, name, comparison) if explain else ""
        return Finding(probability, method, query.name, name.text, words)


def _as_found(
    comparison: NameComparison, factor: float, regrouped: str, tokens: tuple[str, ...], probes: list[TokenProbe]
) -> NameComparison:
    """The comparison of query words cut as regrouped (its score times factor, see
    NameIndex.regroupings), with how each of its pairs was found, as the index found it."""
    by_token = dict(zip(tokens, probes, strict=True))
    methods = tuple(by_token[given].methods.get(listed, "") for given, listed, _ in comparison.pairs)
    score = comparison.score * factor
    return NameComparison(
        score, comparison.matched, comparison.exact, comparison.pairs, regrouped, methods, comparison.kin,
        comparison.initials, comparison.beyond_cut, comparison.cut_end,
    )


#: a comparison short of the score asked for (kept so that the same listed words are compared once)
_NOT_ENOUGH = NameComparison(0.0, 0, False, ())


def _name_words(query_name: str, name: IndexedName, comparison: NameComparison) -> str:
    kind_words = _NAME_TYPE_WORDS[name.name_type]
    reading = _reading_words(query_name, comparison)
    if comparison.exact and not reading:
        how = "the same words once case, accents, punctuation, word order, legal forms and particles are ignored"
    else:
        parts = []
        for (given, listed, sim), method in zip(comparison.pairs, comparison.methods or ("",) * 99, strict=False):
            if sim == 1.0:
                parts.append(listed.upper())
            else:
                parts.append(f"{given.upper()}~{listed.upper()} ({method or f'{sim:.0%} similar'})")
        agreeing = {listed for _, listed, _ in comparison.pairs}
        beyond = set(comparison.beyond_cut)
        missing = [token.upper() for token in name.tokens if token not in agreeing and token not in beyond]
        how = f"{reading}{comparison.matched} word(s) agree: {', '.join(parts)}"
        if missing:
            how += f"; listed words absent from the manifest: {', '.join(missing)}"
        if comparison.kin:
            how += f"; manifest words found in the entry's other names: {', '.join(w.upper() for w in comparison.kin)}"
        if comparison.cut_end:
            how += f"; the manifest's name cut short in a word, ending {comparison.cut_end.upper()}"
        if comparison.beyond_cut:
            how += f"; listed words after the cut: {', '.join(word.upper() for word in comparison.beyond_cut)}"
        if comparison.initials:
            initials = ", ".join(f"{initial.upper()} for {listed.upper()}" for initial, listed in comparison.initials)
            how += f"; initials of listed words left out: {initials}"
    if name.name_type is NameType.WEAK:
        how += "; weak aliases are too generic to alert on by themselves"
    return f"name {query_name!r} resembles the {kind_words} {name.text!r} ({comparison.score:.0%} similar): {how}"


def _identifier_finding(given: Identifier, listed: Identifier) -> Finding:
    strength = _ID_STRENGTH.get(given.scheme, _DOCUMENT_STRENGTH)
    label = SCHEME_LABELS[listed.scheme]
    words = f"{SCHEME_LABELS[given.scheme]} {given.value} equals the listed {label} {listed.value}"
    return Finding(strength, f"identifier:{listed.scheme.value}", given.value, listed.value, words)


def _possible_corroboration(query: ScreeningQuery, entry: WatchlistEntry) -> list[Finding]:
    """The corroboration _corroboration could find at best: same date of birth, same country."""
    possible: list[Finding] = []
    if query.date_of_birth and entry.dates_of_birth:
        possible.append(Finding(_DOB_EXACT, "corroboration:dob", "", "", ""))
    if query.countries:
        possible.append(Finding(_COUNTRY_MATCH, "corroboration:country", "", "", ""))
    return possible


def _corroboration(query: ScreeningQuery, entry: WatchlistEntry, contradictions: list[Finding]) -> list[Finding]:
    supports: list[Finding] = []
    if query.date_of_birth and entry.dates_of_birth:
        verdict = _compare_dates(query.date_of_birth, entry.dates_of_birth)
        listed = ", ".join(entry.dates_of_birth)
        if verdict == "exact":
            words = f"same date of birth {query.date_of_birth}"
            supports.append(Finding(_DOB_EXACT, "corroboration:dob", query.date_of_birth, listed, words))
        elif verdict == "partial":
            words = f"date of birth {query.date_of_birth} agrees with the listed {listed} as far as both are known"
            supports.append(Finding(_DOB_PARTIAL, "corroboration:dob", query.date_of_birth, listed, words))
        elif verdict == "different":
            words = f"date of birth {query.date_of_birth} differs from the listed {listed}"
            contradictions.append(
                Finding(_DOB_CONTRADICTION, "contradiction:dob", query.date_of_birth, listed, words, contradicts=True)
            )
    if not query.countries:
        return supports
    listed_countries = _entry_countries(entry)
    given_countries = {country.upper() for country in query.countries}
    if listed_countries:
        given_text, listed_text = ", ".join(sorted(given_countries)), ", ".join(sorted(listed_countries))
        shared = sorted(given_countries & listed_countries)
        if shared:
            flag = entry.vessel_flag in given_countries
            what = "vessel flag" if flag and len(shared) == 1 else "country"
            words = f"same {what} {', '.join(shared)}"
            supports.append(Finding(_COUNTRY_MATCH, "corroboration:country", given_text, listed_text, words))
        else:
            words = f"countries {given_text} differ from the listed {listed_text}"
            contradictions.append(
                Finding(
                    _COUNTRY_CONTRADICTION, "contradiction:country", given_text, listed_text, words, contradicts=True
                )
            )
    return supports


def _kind_contradiction(query: ScreeningQuery, entry: WatchlistEntry) -> list[Finding]:
    factor = _kind_factor(query, entry)
    if factor == 1.0:
        return []
    words = f"the manifest describes a {query.kind.value}, the entry is a {entry.kind.value}"
    return [Finding(factor, "contradiction:kind", query.kind.value, entry.kind.value, words, contradicts=True)]


def _evidence(query: ScreeningQuery, finding: Finding, delta: float) -> Evidence:
    return trusted(
        Evidence,
        where=query.where,
        method=finding.method,
        query_value=finding.query_value,
        matched_value=finding.listed_value,
        contribution=round(delta, 4),
        explanation=finding.words,
    )


#: document numbers shorter than this ("Registration Number 6205") are too common to alert on alone
_MIN_DOCUMENT_LENGTH = 6


def _matchable(key: tuple[str, str]) -> bool:
    scheme_class, value = key
    return bool(value) and (scheme_class != DOCUMENT_CLASS or len(value) >= _MIN_DOCUMENT_LENGTH)


def _query_readings(name: str, kind: EntityKind) -> list[tuple[tuple[str, ...], bool | None]]:
    """The query's tokens, per reading of its script and kind, with the kind of listed names each
    reading is compared with (None: any)."""
    if kind is not EntityKind.UNKNOWN:
        return [(tokens, None) for tokens in name_readings(name, kind)]
    readings: list[tuple[tuple[str, ...], bool | None]] = []
    for as_person, as_entity in unknown_kind_readings(name):
        if as_person is None:
            # "... LLC" or "... S.A. DE C.V." is no person: its person reading is not screened
            readings.append((as_entity, False))
        elif as_person == as_entity:
            readings.append((as_person, None))
        else:
            # each listed name is compared with the reading of the query that fits its kind
            readings += [(as_person, True), (as_entity, False)]
    # a name with an honorific is read twice as a person's and each time alike as an entity's
    return list(dict.fromkeys(readings))


def _reading(tokens: tuple[str, ...], abjad: bool) -> str:
    """How the index is to read the query's tokens (see NameIndex.expand)."""
    return CONSONANTAL if abjad else SYLLABIC if is_syllabic_name(tokens) else ""


def _candidate_probes(tokens: tuple[str, ...], probes: list[TokenProbe], cut: bool) -> list[TokenProbe]:
    """The probes of the query's words but its initials and, when it may have been cut short, a last
    word too short to look up (see scoring.MIN_CUT_WORD), if two words are left: those may stand for
    listed words left out or cut (see scoring.compare_tokens), so a listed name need not meet them to
    cover the query."""
    short_end = cut and 1 < len(tokens[-1]) < MIN_CUT_WORD
    if not short_end and min(map(len, tokens)) > 1:  # most queries: every probe
        return probes
    kept = [probe for token, probe in zip(tokens, probes, strict=True) if len(token) > 1 or not token.isalpha()]
    if short_end:
        kept = kept[:-1]
    return kept if len(kept) >= 2 and len(kept) < len(probes) else probes


def _kind_factor(query: ScreeningQuery, entry: WatchlistEntry) -> float:
    """What a person screened against a vessel (or the like) keeps of its score."""
    unknown = EntityKind.UNKNOWN
    if query.kind in (unknown, entry.kind) or entry.kind is unknown:
        return 1.0
    return _KIND_CONTRADICTION[EntityKind.PERSON in (query.kind, entry.kind)]


def _also(found: BitMap, more: list[int]) -> Iterable[int]:
    """found, then the names of more it lacks."""
    if not more:
        return found
    return itertools.chain(found, [name_id for name_id in more if name_id not in found])


def _rank(match: EntryMatch) -> tuple[float, str]:
    return -match.score, match.entry.entry_id


def _reading_words(query_name: str, comparison: NameComparison) -> str:
    """How the query's words were read before they were compared, if not as written."""
    words = []
    scripts = scripts_in(query_name)
    if scripts:
        read_as = " ".join(given.upper() for given, _, _ in comparison.pairs)
        words.append(f"written in {', '.join(sorted(script.title() for script in scripts))} script, read as {read_as}")
    if comparison.regrouped:
        words.append(f"words cut otherwise: {comparison.regrouped.upper()}")
    return "".join(f"{word}; " for word in words)


def _entry_countries(entry: WatchlistEntry) -> set[str]:
    countries = {*entry.nationalities, *entry.countries}
    countries.update(address.country for address in entry.addresses if address.country)
    if entry.vessel_flag:
        countries.add(entry.vessel_flag)
    return countries


def _compare_dates(given: str, listed: list[str]) -> str | None:
    """'exact', 'partial' (agree as far as both are known), 'different', or None when the years are
    one apart: a common recording error, which neither supports nor contradicts the match."""
    given = given.strip()
    best: str | None = "different"
    for value in listed:
        value = value.strip()
        if value == given:
            return "exact"
        shorter = min(len(value), len(given))
        if shorter >= 4 and value[:shorter] == given[:shorter]:
            best = "partial"
        elif best == "different" and _years_apart(value, given) == 1:
            best = None
    return best


def _years_apart(left: str, right: str) -> int | None:
    if left[:4].isdigit() and right[:4].isdigit():
        return abs(int(left[:4]) - int(right[:4]))
    return None
