"""Precision, recall and F1 of the matching engine per kind of name change, beside OpenSanctions'
nomenklatura (logic-v2), on two labelled query sets: OFAC SDN (`benchmarks.queryset`) and the UN
Security Council list (`benchmarks.un_queryset`, human-written aliases and original scripts).

    python -m benchmarks.eval_matcher [--source ofac|un|both] [--kinds k1,k2] [--json PATH]
        [--per-change 300] [--negatives 3000] [--nomenklatura-per-kind 0] [--nomenklatura-sample N]
        [--show-misses N] [--seed S]

A positive query counts as found when its listed entry is among the engine's matches; a query whose
matches do not include the expected entry (every negative with a match, every positive matched only
to other entries) counts as a false alert. For each source and engine it prints one table over all
queries and one over the held-out ones only (positives of the half of the entries the engine's
constants were not tuned on; negatives split by a hash of their text). Rows: `overall`; each kind;
`first_kinds` / `added_kinds` (the OFAC kinds the set first had, whose `overall` earlier versions of
this script printed, and those added since); `held_out` / `tuned_on` (negatives included). Columns:
queries, precision, recall, F1 and `false/q`, false alerts per query. A negative kind (every query
expects no match) has no recall and no meaningful precision: it shows `-` there, and its false/q.

nomenklatura (logic-v2 at 0.7, yente's default; candidates: the top 20 entries by rapidfuzz
token_set_ratio, for identifiers by ratio over the listed identifiers) screens about 40 queries a
second. By default it screens every query, as the engine does (a sample of 150 a kind once hid the
one kind where logic-v2 did better); `--nomenklatura-per-kind N` takes a seeded sample of up to N
queries of each kind instead, `--nomenklatura-sample N` N queries drawn from all (0: nomenklatura
skipped). The engine's figures on the same queries go beside it in the final summary: per kind, F1
(false/q for negative kinds) of both, `<<` where interdict does worse than logic-v2.

`--json PATH` writes every figure (and the git commit, and whether services/matcher had uncommitted
changes) to compare runs before and after a change. The whole run (both sources, default options:
9,875 OFAC and 1,880 UN queries, every one through both engines) takes about 4.5 minutes on a shared
2-core machine, nearly all of them nomenklatura's; the engine takes about 0.1 ms a query
(`--nomenklatura-per-kind 150`: about 1.8 minutes).
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.queryset import (
    ADDED_KINDS,
    ADDED_NEGATIVE_KINDS,
    FIRST_KINDS,
    TABLE_ORDER,
    LabelledQuery,
    build,
    load_ofac,
)
from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.shared.models.watchlist import WatchlistEntry
from services.shared.settings import PROJECT_ROOT

NOMENKLATURA_THRESHOLD = 0.7  # yente's default match threshold for logic-v2
FIRST_GROUP = frozenset((*FIRST_KINDS, "negative", "negative_hard"))
ADDED_GROUP = frozenset((*ADDED_KINDS, *ADDED_NEGATIVE_KINDS))
SUMMARY_ROWS = ("overall", "held_out")

Matcher = Callable[[LabelledQuery], list[str]]


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
    def positives(self) -> int:
        return self.true_positive + self.false_negative

    @property
    def precision(self) -> float:
        alerts = self.true_positive + self.false_alert
        return self.true_positive / alerts if alerts else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.positives if self.positives else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_per_query(self) -> float:
        return self.false_alert / self.queries if self.queries else 0.0

    def as_dict(self) -> dict[str, Any]:
        pure_negative = self.positives == 0
        return {
            "queries": self.queries,
            "true_positive": self.true_positive,
            "false_negative": self.false_negative,
            "false_alert": self.false_alert,
            "precision": None if pure_negative else round(self.precision, 6),
            "recall": None if pure_negative else round(self.recall, 6),
            "f1": None if pure_negative else round(self.f1, 6),
            "false_per_query": round(self.false_per_query, 6),
        }


def kind_order(queries: list[LabelledQuery]) -> list[str]:
    """The kinds present: the OFAC ones in TABLE_ORDER, then any other (the UN set's): original scripts
    first, then the other positive kinds as first seen, negative kinds last."""
    present = list(dict.fromkeys(query.change for query in queries))
    negatives = negative_kinds(queries)
    others = sorted(
        (kind for kind in present if kind not in TABLE_ORDER),
        key=lambda kind: (kind in negatives, not kind.startswith("un_script"), present.index(kind)),
    )
    return [kind for kind in TABLE_ORDER if kind in present] + others


def negative_kinds(queries: list[LabelledQuery]) -> set[str]:
    positive = {query.change for query in queries if query.expected is not None}
    return {query.change for query in queries} - positive


def screen(queries: list[LabelledQuery], match: Matcher) -> tuple[list[list[str]], float]:
    started = time.perf_counter()
    matched = [match(query) for query in queries]
    return matched, (time.perf_counter() - started) / max(len(queries), 1)


def tally(queries: list[LabelledQuery], matched: list[list[str]], held_out_only: bool = False) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for query, found in zip(queries, matched, strict=True):
        if held_out_only and not query.held_out:
            continue
        keys = ["overall", query.change]
        if query.change in FIRST_GROUP:
            keys.append("first_kinds")
        elif query.change in ADDED_GROUP:
            keys.append("added_kinds")
        if not held_out_only:
            keys.append("held_out" if query.held_out else "tuned_on")
        for key in keys:
            tallies[key].add(query, found)
    return tallies


def row_order(kinds: list[str], tallies: dict[str, Tally]) -> list[str]:
    rows = ["overall", *kinds]
    if "added_kinds" in tallies:
        rows += ["first_kinds", "added_kinds"]
    return [row for row in [*rows, "held_out", "tuned_on"] if row in tallies]


def print_table(title: str, tallies: dict[str, Tally], kinds: list[str], negatives: set[str]) -> None:
    print(f"\n== {title} ==")
    print(f"{'kind of change':<26}{'queries':>8}{'precision':>11}{'recall':>9}{'F1':>8}{'false/q':>9}")
    for row in row_order(kinds, tallies):
        t = tallies[row]
        if row in negatives or t.positives == 0:
            print(f"{row:<26}{t.queries:>8}{'-':>11}{'-':>9}{'-':>8}{t.false_per_query:>9.4f}")
        else:
            print(f"{row:<26}{t.queries:>8}{t.precision:>11.4f}{t.recall:>9.4f}{t.f1:>8.4f}{t.false_per_query:>9.4f}")


def engine_matcher(entries: list[WatchlistEntry]) -> Matcher:
    engine = MatchingEngine()
    started = time.perf_counter()
    engine.load(entries)
    print(f"engine index built over {len(entries)} entries in {time.perf_counter() - started:.2f} s")

    def match(query: LabelledQuery) -> list[str]:
        screening = ScreeningQuery(name=query.name, kind=query.kind, identifiers=query.identifiers)
        return [found.entry.entry_id for found in engine.screen(screening)]

    return match


def nomenklatura_matcher(entries: list[WatchlistEntry]) -> Matcher:
    """logic-v2 over followthemoney entities; rapidfuzz proposes the top 20 candidate names."""
    import followthemoney
    from nomenklatura.matching import get_algorithm
    from normality import ascii_text
    from rapidfuzz import fuzz, process

    # the package's `model` (a Model), not its submodule of that name, which mypy would take it for
    model: Any = followthemoney.model
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


def nomenklatura_sample(queries: list[LabelledQuery], per_kind: int, total: int | None, seed: int) -> list[int]:
    """Which queries go through nomenklatura (positions, in order): `total` drawn from all, else up to
    `per_kind` of each kind (0: all of them)."""
    rng = random.Random(seed)
    if total is not None:
        return sorted(rng.sample(range(len(queries)), min(total, len(queries))))
    if per_kind <= 0:
        return list(range(len(queries)))
    by_kind: dict[str, list[int]] = defaultdict(list)
    for position, query in enumerate(queries):
        by_kind[query.change].append(position)
    chosen: list[int] = []
    for kind in kind_order(queries):
        positions = by_kind[kind]
        chosen += positions if len(positions) <= per_kind else rng.sample(positions, per_kind)
    return sorted(chosen)


@dataclass
class SourceFigures:
    """One source's figures for the final summary."""

    label: str
    kinds: list[str]
    negatives: set[str]
    engine: dict[str, Tally]
    engine_held_out: dict[str, Tally]
    engine_on_sample: dict[str, Tally] | None = None
    nomenklatura: dict[str, Tally] | None = None


def evaluate_source(
    label: str,
    entries: list[WatchlistEntry],
    queries: list[LabelledQuery],
    args: argparse.Namespace,
    report: dict[str, Any],
) -> SourceFigures:
    started = time.perf_counter()
    kinds, negatives = kind_order(queries), negative_kinds(queries)
    held = sum(query.held_out for query in queries)
    print(f"\n#### {label}: {len(entries)} entries, {len(queries)} labelled queries ({held} held out)")

    matched, per_query = screen(queries, engine_matcher(entries))
    engine_all, engine_held = tally(queries, matched), tally(queries, matched, held_out_only=True)
    title = (
        f"{label}: interdict engine (threshold 0.80), all {len(queries)} queries, {per_query * 1e3:.3f} ms per query"
    )
    print_table(title, engine_all, kinds, negatives)
    print_table(f"{label}: interdict engine, the {held} held-out queries only", engine_held, kinds, negatives)
    if args.show_misses:
        shown: dict[str, int] = defaultdict(int)
        print(f"\nup to {args.show_misses} engine misses of each kind:")
        for query, found in zip(queries, matched, strict=True):
            missed = query.expected not in found if query.expected is not None else bool(found)
            if missed and shown[query.change] < args.show_misses:
                shown[query.change] += 1
                print(
                    f"  MISS {query.change:<24} {query.name or query.identifiers!s:<50} expected={query.expected}"
                    f" got={found[:3]} source={query.source!r} {query.detail}"
                )
    section: dict[str, Any] = {
        "entries": len(entries),
        "queries": len(queries),
        "interdict": {
            "ms_per_query": round(per_query * 1e3, 4),
            "all": {row: t.as_dict() for row, t in engine_all.items()},
            "held_out": {row: t.as_dict() for row, t in engine_held.items()},
        },
    }
    report["sources"][label] = section
    figures = SourceFigures(label, kinds, negatives, engine_all, engine_held)

    if args.nomenklatura_sample != 0:
        try:
            baseline = nomenklatura_matcher(entries)
        except ImportError as error:
            print(f"\nnomenklatura not evaluated: {error} (install the 'eval' extra: pip install -e '.[eval]')")
            return figures
        positions = nomenklatura_sample(queries, args.nomenklatura_per_kind, args.nomenklatura_sample, args.seed)
        sample = [queries[position] for position in positions]
        if not sample:
            return figures
        baseline(sample[0])  # the first call loads nomenklatura's name data: not part of the per-query time
        nk_matched, nk_time = screen(sample, baseline)
        nk_all, nk_held = tally(sample, nk_matched), tally(sample, nk_matched, held_out_only=True)
        on_sample = [matched[position] for position in positions]
        figures.engine_on_sample = tally(sample, on_sample)
        figures.nomenklatura = nk_all
        how = (
            f"{args.nomenklatura_sample} drawn from all"
            if args.nomenklatura_sample is not None
            else f"up to {args.nomenklatura_per_kind} of each kind"
            if args.nomenklatura_per_kind > 0
            else "all"
        )
        print(
            f"\nnomenklatura logic-v2 at {NOMENKLATURA_THRESHOLD} on {len(sample)} of the queries ({how}, seed "
            f"{args.seed}); candidates: top 20 entries by rapidfuzz token_set_ratio, identifier queries: top 20 "
            "by rapidfuzz ratio over listed identifiers"
        )
        held_sample = sum(query.held_out for query in sample)
        title = f"{label}: nomenklatura logic-v2, {len(sample)} sampled queries, {nk_time * 1e3:.3f} ms per query"
        print_table(title, nk_all, kinds, negatives)
        print_table(
            f"{label}: nomenklatura logic-v2, the {held_sample} held-out sampled queries", nk_held, kinds, negatives
        )
        section["logic-v2"] = {
            "sample": len(sample),
            "sampling": how,
            "ms_per_query": round(nk_time * 1e3, 4),
            "all": {row: t.as_dict() for row, t in nk_all.items()},
            "held_out": {row: t.as_dict() for row, t in nk_held.items()},
        }
        section["interdict_on_sample"] = {
            "all": {row: t.as_dict() for row, t in figures.engine_on_sample.items()},
            "held_out": {row: t.as_dict() for row, t in tally(sample, on_sample, held_out_only=True).items()},
        }
    section["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n({label}: {time.perf_counter() - started:.0f} s)")
    return figures


def _figure(t: Tally | None, negative: bool) -> tuple[str, float | None]:
    if t is None:
        return "", None
    if negative:
        return f"f/q {t.false_per_query:.4f}", -t.false_per_query  # higher is better, as for F1
    return f"{t.f1:.4f}", t.f1


def print_summary(sources: list[SourceFigures]) -> None:
    print("\n== Summary: F1 per kind (false alerts per query, f/q, for negative kinds); interdict on all its")
    print("   queries and on the held-out ones, then interdict and logic-v2 on the same sample;")
    print("   << where interdict does worse than logic-v2 on the sample ==")
    header = f"{'source':<7}{'kind of change':<26}{'interdict':>13}{'held out':>13}{'sample':>8}"
    print(f"{header}{'interdict':>13}{'logic-v2':>13}")
    for source in sources:
        for row in [*source.kinds, *SUMMARY_ROWS]:
            if row not in source.engine:
                continue
            negative = row in source.negatives
            full, _ = _figure(source.engine.get(row), negative)
            held, _ = _figure(source.engine_held_out.get("overall" if row == "held_out" else row), negative)
            line = f"{source.label:<7}{row:<26}{full:>13}{held:>13}"
            if source.nomenklatura is not None and source.engine_on_sample is not None and row in source.nomenklatura:
                ours, our_value = _figure(source.engine_on_sample.get(row), negative)
                theirs, their_value = _figure(source.nomenklatura.get(row), negative)
                worse = (
                    our_value is not None and their_value is not None and round(our_value, 4) < round(their_value, 4)
                )
                line += f"{source.nomenklatura[row].queries:>8}{ours:>13}{theirs:>13}{'  <<' if worse else ''}"
            print(line)


def load_un(seed: int) -> tuple[list[WatchlistEntry], list[LabelledQuery]] | None:
    """The UN source, when benchmarks/un_queryset.py is there (written separately)."""
    try:
        module = importlib.import_module("benchmarks.un_queryset")
    except ModuleNotFoundError as error:
        if error.name != "benchmarks.un_queryset":
            raise
        print("\n#### UN: benchmarks/un_queryset.py is not there (yet): the UN section is skipped")
        return None
    entries, queries = module.build_un(seed)
    return list(entries), list(queries)


def git_state() -> dict[str, Any]:
    def git(*command: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(PROJECT_ROOT), *command], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "matcher_changed": bool(git("status", "--porcelain", "--", "services/matcher")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20260509)
    parser.add_argument("--per-change", type=int, default=300, help="OFAC queries per kind of change")
    parser.add_argument("--negatives", type=int, default=3000, help="OFAC invented negatives (negative, negative_hard)")
    parser.add_argument("--source", choices=("ofac", "un", "both"), default="both")
    parser.add_argument("--kinds", default=None, help="only these kinds of change, comma-separated")
    parser.add_argument(
        "--nomenklatura-per-kind",
        type=int,
        default=0,
        help="nomenklatura screens up to this many queries of each kind (0, the default: all)",
    )
    parser.add_argument(
        "--nomenklatura-sample",
        type=int,
        default=None,
        help="nomenklatura screens this many queries drawn from all instead (0: skip it)",
    )
    parser.add_argument("--show-misses", type=int, default=0, help="print up to this many engine misses of each kind")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args()
    started = time.perf_counter()
    wanted = {kind.strip() for kind in args.kinds.split(",") if kind.strip()} if args.kinds else None

    state = git_state()
    changed = " (services/matcher has uncommitted changes)" if state["matcher_changed"] else ""
    print(f"engine at commit {state['commit']}{changed}; seed {args.seed}")
    report: dict[str, Any] = {"meta": {**state, "seed": args.seed, "argv": sys.argv[1:]}, "sources": {}}

    def chosen(queries: list[LabelledQuery]) -> list[LabelledQuery]:
        return queries if wanted is None else [query for query in queries if query.change in wanted]

    figures: list[SourceFigures] = []
    seen_kinds: set[str] = set()
    if args.source in ("ofac", "both"):
        entries = load_ofac()
        every = build(entries, seed=args.seed, per_change=args.per_change, negative_count=args.negatives)
        seen_kinds.update(query.change for query in every)
        queries = chosen(every)
        if queries:
            figures.append(evaluate_source("OFAC", entries, queries, args, report))
    if args.source in ("un", "both"):
        un = load_un(args.seed)
        if un is not None:
            un_entries, every = un
            seen_kinds.update(query.change for query in every)
            queries = chosen(every)
            if queries:
                figures.append(evaluate_source("UN", un_entries, queries, args, report))
    if wanted and wanted - seen_kinds:
        print(f"\nno queries of these kinds: {', '.join(sorted(wanted - seen_kinds))}")
    if figures:
        print_summary(figures)
    elapsed = time.perf_counter() - started
    report["meta"]["seconds"] = round(elapsed, 1)
    print(f"\n(eval took {elapsed / 60:.1f} min)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
