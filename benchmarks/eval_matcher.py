"""Precision, recall and F1 of the matching engine on a labelled OFAC SDN query set.

    python -m benchmarks.eval_matcher [--per-change 300] [--negatives 3000] [--nomenklatura-sample N]

A positive query counts as found when its listed entry is among the engine's matches; a query whose
matches do not include the expected entry (every negative with a match, every positive matched only
to other entries) counts as a false alert. The same set, or a deterministic sample of it, goes
through OpenSanctions nomenklatura (logic-v2) over the top 20 candidates rapidfuzz proposes.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.queryset import KINDS_OF_CHANGE, LabelledQuery, build, load_ofac
from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.shared.models.watchlist import WatchlistEntry

NOMENKLATURA_THRESHOLD = 0.7  # yente's default match threshold for logic-v2


@dataclass
class Tally:
    true_positive: int = 0
    false_negative: int = 0
    false_alert: int = 0
    queries: int = 0

    def add(self, query: LabelledQuery, matched: list[str]) -> None:
        self.queries += 1
        if query.expected is not None:
            if query.expected in matched:
                self.true_positive += 1
                return
            self.false_negative += 1
        if matched:
            self.false_alert += 1

    @property
    def precision(self) -> float:
        alerts = self.true_positive + self.false_alert
        return self.true_positive / alerts if alerts else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(
    queries: list[LabelledQuery], match: Callable[[LabelledQuery], list[str]]
) -> tuple[dict[str, Tally], float, list[tuple[LabelledQuery, list[str]]]]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    misses: list[tuple[LabelledQuery, list[str]]] = []
    started = time.perf_counter()
    for query in queries:
        matched = match(query)
        for key in ("overall", query.change, "held_out" if query.held_out else "tuned_on"):
            if key in ("held_out", "tuned_on") and query.expected is None:
                continue
            tallies[key].add(query, matched)
        if (query.expected is not None and query.expected not in matched) or (query.expected is None and matched):
            misses.append((query, matched))
    per_query = (time.perf_counter() - started) / max(len(queries), 1)
    return tallies, per_query, misses


def print_table(title: str, tallies: dict[str, Tally], per_query: float) -> None:
    print(f"\n== {title}: {per_query * 1e3:.3f} ms per query ==")
    print(f"{'kind of change':<24}{'queries':>8}{'precision':>11}{'recall':>9}{'F1':>8}")
    order = ["overall", *KINDS_OF_CHANGE, "negative", "negative_hard", "held_out", "tuned_on"]
    for key in order:
        if key in tallies:
            t = tallies[key]
            recall = f"{t.recall:.4f}" if key not in ("negative", "negative_hard") else "-"
            print(f"{key:<24}{t.queries:>8}{t.precision:>11.4f}{recall:>9}{t.f1 if recall != '-' else 0:>8.4f}")


def engine_matcher(entries: list[WatchlistEntry]) -> Callable[[LabelledQuery], list[str]]:
    engine = MatchingEngine()
    started = time.perf_counter()
    engine.load(entries)
    print(f"engine index built over {len(entries)} entries in {time.perf_counter() - started:.2f} s")

    def match(query: LabelledQuery) -> list[str]:
        screening = ScreeningQuery(name=query.name, kind=query.kind, identifiers=query.identifiers)
        return [found.entry.entry_id for found in engine.screen(screening)]

    return match


def nomenklatura_matcher(entries: list[WatchlistEntry]) -> Callable[[LabelledQuery], list[str]]:
    """logic-v2 over followthemoney entities; rapidfuzz proposes the top 20 candidate names."""
    from followthemoney import model
    from nomenklatura.matching import get_algorithm
    from normality import ascii_text
    from rapidfuzz import fuzz, process

    algorithm = get_algorithm("logic-v2")
    if algorithm is None:
        raise RuntimeError("nomenklatura has no logic-v2 algorithm")
    config = algorithm.default_config()
    schema = {"person": "Person", "organization": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
    proxies = {}
    names: list[str] = []
    owners: list[str] = []
    id_values: list[str] = []
    id_owners: list[str] = []
    for entry in entries:
        proxy = model.make_entity(schema.get(entry.kind.value, "LegalEntity"))
        proxy.id = entry.entry_id
        proxy.add("name", entry.primary_name)
        for alias in entry.names[1:]:
            proxy.add("weakAlias" if alias.name_type.value == "weak" else "alias", alias.name)
        for identifier in entry.identifiers:
            prop = {"imo": "imoNumber", "mmsi": "mmsi", "passport": "passportNumber"}.get(identifier.scheme.value)
            if prop and proxy.schema.get(prop):
                proxy.add(prop, identifier.value)
            elif proxy.schema.get("idNumber"):
                proxy.add("idNumber", identifier.value)
        proxies[entry.entry_id] = proxy
        for listed in entry.names:
            names.append(ascii_text(listed.name).lower())
            owners.append(entry.entry_id)
        for identifier in entry.identifiers:
            id_values.append(re.sub(r"[^0-9A-Z]", "", identifier.value.upper()))
            id_owners.append(entry.entry_id)
    counter = iter(range(10**9))

    def match(query: LabelledQuery) -> list[str]:
        proxy = model.make_entity(schema.get(query.kind.value, "LegalEntity"))
        proxy.id = f"query-{next(counter)}"
        candidates: list[str] = []
        if query.name:
            proxy.add("name", query.name)
            found = process.extract(ascii_text(query.name).lower(), names, scorer=fuzz.token_set_ratio, limit=40)
            for _, _, position in found:
                if owners[position] not in candidates:
                    candidates.append(owners[position])
        for identifier in query.identifiers:
            prop = {"imo": "imoNumber", "mmsi": "mmsi", "passport": "passportNumber"}.get(identifier.scheme.value)
            proxy.add(prop if prop and proxy.schema.get(prop) else "idNumber", identifier.value, quiet=True)
        for identifier in query.identifiers:
            plain = re.sub(r"[^0-9A-Z]", "", identifier.value.upper())
            for _, _, position in process.extract(plain, id_values, scorer=fuzz.ratio, limit=20):
                if id_owners[position] not in candidates:
                    candidates.append(id_owners[position])
        matched = []
        for entry_id in candidates[:20]:
            if algorithm.compare(proxy, proxies[entry_id], config).score >= NOMENKLATURA_THRESHOLD:
                matched.append(entry_id)
        return matched

    return match


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20260509)
    parser.add_argument("--per-change", type=int, default=300, help="positive queries per kind of change")
    parser.add_argument("--negatives", type=int, default=3000)
    parser.add_argument("--nomenklatura-sample", type=int, default=None,
                        help="screen only this many of the queries through nomenklatura (0: skip it; default: all)")
    parser.add_argument("--show-misses", type=int, default=0, help="print this many engine misses")
    args = parser.parse_args()

    entries = load_ofac()
    queries = build(entries, seed=args.seed, per_change=args.per_change, negative_count=args.negatives)
    print(f"{len(entries)} OFAC SDN entries; {len(queries)} labelled queries (seed {args.seed})")

    tallies, per_query, misses = evaluate(queries, engine_matcher(entries))
    print_table("interdict engine (threshold 0.80)", tallies, per_query)
    for query, matched in misses[: args.show_misses]:
        print(
            f"  MISS {query.change:<22} {query.name or query.identifiers!s:<50} expected={query.expected} got={matched}"
            f" source={query.source!r}"
        )

    if args.nomenklatura_sample != 0:
        try:
            baseline = nomenklatura_matcher(entries)
        except ImportError as error:
            print(f"\nnomenklatura not evaluated: {error} (install the 'eval' extra: pip install -e '.[eval]')")
            return
        size = len(queries) if args.nomenklatura_sample is None else min(args.nomenklatura_sample, len(queries))
        sample = queries if size == len(queries) else random.Random(args.seed).sample(queries, size)
        baseline(sample[0])  # first call loads nomenklatura's name data: not part of the per-query time
        engine_tallies, engine_time, _ = evaluate(sample, engine_matcher(entries))
        nk_tallies, nk_time, _ = evaluate(sample, baseline)
        print(
            f"\nThe same {len(sample)} queries through both (nomenklatura logic-v2 at {NOMENKLATURA_THRESHOLD}, "
            "candidates: top 20 entries by rapidfuzz token_set_ratio; "
            "identifier queries: top 20 by rapidfuzz ratio over listed identifiers)"
        )
        print_table("interdict engine", engine_tallies, engine_time)
        print_table("nomenklatura logic-v2", nk_tallies, nk_time)


if __name__ == "__main__":
    main()
