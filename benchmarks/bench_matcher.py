"""Party lookups per second on one core, p50/p99 latency, index build time and memory.

    python -m benchmarks.bench_matcher                     # OFAC SDN list, then 1,000,000 generated entries
    python -m benchmarks.bench_matcher --entries 100000    # a smaller generated list, quickly

The same lookups also go through a naive baseline measured in the same run: rapidfuzz
`process.extractOne` (token_sort_ratio, score_cutoff) over every listed name, and the ratio of the
two speeds is printed. The baseline runs on a sample of the lookups, since it is slow by design.

Lookups: a fifth are listed names with a typo or in another order, the rest are parties on no list
(see `lookups`). Before measuring, 2,000 other lookups warm the engine's word caches, as in a
matcher that has been running; each measured lookup is then screened once.

The engine measured is the one `make setup` compiled with mypyc (the heading says which build
ran); INTERDICT_MATCHER_COMPILED=0 measures its Python source instead.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable

from normality import ascii_text
from rapidfuzz import fuzz, process

from benchmarks.queryset import (
    COMPANY_WORDS,
    GIVEN_NAMES,
    LEGAL_FORMS,
    SURNAMES,
    load_ofac,
    with_typos,
)
from services.matcher.engine import BUILD as ENGINE_BUILD
from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.matcher.engine.normalize import name_tokens
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, NameType, WatchlistEntry

WARM_UP_LOOKUPS = 2_000
SYLLABLES = [c + v for c in "bcdfghjklmnprstvz" for v in "aeiou"] + ["an", "el", "or", "in", "ar", "us"]


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def invented_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).upper()


class ZipfDraws:
    """Draw words with frequency proportional to 1/rank (Zipf's law, as names follow), mixed with
    uniform draws so that the most common word's share matches the profile asked for."""

    def __init__(self, pool: list[str], zipf_share: float, rng: random.Random) -> None:
        self.pool, self.zipf_share, self.rng = pool, zipf_share, rng
        self.cumulative = list(itertools.accumulate(1.0 / rank for rank in range(1, len(pool) + 1)))

    def __call__(self) -> str:
        if self.rng.random() < self.zipf_share:
            return self.rng.choices(self.pool, cum_weights=self.cumulative)[0]
        return self.rng.choice(self.pool)


#: share of Zipf draws. "ofac": the most common word of a person's name is in about 5% of the
#: names, as on the OFAC SDN list (ABU 5.5%, ALI 4.1%, MUHAMMAD 4.1% of person names; TRADING 3%
#: of organisations). "heavy": a stress profile where GARCIA is in about a sixth of person names.
PROFILES = {"ofac": 0.3, "heavy": 1.0}


def generated_entries(count: int, seed: int, profile: str = "ofac") -> list[WatchlistEntry]:
    """Persons and companies with a realistic mix of common and rare words."""
    rng = random.Random(seed)
    share = PROFILES[profile]
    surname = ZipfDraws(list(SURNAMES) + [invented_word(rng) for _ in range(60_000)], share, rng)
    given = ZipfDraws(list(GIVEN_NAMES) + [invented_word(rng).title() for _ in range(6_000)], share, rng)
    org_word = ZipfDraws([invented_word(rng) for _ in range(120_000)], share, rng)

    template = WatchlistEntry(entry_id="gen:template", list_id="gen", kind=EntityKind.PERSON,
                              names=[EntryName(name="TEMPLATE")], owner_country="US")
    entries = []
    for number in range(count):
        if rng.random() < 0.6:
            name = f"{surname()} {surname()}, {given()} {given() if rng.random() < 0.5 else ''}"
            kind = EntityKind.PERSON
        else:
            words = [org_word()] + ([rng.choice(COMPANY_WORDS)] if rng.random() < 0.7 else [])
            words += [org_word()] if rng.random() < 0.4 else []
            name, kind = f"{' '.join(words)} {rng.choice(LEGAL_FORMS)}", EntityKind.ORGANIZATION
        # copies of one validated entry: the generated data is valid by construction, and
        # validating a million models (or model_construct, which inspects every default factory
        # it fills) would take longer than the benchmark itself
        names = [EntryName.model_construct(name=name.strip(), name_type=NameType.PRIMARY)]
        entries.append(template.model_copy(update={"entry_id": f"gen:{number}", "kind": kind, "names": names}))
    return entries


def word_profile(entries: list[WatchlistEntry]) -> str:
    """The most common words of person names and their share: how skewed the list is."""
    counts: Counter[str] = Counter()
    persons = 0
    for entry in entries:
        if entry.kind is EntityKind.PERSON:
            persons += 1
            counts.update(set(name_tokens(entry.names[0].name, EntityKind.PERSON)))
    top = ", ".join(f"{word.upper()} {count / max(persons, 1):.1%}" for word, count in counts.most_common(4))
    return f"most common words of person names: {top}"


def lookups(entries: list[WatchlistEntry], count: int, seed: int) -> list[ScreeningQuery]:
    """A fifth listed names with a typo or reordered, the rest parties that are not listed: most
    parties on a manifest are not on any list."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        if rng.random() < 0.2:
            listed = rng.choice(entries).names[0].name.replace(",", "")
            name = with_typos(listed, 1, rng) or listed
        elif rng.random() < 0.5:
            name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        else:
            name = f"{rng.choice(SURNAMES)} {rng.choice(COMPANY_WORDS)} {rng.choice(LEGAL_FORMS)}"
        queries.append(ScreeningQuery(name=name))
    return queries


def timed(run: Callable[[ScreeningQuery], object], queries: list[ScreeningQuery]) -> tuple[float, float, float]:
    latencies = []
    started = time.perf_counter()
    for query in queries:
        begin = time.perf_counter_ns()
        run(query)
        latencies.append(time.perf_counter_ns() - begin)
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(queries) / elapsed, statistics.median(latencies) / 1e3, p99 / 1e3


def bench(title: str, entries: list[WatchlistEntry], lookup_count: int, baseline_count: int, seed: int) -> None:
    gc.unfreeze()
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    engine = MatchingEngine()
    engine.load(entries)
    build = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # as the matcher does once its replica is loaded
    memory = rss_bytes() - before
    queries = lookups(entries, lookup_count, seed)
    # a matcher that has been running has seen the common words before: other lookups (another
    # seed) warm those caches; the measured ones still bring their own typos and rare words
    for query in lookups(entries, WARM_UP_LOOKUPS, seed + 1):
        engine.screen(query)
    rate, p50, p99 = timed(engine.screen, queries)

    names = [ascii_text(name.name).lower() for entry in entries for name in entry.names]

    def naive(query: ScreeningQuery) -> object:
        return process.extractOne(ascii_text(query.name or "").lower(), names, scorer=fuzz.token_sort_ratio,
                                  score_cutoff=85)

    base_rate, base_p50, base_p99 = timed(naive, queries[:baseline_count])
    print(f"\n== {title}: {len(entries):,} entries, {len(names):,} names; engine {ENGINE_BUILD} ==")
    print(f"index build        {build:8.2f} s   memory (RSS delta) {memory / 2**20:,.0f} MiB")
    print(f"engine             {rate:10,.0f} lookups/s   p50 {p50:8.1f} us   p99 {p99:8.1f} us"
          f"   ({len(queries):,} lookups)")
    print(f"naive rapidfuzz    {base_rate:10,.1f} lookups/s   p50 {base_p50:8.1f} us   p99 {base_p99:8.1f} us"
          f"   ({baseline_count:,} lookups)")
    print(f"speed-up           {rate / base_rate:10,.0f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000, help="size of the generated list")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--baseline-lookups", type=int, default=None, help="default: scaled to the list size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-ofac", action="store_true")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ofac",
                        help="how skewed the generated names are (see PROFILES)")
    args = parser.parse_args()
    if not args.skip_ofac:
        bench("OFAC SDN", load_ofac(), args.lookups, args.baseline_lookups or 500, args.seed)
    if args.entries:
        started = time.perf_counter()
        entries = generated_entries(args.entries, args.seed, args.profile)
        print(f"\n(generated {len(entries):,} entries in {time.perf_counter() - started:.1f} s, "
              f"profile {args.profile}; {word_profile(entries)})")
        baseline = args.baseline_lookups or max(10, min(500, 5_000_000 // args.entries))
        bench("generated list", entries, args.lookups, baseline, args.seed)


if __name__ == "__main__":
    main()
