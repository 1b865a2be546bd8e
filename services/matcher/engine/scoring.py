"""How much two token lists agree, weighted by how rare each token is.

The name score blends two coverages: how much of the query the listed name explains, and how much
of the listed name the query explains. Extra listed tokens (a middle name, a second surname the
manifest left out) cost less than unexplained query tokens, and a single shared token never makes a
strong match on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Container
from dataclasses import dataclass

from services.matcher.engine.normalize import descriptive_words, generic, generic_or_place, number_forms

#: share of the name score given to covering the query (the rest: covering the listed name)
QUERY_SHARE = 0.6
#: a match resting on one token between multi-token names stays below any sensible threshold
SINGLE_TOKEN_CAP = 0.7
SHORT_SINGLE_NAME_CAP = 0.75
#: words shorter than this are other words a letter away too often to carry a name alone (ARTIN,
#: ARVIN and ARZIN are three tankers)
_SHORT_WORD = 5
#: weight kept by listed words absent from a query whose own words all matched
MISSING_LISTED_DISCOUNT = 0.5
#: weight kept by query words of an Arabic name's lineage (see lineage_start) absent from the listed name
LINEAGE_DISCOUNT = 0.5
#: the words for "son of" and "daughter of" that start the lineage of an Arabic name (its nasab)
LINEAGE_MARKERS: frozenset[str] = frozenset({"bin", "ibn", "ben", "bint", "ould"})
#: the shortest end of a name cut short at a field's width looked up among the listed words it may
#: begin (see NameIndex.probe); a shorter one begins too many, and is read against the next listed word
MIN_CUT_WORD = 4
#: what a score keeps when the query's last word is such an end, too short to pair: the listed word it
#: begins is taken on the word of a letter or three
SHORT_CUT_FACTOR = 0.95
#: weight kept by query words absent from a listed name whose own words all matched: a second given
#: name, a patronymic, a branch ("JOAQUIN ARCHIVALDO GUZMAN LOERA" for "JOAQUIN GUZMAN LOERA")
EXTRA_QUERY_DISCOUNT = 0.5


@dataclass(slots=True, frozen=True)
class NameComparison:
    score: float
    matched: int
    exact: bool
    pairs: tuple[tuple[str, str, float], ...]  # query token, listed token, similarity
    regrouped: str = ""  # how the query's words were cut otherwise to match (see NameIndex.regroupings)
    methods: tuple[str, ...] = ()  # how each pair's query word came to stand for its listed word
    kin: tuple[str, ...] = ()  # query words no listed word explains but the entry's other names do
    initials: tuple[tuple[str, str], ...] = ()  # (query initial, the listed word left out it stands for)
    beyond_cut: tuple[str, ...] = ()  # the listed words after the one the query's name was cut short in
    cut_end: str = ""  # the query's last word, when too short to pair and the start of the first of those


def min_query_coverage(name_threshold: float) -> float:
    """The share of the query's weight below which no listed name can reach name_threshold, unless
    the query holds that name whole (extra query words are discounted then: NameIndex.held_whole
    finds those names)."""
    return max(0.0, (name_threshold - (1.0 - QUERY_SHARE)) / QUERY_SHARE)


def lineage_start(tokens: tuple[str, ...]) -> int:
    """Where the lineage of an Arabic name starts: its first BIN, IBN, BEN, BINT or OULD after the
    first word and before two more (TUAH FEBRIWANSYAH BIN ARIF HASRUDIN: the father's and
    grandfather's names, which lists often leave out; in USAMA BIN LADEN, BIN LADEN is the family
    name); len(tokens) when the name has none."""
    if LINEAGE_MARKERS.isdisjoint(tokens):
        return len(tokens)
    return next((i for i in range(1, len(tokens) - 2) if tokens[i] in LINEAGE_MARKERS), len(tokens))


def lineage_coverage(tokens: tuple[str, ...], min_coverage: float) -> float:
    """The share of the query's weight a listed name must cover (min_query_coverage) once the query
    words it leaves out may be lineage words, which weigh less (LINEAGE_DISCOUNT): a name covering m
    of a weight w has then a coverage of m / (m + d (w - m)) at best."""
    if lineage_start(tokens) == len(tokens) or min_coverage >= 1.0:
        return min_coverage
    kept = LINEAGE_DISCOUNT * min_coverage
    return kept / (1.0 - min_coverage + kept)


def _lineage_relief(query_weights: list[float], matched: Container[int], lineage: int) -> float:
    """What the lineage words (from position lineage on) not in matched weigh less once discounted."""
    left_out = sum(query_weights[i] for i in range(lineage, len(query_weights)) if i not in matched)
    return left_out * (1.0 - LINEAGE_DISCOUNT)


def invert(expansions: list[dict[str, float]]) -> dict[str, list[tuple[int, float]]]:
    """listed token -> the query tokens (position, similarity) it may stand for."""
    inverse: dict[str, list[tuple[int, float]]] = {}
    for position, options in enumerate(expansions):
        for listed, sim in options.items():
            inverse.setdefault(listed, []).append((position, sim))
    return inverse


def compare_tokens(
    query_tokens: tuple[str, ...],
    inverse: dict[str, list[tuple[int, float]]],
    query_weights: list[float],
    listed_tokens: tuple[str, ...],
    listed_weights: tuple[float, ...],
    listed_is_person: bool,
    at_least: float = 0.0,
    syllabic: bool = False,
    lone: str | None = None,
    needs_rarest: bool = False,
    kin: Collection[str] = (),
    cut: bool = False,
) -> NameComparison:
    """How well the listed name explains the query and the other way round; a score of 0 when it
    could not reach `at_least` anyway (decided before pairing the words up).

    listed_is_person: listed words the query lacks cost half (a middle name left out); syllabic:
    the listed name is a Korean, Chinese or Vietnamese one, where a syllable left out makes
    another name (KIM CHOL is not KIM CHOL NAM), unless the query is the name in Western order
    (see _given_name_split); lone: the listed name's lone word (see
    normalize.lone_word); needs_rarest: the listed name is a company's or a vessel's, which the
    query must name by its rarest word (PENTA OCEAN SHIP MANAGEMENT is not OCEAN SHIP MANAGEMENT);
    kin: the words of the entry's other names, which explain the query's other words (see
    _kin_positions); cut: the query may have been cut short at a field's width, in its last word (see
    _cut_place): the listed name is then compared as cut at the same place, the words after it
    neither missing nor told apart (at best all of them, for the bound)."""
    # (-(weight * similarity), query position, listed position, similarity): pairs are taken
    # greedily, the heaviest first, each token of either side used once
    candidates: list[tuple[float, int, int, float]] = []
    explainable = 0.0  # the listed weight any query word could explain
    explained: set[int] = set()  # the query positions standing for some listed word
    every_listed_word = True
    for j, listed in enumerate(listed_tokens):
        options = inverse.get(listed)
        if options:
            explainable += listed_weights[j]
            for i, sim in options:
                candidates.append((-query_weights[i] * sim, i, j, sim))
                explained.add(i)
        else:
            every_listed_word = False
    if not candidates:
        return _NO_MATCH
    # the query words no listed word explains: discounted at best when the listed name may be whole
    # in the query (the margin: the bound adds the same weights in another order than the score)
    unexplained = sum(query_weights)
    for i in explained:
        unexplained -= query_weights[i]
    by_kin = _kin_positions(query_tokens, kin, explained)
    for i in by_kin:
        unexplained -= query_weights[i]
    # a person's initials that may stand for listed words (at best all of them, for the bound)
    initials = _initial_positions(query_tokens, listed_tokens, explained | by_kin) if listed_is_person else []
    for i in initials:
        unexplained -= query_weights[i]
    last = len(query_tokens) - 1
    if cut:  # only where a listed word begins with the query's last word: the bound stays tight elsewhere
        cut = _begins_a_word(query_tokens[last], listed_tokens)
    if cut and last not in explained and last not in by_kin and last not in initials:
        unexplained -= query_weights[last]  # the start of a listed word, at best
    lineage = lineage_start(query_tokens)
    if lineage < len(query_tokens):
        unexplained -= _lineage_relief(query_weights, explained | by_kin, lineage)
    if every_listed_word and len(listed_tokens) >= 2 and len(explained) >= 2:
        unexplained *= EXTRA_QUERY_DISCOUNT
    # a syllabic name's missing syllables cost half only in Western order, from a two-word query
    discounted = listed_is_person and (not syllabic or len(query_tokens) == 2)
    acronym = 0.0 if listed_is_person else _acronym_weight(listed_tokens, listed_weights)
    # the listed name's own lineage but its last word, the family name, which a query may leave out
    # (at best all of it, for the bound)
    listed_lineage = lineage_start(listed_tokens) if discounted else len(listed_tokens)
    lineage_relief = (1.0 - LINEAGE_DISCOUNT) * sum(listed_weights[listed_lineage:-1])
    listed_sum = sum(listed_weights) - acronym
    if cut:
        listed_sum = min(listed_sum, explainable)
    if _best_possible(explainable, unexplained, listed_sum - lineage_relief, discounted) < at_least - 1e-9:
        return _NO_MATCH
    if len(candidates) > 1:
        candidates.sort()
    query_used = [False] * len(query_tokens)
    listed_used = [False] * len(listed_tokens)
    pairs: list[tuple[str, str, float]] = []
    matched_weight = 0.0  # similarity-weighted
    matched_plain = 0.0
    cut_at = -1
    for _, i, j, sim in candidates:
        if query_used[i] or listed_used[j]:
            continue
        query_used[i] = listed_used[j] = True
        if i == last:
            cut_at = j
        weight = listed_weights[j]
        matched_weight += weight * sim
        matched_plain += weight
        pairs.append((query_tokens[i], listed_tokens[j], sim))
    if len(pairs) < 2:
        by_kin = set()  # the listed name itself must be in the query by two words at least
    by_initial: dict[int, int] = {}
    if len(pairs) >= 2:  # and an initial stands for a word of it only then
        by_initial = _initials_left_out(query_tokens, listed_tokens, initials, query_used, listed_used)
    listed_length, cut_word, fragment = len(listed_tokens), "", False
    if cut and last not in by_initial:
        listed_length, cut_word, fragment = _cut_place(query_tokens, listed_tokens, query_used, listed_used, cut_at)
    unmatched_query = 0.0
    for i, weight in enumerate(query_weights):
        if not query_used[i] and i not in by_kin and i not in by_initial and not (fragment and i == last):
            unmatched_query += weight
    if lineage < len(query_tokens):
        accounted = {i for i, used in enumerate(query_used) if used} | by_kin | by_initial.keys()
        unmatched_query -= _lineage_relief(query_weights, accounted, lineage)
    if unmatched_query and len(pairs) >= 2 and len(pairs) == len(listed_tokens):
        # every listed word is in the query: what the query has on top is a second given name,
        # a patronymic, a title or a branch more often than another party
        unmatched_query *= EXTRA_QUERY_DISCOUNT
    query_cover = matched_weight / (matched_plain + unmatched_query)
    listed_total = sum(listed_weights)
    if acronym and not listed_used[-1]:
        listed_total -= acronym  # the name's own initials, which a query writing the name leaves out
    beyond: list[int] = []
    if listed_length < len(listed_tokens):  # the listed name as cut where the query's was
        beyond = [j for j in range(listed_length, len(listed_tokens)) if not listed_used[j]]
        for j in beyond:
            listed_used[j] = True
            listed_total -= listed_weights[j]
    western_order = syllabic and listed_is_person and _given_name_split(query_tokens, listed_tokens, pairs)
    if listed_is_person and (not syllabic or western_order) and unmatched_query == 0.0 and len(pairs) >= 2:
        # every word of the query is in the listed person's name: what the listed name has on top
        # is most likely a middle name or second surname the manifest left out, which costs half.
        # Not so for companies: a missing distinctive word (COMPUTER, PIEDRA) is another company,
        # nor for a Korean or Chinese name in its own order: a missing syllable is another name.
        # (and the father's and grandfather's names a lineage adds weigh half again once the query has
        # the person's own name: NOUREDDINE AL-DRISSI for NOUREDDINE BEN ALI BEN BELKASSEM AL-DRISSI)
        left_out_lineage = 0.0
        if all(listed_used[:listed_lineage]):
            left_out_lineage = sum(
                listed_weights[j] for j in range(listed_lineage, len(listed_tokens) - 1) if not listed_used[j]
            )
        missing_weight = listed_total - matched_plain - (1.0 - LINEAGE_DISCOUNT) * left_out_lineage
        listed_total = matched_plain + missing_weight * MISSING_LISTED_DISCOUNT
    listed_cover = matched_weight / listed_total
    score = QUERY_SHARE * query_cover + (1.0 - QUERY_SHARE) * listed_cover
    # one word in common is weak, unless it is all the query has and all the listed name has
    # besides descriptive words (ANDES COMPANY for ANDES ENGINEERING COMPANY)
    found_by_lone_word = unmatched_query == 0.0 and pairs[0][1] == lone if len(pairs) == 1 else False
    if len(pairs) == 1 and (len(query_tokens) > 1 or len(listed_tokens) > 1) and not found_by_lone_word:
        score = min(score, SINGLE_TOKEN_CAP)
    if syllabic and not western_order and _syllable_left_out(listed_tokens, listed_used, by_initial.values()):
        score = min(score, SINGLE_TOKEN_CAP)
    # every word of either name paired (but the end of a word the query was cut in)
    whole = len(pairs) == len(query_tokens) - fragment == listed_length
    if fragment:
        score *= SHORT_CUT_FACTOR
    exact = whole and not fragment and all(sim == 1.0 for *_, sim in pairs)
    if not exact:
        if all(generic(listed) for _, listed, _ in pairs) and not (whole and _in_other_number(pairs, cut_word)):
            # "GLOBAL SERVICES" is not "GLOBAL MARINE SERVICES": generic words alone prove nothing,
            # unless they are the listed name's very words, some in the other number (STATE
            # ENTERPRISE FOR AUTOMOTIVE INDUSTRIES for ... INDUSTRY)
            score = min(score, SINGLE_TOKEN_CAP)
        if len(pairs) == 1 and len(listed_tokens[0]) < 4 and not (found_by_lone_word and pairs[0][2] == 1.0):
            # a short word one typo away is another word too often; a company's short lone word
            # met exactly is the company filed without its descriptive words (NPV for NPV ENGINEERING)
            score = min(score, SHORT_SINGLE_NAME_CAP)
        if len(pairs) == 1 and pairs[0][2] < 1.0 and len(pairs[0][1]) < _SHORT_WORD and _spelled(pairs[0][0]):
            # nor is a name resting on one short word a letter away: GEMMA is not EMMA, SIGMA not SIMA
            # (a word read from Arabic script is its consonants, which stand for the word itself)
            score = min(score, SHORT_SINGLE_NAME_CAP)
        words_left_out = listed_length > len(pairs)
        if needs_rarest and words_left_out and _rarest_left_out(listed_tokens, listed_weights, listed_used):
            score = min(score, SINGLE_TOKEN_CAP)
        if needs_rarest and words_left_out and all(generic_or_place(listed) for _, listed, _ in pairs):
            # KOREA TRADING CO is not KOREA MINING DEVELOPMENT TRADING CORPORATION, nor MARINE HONG KONG
            # LTD HONG KONG ELECTRONICS: a company's place and trade, however rare in the list, name
            # another company as well once the listed name has words the query lacks
            score = min(score, SINGLE_TOKEN_CAP)
        if (
            needs_rarest
            and words_left_out
            and score > SINGLE_TOKEN_CAP  # (the tagging of the listed name is looked up only when it may count)
            and _named_by_description(pairs, listed_tokens, listed_used, unmatched_query > 0.0)
        ):
            # the same with a wider sense of what describes a company, once what the query lacks names
            # it or the query has words of its own: another company of that trade
            score = min(score, SINGLE_TOKEN_CAP)
    kin_words = tuple(query_tokens[i] for i in sorted(by_kin) if not query_used[i])
    initials_for: tuple[tuple[str, str], ...] = ()
    if by_initial:
        initials_for = tuple((query_tokens[i], listed_tokens[j]) for i, j in sorted(by_initial.items()))
    beyond_cut = tuple(listed_tokens[j] for j in beyond) if beyond else ()
    cut_end = query_tokens[last] if fragment else ""
    return NameComparison(
        score, len(pairs), exact, tuple(pairs), kin=kin_words, initials=initials_for, beyond_cut=beyond_cut,
        cut_end=cut_end,
    )


_NO_MATCH = NameComparison(0.0, 0, False, ())


def _kin_positions(query_tokens: tuple[str, ...], kin: Collection[str], explained: Container[int]) -> set[int]:
    """The query positions no word of the listed name explains but a word of the entry's other names
    is, as written: a query naming one person by two of the names a list gives him (ABU AL-ATHIR AMR
    AL-ABSI: the kunya ABU AL-ATHIR is a weak alias, AMR AL-ABSI an alias; RUKAN RAZUQI ABD AL-GHAFUR
    AL-MAJID, the family name from another alias) has no word of another party."""
    return {i for i, token in enumerate(query_tokens) if token in kin and i not in explained}


def _initial_positions(
    query_tokens: tuple[str, ...], listed_tokens: tuple[str, ...], explained: Container[int]
) -> list[int]:
    """The query positions holding a single letter no listed word explains but that begins one
    (RAED M. HIJAZI for RAED MUHAMMAD HASAN MUHAMMAD HIJAZI)."""
    if min(map(len, query_tokens)) > 1:  # most queries: nothing more to work out
        return []
    initials = {listed[0] for listed in listed_tokens if len(listed) > 1}
    return [
        i
        for i, token in enumerate(query_tokens)
        if len(token) == 1 and token in initials and token.isalpha() and i not in explained
    ]


def _initials_left_out(
    query_tokens: tuple[str, ...],
    listed_tokens: tuple[str, ...],
    initials: list[int],
    query_used: list[bool],
    listed_used: list[bool],
) -> dict[int, int]:
    """Query initial position -> the listed word it stands for, one each, among the listed words no
    query word was paired with: a manifest writing a middle name as its initial has no word of
    another party (the listed word stays left out, and costs what a missing middle name costs)."""
    found: dict[int, int] = {}
    for i in initials:
        if query_used[i]:
            continue
        letter = query_tokens[i]
        for j, listed in enumerate(listed_tokens):
            if not listed_used[j] and j not in found.values() and len(listed) > 1 and listed[0] == letter:
                found[i] = j
                break
    return found


def _spelled(token: str) -> bool:
    """Whether a query word is written out with its vowels, not the consonants of a word written in
    Arabic or Hebrew (normalize.consonants)."""
    return any(letter in "aeiouy" for letter in token)


def begins(given: str, listed: str) -> bool:
    """Whether a query word is the start of a longer listed word (TRANSPOR of TRANSPORTES)."""
    return len(listed) > len(given) and listed.startswith(given)


def _begins_a_word(given: str, listed_tokens: tuple[str, ...]) -> bool:
    return any(begins(given, listed) for listed in listed_tokens)


def _cut_place(
    query_tokens: tuple[str, ...],
    listed_tokens: tuple[str, ...],
    query_used: list[bool],
    listed_used: list[bool],
    cut_at: int,
) -> tuple[int, str, bool]:
    """Where a query that may have been cut short at a field's width cuts the listed name: (the
    listed words kept, the listed word its last word is the start of, whether its last word is an
    end too short to pair, left as such). Its last word paired with a listed word it is the start of
    (DEVELOPM for DEVELOPMENT), the listed name is cut after that word; its last word shorter than
    MIN_CUT_WORD and the start of the listed word after the last one paired (CAJ in ... CREDITO CAJ
    for ... CREDITO CAJA RURAL), before that word. The whole listed name otherwise."""
    given = query_tokens[-1]
    if cut_at >= 0:
        listed = listed_tokens[cut_at]
        if begins(given, listed):
            return cut_at + 1, listed, False
        return len(listed_tokens), "", False
    if query_used[-1] or len(given) >= MIN_CUT_WORD:
        return len(listed_tokens), "", False
    after = max((j for j, used in enumerate(listed_used) if used), default=-1) + 1
    if after < len(listed_tokens) and begins(given, listed_tokens[after]):
        return after, "", True
    return len(listed_tokens), "", False


def _in_other_number(pairs: list[tuple[str, str, float]], cut_word: str = "") -> bool:
    """Whether each query word of the pairs is its listed word, or that word in the other number,
    or the start of cut_word, the listed word the query's name was cut short in."""
    return all(sim == 1.0 or listed == cut_word or listed in number_forms(given) for given, listed, sim in pairs)


def _acronym_weight(listed_tokens: tuple[str, ...], listed_weights: tuple[float, ...]) -> float:
    """The weight of a listed organisation's last word if it is the initials of the others (DCB in
    DAEDONG CREDIT BANK (DCB), AMIG in AMMUNITION AND METALLURGY INDUSTRIES GROUP (AMIG): particles are
    gone), which says nothing the other words do not; 0 otherwise."""
    last = listed_tokens[-1]
    if len(listed_tokens) < 3 or len(last) != len(listed_tokens) - 1:
        return 0.0
    if any(last[i] != token[0] for i, token in enumerate(listed_tokens[:-1])):
        return 0.0
    return listed_weights[-1]


def _syllable_left_out(listed_tokens: tuple[str, ...], used: list[bool], initialled: Collection[int]) -> bool:
    """Whether a listed word the query lacks is a syllable of the name, not a descriptive word
    (SHIPPING in JUI CHENG SHIPPING parses as syllables, and a company filed without it is itself),
    nor one the query gives the initial of (KIM C. NAM for KIM CHOL NAM)."""
    return any(not used[j] and j not in initialled and not generic(token) for j, token in enumerate(listed_tokens))


def _given_name_split(
    query_tokens: tuple[str, ...], listed_tokens: tuple[str, ...], pairs: list[tuple[str, str, float]]
) -> bool:
    """Whether the query is the Western form of a listed Korean or Chinese name: given name first,
    family name last, and the given name's second syllable left out as if it were a middle name
    (CHUN CHOE for CHOE CHUN YONG), as forms with a first, a middle and a last name split it. Written
    in the name's own order (KIM CHOL for KIM CHOL NAM), the missing syllable makes another name."""
    if len(query_tokens) != 2 or len(listed_tokens) != 3 or len(pairs) != 2:
        return False
    listed_for = {given: listed for given, listed, _ in pairs}
    return listed_for.get(query_tokens[1]) == listed_tokens[0] and listed_for.get(query_tokens[0]) == listed_tokens[1]


def _rarest_left_out(listed_tokens: tuple[str, ...], listed_weights: tuple[float, ...], used: list[bool]) -> bool:
    """Whether the listed name's rarest word, unless a generic one, has no query word: what is left
    then is how the company describes itself (its trade, its place), which other companies share."""
    rarest = max(range(len(listed_tokens)), key=listed_weights.__getitem__)
    return not used[rarest] and not generic(listed_tokens[rarest])


def _named_by_description(
    pairs: list[tuple[str, str, float]], listed_tokens: tuple[str, ...], used: list[bool], query_has_more: bool
) -> bool:
    """Whether the query meets a company's name on words that describe it alone (its trade, its
    goods, its kind of body, its place: normalize.descriptive_words) while the listed name has a
    word the query lacks that names it (MINISTRY OF MARITIME TRANSPORTATION is not MINISTRY OF LAND
    AND MARITIME TRANSPORTATION, nor HONG KONG TEXTILE COMPANY HONG PANG TEXTILE COMPANY), or while
    the query has words of its own as well (query_has_more): two companies described alike (REAL
    ESTATE DEVELOPMENT is not REAL ESTATE FINANCE). A name made of descriptive words alone stays
    itself without one of them (ISLAMIC REGIONAL COOPERATION for ISLAMIC REGIONAL COOPERATION BANK)."""
    described = descriptive_words(listed_tokens)
    if not all(listed in described for _, listed, _ in pairs):
        return False
    return query_has_more or any(not used[j] and token not in described for j, token in enumerate(listed_tokens))


def _best_possible(explainable: float, unexplained: float, listed_total: float, listed_is_person: bool) -> float:
    """The most compare_tokens could score: every explainable listed word paired at similarity 1,
    the query words that no listed word explains left over (a person's other words counting half,
    at best)."""
    query_cover = explainable / (explainable + unexplained) if explainable + unexplained > 0.0 else 1.0
    if listed_total <= 0.0:
        return QUERY_SHARE * query_cover + (1.0 - QUERY_SHARE)
    if listed_is_person:
        listed_total = 0.5 * (listed_total + explainable)
    return QUERY_SHARE * query_cover + (1.0 - QUERY_SHARE) * min(1.0, explainable / listed_total)
