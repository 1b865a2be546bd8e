"""End-to-end throughput and latency of the pipeline, beside a raw pass-through of the same bytes.

    python -m benchmarks.bench_pipeline                        # 50,000 manifests, 1 then 2 workers per service
    python -m benchmarks.bench_pipeline --manifests 20000 --workers 1 --json

On the running local stack (`make bench-pipeline` starts it), each run in a namespace of its own:

1. raw pass-through: a worker running the same Stage on the same KafkaTransport, copying records
   unchanged (benchmarks/passthrough.py): what moving the bytes costs, the ceiling of any stage;
2. the pipeline (ingest, matcher, notifier), one worker per service, then two: workers are started
   on empty topics and warmed up first, so start-up (the matcher loading the watchlists) is not
   measured; then the N manifests are published at once and the clock runs from the first publish
   (consumption starts with it: the workers are idle and polling) to the moment the notifier has
   committed everything, sampled every 100 ms; each stage's rate is read from its group's committed
   offsets, from its first to its last commit;
3. latency: manifests published at half the end-to-end rate of the one-worker run for ~20 s, and
   every alert timed as a desk sees it (read-committed), against the feed's publish time the
   alert carries in its `interdict.published-at-ms` header;
4. correctness: every planted (desk, manifest, entry) delivered in exactly one alert, no alert
   version twice on a desk; alerts nobody planted are reported apart, as possible false positives.

CPU is read from /proc for every worker, the broker, Redis and the benchmark itself (which
publishes), over the measured window only.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import FrameType

import orjson
import redis
from rich.console import Console
from rich.table import Table

from benchmarks import passthrough
from benchmarks.pipeline_stack import BatchTotals, Namespace, batch_totals, cpu_seconds, log_sizes, scan_logs
from benchmarks.pipeline_traffic import (
    CommitSampler,
    LatencyRun,
    Message,
    ReceivedAlert,
    StageProgress,
    desk_marks,
    latency_run,
    publish_all,
    read_alerts,
    wait_drained,
)
from services.feed.generate import DEFAULT_HIT_RATE, GeneratedManifest, ManifestGenerator, load_demo_watchlist
from services.shared import topics
from services.shared.kafka_admin import probe_kafka
from services.shared.models import ManifestAdapter, route_countries
from services.shared.models.watchlist import WatchlistEntry
from services.shared.progress import end_offsets
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import PARTNER_COUNTRIES, Settings

SERVICES = ("ingest", "matcher", "notifier")
#: What each service's input records are, for the table: the notifier reads matches, not manifests.
RECORD_NAMES = {"ingest": "manifests", "matcher": "manifests", "notifier": "matches"}
#: The targets of the issue, checked and printed at the end.
TARGET_RATE = 2_500.0
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
#: Warm-up manifests are numbered far above any measured one, so their ids never collide.
WARM_UP_FIRST_INDEX = 900_000_000
DRAIN_TIMEOUT_S = 600.0
#: Where a manifest's feed-to-desk time goes: each step ends when a stage sent its output.
LATENCY_STEPS = ("feed -> ingest sent", "-> matcher sent", "-> notifier sent", "-> visible to the desk")

# Wide enough for the tables when the output goes to a file or a pipe (rich assumes 80 columns).
console = Console(width=None if sys.stdout.isatty() else 110)


# -- what a run measured -------------------------------------------------------------------------


@dataclass
class Throughput:
    """One drain: N records published at once, until the last group committed them all."""

    workers: int
    records: int
    started_at: float  # the first publish
    seconds: float  # from the first publish until the last group had committed everything
    publish_seconds: float
    stages: dict[str, StageProgress]
    cpu: dict[str, float]  # CPU seconds over the window, by process kind
    batches: dict[str, BatchTotals] = field(default_factory=dict)  # the stages' own counts, by service

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def rate_from_first_commit(self) -> float | None:
        """The same from the first stage's first commit on: an upper bound, since that first
        batch was already read and handled by then."""
        first = next(iter(self.stages.values())).first_commit_at
        end = self.started_at + self.seconds
        return self.records / (end - first) if first is not None and end > first else None

    def cpu_per_1000(self, kind: str) -> float | None:
        return self.cpu[kind] / self.records * 1000 if kind in self.cpu else None


@dataclass
class Correctness:
    expected: int = 0  # planted (desk, manifest, entry) deliveries
    delivered: int = 0  # of those, received at least once
    repeated: int = 0  # of those, told in more than one alert
    duplicate_alert_ids: int = 0  # alert versions seen twice on one desk topic
    extra_on_planted: int = 0  # alerts for other entries, on manifests that carry a planted one
    possible_false_positives: int = 0  # alerts on manifests nothing was planted on
    dead_letters: int = 0
    missing_examples: list[str] = field(default_factory=list)
    false_positive_examples: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return self.expected - self.delivered

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.repeated == 0 and self.duplicate_alert_ids == 0 and self.dead_letters == 0


@dataclass
class Latency:
    rate: float
    seconds: float
    manifests: int
    samples_ms: list[float]
    correctness: Correctness
    #: the same latencies cut at each stage's output (from the records' timestamps)
    steps_ms: dict[str, list[float]] = field(default_factory=dict)
    batches: dict[str, BatchTotals] = field(default_factory=dict)

    def percentile(self, share: float) -> float | None:
        return percentile(self.samples_ms, share)


def percentile(samples: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (no interpolation: with few samples, a real observed value)."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class PipelineRun:
    throughput: Throughput
    correctness: Correctness
    log_problems: int
    log_examples: list[str]
    latency: Latency | None = None


@dataclass
class Workload:
    """The manifests of the run and what was planted on them, generated once for every run."""

    generator: ManifestGenerator
    entries: dict[str, WatchlistEntry]
    manifests: list[GeneratedManifest]
    warm_up: list[GeneratedManifest]

    def messages(self, manifests: Sequence[GeneratedManifest] | None = None) -> list[Message]:
        return [Message(item.key, item.to_json()) for item in (self.manifests if manifests is None else manifests)]


# -- the runs ------------------------------------------------------------------------------------


def run_passthrough(base: Settings, root: Path, workload: Workload, workers: int, partitions: int) -> Throughput:
    with namespace(base, root, f"passthrough-{workers}", partitions) as space:
        space.start(passthrough.SERVICE, workers)
        space.wait_until_assigned({passthrough.SERVICE: workers})
        source = topics.qualified(space.settings, passthrough.INPUT_TOPIC)
        inputs = {topics.group_id(space.settings, passthrough.SERVICE): source}
        with sampling(space.settings, inputs) as sampler:
            warm_up(space.settings, sampler, inputs, source, workload.messages(workload.warm_up))
            services = {group: passthrough.SERVICE for group in inputs}
            return drain(space, sampler, inputs, source, workload.messages(), services, workers)


def run_pipeline(
    base: Settings, root: Path, workload: Workload, workers: int, partitions: int, latency_s: float | None
) -> PipelineRun:
    with namespace(base, root, f"pipeline-{workers}", partitions) as space:
        space.import_watchlist(list(workload.entries.values()))
        for service in SERVICES:
            space.start(service, workers)
        space.wait_until_assigned(dict.fromkeys(SERVICES, workers))
        started_logs = log_sizes(space.workers)
        inputs = pipeline_inputs(space.settings)
        raw = topics.qualified(space.settings, topics.MANIFESTS_RAW)
        with sampling(space.settings, inputs) as sampler:
            warm_up(space.settings, sampler, inputs, raw, workload.messages(workload.warm_up))
            marks = desk_marks(space.settings)
            dead_before = dead_letter_count(space.settings)
            services = dict(zip(inputs, SERVICES, strict=True))
            measured = drain(space, sampler, inputs, raw, workload.messages(), services, workers)
            received = read_alerts(space.settings, marks)
            correctness = check_alerts(workload.manifests, received, workload.entries)
            correctness.dead_letters = dead_letter_count(space.settings) - dead_before
            latency = None
            if latency_s is not None:
                latency = measure_latency(space, sampler, inputs, workload, measured.rate / 2, latency_s)
        problems, examples = scan_logs(space.workers, started_logs)
        return PipelineRun(measured, correctness, problems, examples, latency)


def pipeline_inputs(settings: Settings) -> dict[str, str]:
    """Each service's group and its input topic, in pipeline order."""
    return {
        topics.group_id(settings, service): topics.qualified(settings, topics.SERVICE_INPUTS[service])
        for service in SERVICES
    }


@contextmanager
def namespace(base: Settings, root: Path, label: str, partitions: int) -> Iterator[Namespace]:
    space = Namespace.create(base, root, label, partitions)
    try:
        yield space
    finally:
        space.destroy()


@contextmanager
def sampling(settings: Settings, inputs: dict[str, str]) -> Iterator[CommitSampler]:
    sampler = CommitSampler(settings, inputs)
    sampler.start()
    try:
        yield sampler
    finally:
        sampler.stop()


def warm_up(
    settings: Settings, sampler: CommitSampler, inputs: dict[str, str], topic: str, messages: list[Message]
) -> None:
    """A few manifests through every stage before measuring: connections made, transactional
    producers initialised, first batches handled."""
    publish_all(settings, topic, messages)
    wait_drained(settings, sampler, inputs, DRAIN_TIMEOUT_S)


def drain(
    space: Namespace,
    sampler: CommitSampler,
    inputs: dict[str, str],
    topic: str,
    messages: list[Message],
    services: dict[str, str],
    workers: int,
) -> Throughput:
    """Publish everything at once; measure until every group has committed all of it."""
    sampler.wait_for_sample(after=time.time())  # the offsets before the first publish
    batches_before = batch_snapshot(space, services.values())
    cpu_before = cpu_snapshot(space, list(services.values()))
    first_send, last_ack = publish_all(space.settings, topic, messages)
    wait_drained(space.settings, sampler, inputs, DRAIN_TIMEOUT_S)
    cpu_after = cpu_snapshot(space, list(services.values()))
    drained_at = time.time()
    batches = batches_since(space, batches_before)
    stages = {services[group]: sampler.progress(group, since=first_send, until=drained_at) for group in inputs}
    finished = max((stage.done_at or drained_at) for stage in stages.values())
    cpu = {kind: cpu_after[kind] - cpu_before.get(kind, 0.0) for kind in cpu_after}
    seconds = finished - first_send
    return Throughput(workers, len(messages), first_send, seconds, last_ack - first_send, stages, cpu, batches)


def batch_snapshot(space: Namespace, services: Iterable[str]) -> dict[str, BatchTotals]:
    return {service: batch_totals(space.workers, service) for service in services}


def batches_since(space: Namespace, before: dict[str, BatchTotals]) -> dict[str, BatchTotals]:
    return {service: totals.minus(before[service]) for service, totals in batch_snapshot(space, before).items()}


def cpu_snapshot(space: Namespace, services: Sequence[str]) -> dict[str, float]:
    """CPU seconds so far of the workers (by service), the broker, Redis and this process."""
    snapshot = {service: sum(cpu_seconds(pid) for pid in space.pids(service)) for service in services}
    for name, pid in stack_pids().items():
        snapshot[name] = cpu_seconds(pid)
    times = os.times()
    snapshot["benchmark (feed)"] = times.user + times.system
    return snapshot


@cache
def stack_pids() -> dict[str, int]:
    """The broker's and Redis's process ids, when this machine's local stack runs them (read from
    the stack's own state dir: the namespaces' settings point elsewhere)."""
    from services.localstack.stack import status

    names = {"kafka": "Kafka broker", "redis": "Redis"}
    rows = status(Settings())
    return {names[row.component]: row.pid for row in rows if row.pid is not None and row.component in names}


def dead_letter_count(settings: Settings) -> int:
    return sum(end_offsets(settings, topics.qualified(settings, topics.MANIFESTS_DLQ)).values())


def measure_latency(
    space: Namespace, sampler: CommitSampler, inputs: dict[str, str], workload: Workload, rate: float, seconds: float
) -> Latency:
    count = max(1, int(rate * seconds))
    paced = list(workload.generator.generate(count, start=len(workload.manifests)))
    console.print(f"latency: publishing {count:,} manifests at {rate:,.0f}/s for {seconds:.0f} s ...")
    batches_before = batch_snapshot(space, SERVICES)
    run: LatencyRun = latency_run(space.settings, workload.messages(paced), rate, sampler, inputs, DRAIN_TIMEOUT_S)
    samples = [alert.latency_ms for alert in run.alerts if alert.latency_ms is not None]
    latency = Latency(rate, seconds, count, samples, check_alerts(paced, run.alerts, workload.entries))
    latency.steps_ms = latency_steps(space.settings, run)
    latency.batches = batches_since(space, batches_before)
    return latency


def latency_steps(settings: Settings, run: LatencyRun) -> dict[str, list[float]]:
    """Each alert's latency cut where each stage sent its output: which stage the time goes to."""
    valid = run.send_times.get(topics.qualified(settings, topics.MANIFESTS_VALID), {})
    matches = run.send_times.get(topics.qualified(settings, topics.MATCHES), {})
    steps: dict[str, list[float]] = {name: [] for name in LATENCY_STEPS}
    for alert in run.alerts:
        key = alert.manifest_key
        if alert.published_at_ms is None or alert.received_at_ms is None or key not in valid or key not in matches:
            continue
        marks = [alert.published_at_ms, valid[key], matches[key], alert.sent_at_ms, alert.received_at_ms]
        for name, start, end in zip(LATENCY_STEPS, marks, marks[1:], strict=False):
            steps[name].append(end - start)
    return steps


# -- correctness ---------------------------------------------------------------------------------

Delivery = tuple[str, str, str]  # desk, manifest id, entry id


def expected_deliveries(manifests: Sequence[GeneratedManifest], entries: dict[str, WatchlistEntry]) -> set[Delivery]:
    """Where each planted entry must be alerted (services/notifier/routing.py): the entry owner's
    desk and the partner countries on the manifest's route, as far as its sharing scope allows."""
    expected: set[Delivery] = set()
    for manifest in manifests:
        if not manifest.planted:
            continue
        route = route_countries(ManifestAdapter.validate_python(manifest.document))
        for entry_id in manifest.planted:
            entry = entries[entry_id]
            desks = dict.fromkeys([entry.owner_country, *route])
            expected |= {
                (desk, manifest.manifest_id, entry_id)
                for desk in desks
                if desk in PARTNER_COUNTRIES and entry.sharing.allows(entry.owner_country, desk)
            }
    return expected


def check_alerts(
    manifests: Sequence[GeneratedManifest], received: Sequence[ReceivedAlert], entries: dict[str, WatchlistEntry]
) -> Correctness:
    expected = expected_deliveries(manifests, entries)
    planted_manifests = {manifest.manifest_id for manifest in manifests if manifest.planted}
    # A delivery is told in every later version of its alert too: repeated means in two alerts.
    alerts_told: dict[Delivery, set[str]] = {}
    for alert in received:
        alerts_told.setdefault((alert.desk, alert.manifest_id, alert.entry_id), set()).add(alert.alert_id)
    versions = Counter((alert.desk, alert.alert_id, alert.version) for alert in received if alert.first_of_record)
    result = Correctness(expected=len(expected))
    result.delivered = sum(1 for delivery in expected if delivery in alerts_told)
    result.repeated = sum(1 for delivery in expected if len(alerts_told.get(delivery, ())) > 1)
    result.duplicate_alert_ids = sum(count - 1 for count in versions.values() if count > 1)
    result.missing_examples = [" / ".join(delivery) for delivery in sorted(expected - set(alerts_told))[:5]]
    told_once = {(alert.desk, alert.manifest_id, alert.entry_id): alert for alert in received}
    for delivery, alert in told_once.items():
        if delivery in expected:
            continue
        if alert.manifest_id in planted_manifests:
            result.extra_on_planted += 1
        else:
            result.possible_false_positives += 1
            if len(result.false_positive_examples) < 5:
                result.false_positive_examples.append(
                    f"{alert.manifest_id}: '{alert.query_value}' ~ {alert.entry_name} [{alert.entry_id}] "
                    f"{alert.score:.2f}"
                )
    return result


# -- the report ----------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return f"{value:,.0f}/s" if value is not None else "-"


def _cpu(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "-"


def print_report(
    args: argparse.Namespace, passes: dict[int, Throughput], runs: dict[int, PipelineRun], load: tuple[float, float]
) -> None:
    counts = sorted(runs)
    title = (f"Pipeline benchmark: {args.manifests:,} manifests, hit rate {args.hit_rate:.1%}, seed {args.seed}, "
             f"{args.partitions} partitions, {os.cpu_count()} cores")
    table = Table(title=title)
    table.add_column("", no_wrap=True)
    for count in counts:
        table.add_column(f"{count} worker{'s' if count > 1 else ''} / service", justify="right")

    def row(name: str, values: Sequence[str]) -> None:
        table.add_row(name, *values)

    row("raw pass-through (records/s)", [_rate(passes[c].rate) if c in passes else "-" for c in counts])
    for service in SERVICES:
        row(f"{service} ({RECORD_NAMES[service]}/s)", [_rate(runs[c].throughput.stages[service].rate) for c in counts])
        row(f"  {RECORD_NAMES[service]} committed", [_done_after(runs[c].throughput, service) for c in counts])
    row("[bold]end to end (manifests/s)", [f"[bold]{_rate(runs[c].throughput.rate)}" for c in counts])
    row("  counted from ingest's first commit", [_rate(runs[c].throughput.rate_from_first_commit) for c in counts])
    row("pipeline / pass-through", [_ratio(runs[c].throughput, passes.get(c)) for c in counts])
    row("feed publish took", [f"{runs[c].throughput.publish_seconds:.2f} s" for c in counts])
    table.add_section()
    row("CPU per 1,000 manifests:", ["" for _ in counts])
    for kind in [*SERVICES, "Kafka broker", "Redis", "benchmark (feed)"]:
        row(f"  {kind}", [_cpu(runs[c].throughput.cpu_per_1000(kind)) for c in counts])
    row("  raw pass-through worker", [_cpu(passes[c].cpu_per_1000(passthrough.SERVICE)) if c in passes else "-"
                                      for c in counts])
    table.add_section()
    _correctness_rows(row, [runs[c].correctness for c in counts])
    row("worker log warnings and errors", [_flag(runs[c].log_problems) for c in counts])
    console.print(table)
    for count in counts:
        title = f"stage batches while draining, {count} worker(s) per service"
        print_batches(title, runs[count].throughput.batches)
    _print_latency(runs[counts[0]].latency, counts[0])
    _print_details(runs)
    _print_targets(passes, runs)
    console.print(f"load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f}")


def _done_after(measured: Throughput, service: str) -> str:
    """How many records the stage took, and when it had committed the last (from the first publish)."""
    stage = measured.stages[service]
    if stage.done_at is None:
        return "-"
    return f"{stage.records:,} by {stage.done_at - measured.started_at:.1f} s"


def _ratio(measured: Throughput, baseline: Throughput | None) -> str:
    return f"{measured.rate / baseline.rate:.2f}" if baseline is not None else "-"


def _correctness_rows(row: Callable[[str, Sequence[str]], None], checks: list[Correctness]) -> None:
    row("planted alerts expected", [f"{c.expected:,}" for c in checks])
    row("  delivered", [f"{c.delivered:,}" for c in checks])
    row("  missing", [_flag(c.missing) for c in checks])
    row("  told in more than one alert", [_flag(c.repeated) for c in checks])
    row("alert versions twice on a desk", [_flag(c.duplicate_alert_ids) for c in checks])
    row("other entries on planted manifests", [f"{c.extra_on_planted:,}" for c in checks])
    row("alerts on unplanted manifests (possible FPs)", [f"{c.possible_false_positives:,}" for c in checks])
    row("dead-lettered manifests", [_flag(c.dead_letters) for c in checks])


def _flag(count: int) -> str:
    return f"[green]{count}" if count == 0 else f"[red]{count:,}"


def _print_latency(latency: Latency | None, workers: int) -> None:
    if latency is None:
        return
    table = Table(title=f"feed -> desk latency at {latency.rate:,.0f} manifests/s (half the measured maximum), "
                  f"{workers} worker(s) per service")
    for column in ("manifests", "alerts timed", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="right")
    points = [latency.percentile(share) for share in (0.50, 0.95, 0.99)]
    worst = max(latency.samples_ms) if latency.samples_ms else None
    table.add_row(f"{latency.manifests:,}", f"{len(latency.samples_ms):,}", *(_ms(point) for point in [*points, worst]))
    console.print(table)
    steps = Table(title="the same, step by step (from the records' timestamps)")
    for column in ("step", "p50", "p95", "p99"):
        steps.add_column(column, justify="right")
    for name, samples in latency.steps_ms.items():
        steps.add_row(name, *(_ms(percentile(samples, share)) for share in (0.50, 0.95, 0.99)))
    console.print(steps)
    print_batches(f"stage batches during the latency run ({latency.rate:,.0f} manifests/s)", latency.batches)
    check = latency.correctness
    console.print(f"  during the latency run: {check.delivered:,} of {check.expected:,} planted alerts delivered, "
                  f"{check.repeated} in two alerts, {check.duplicate_alert_ids} alert versions twice, "
                  f"{check.possible_false_positives} alerts on unplanted manifests")
    for example in check.false_positive_examples:
        console.print(f"  possible false positive: {example}")


def print_batches(title: str, batches: dict[str, BatchTotals]) -> None:
    """What the stages say of their own batches (interdict_batch_records, interdict_processing_seconds)."""
    table = Table(title=title)
    for column in ("service", "batches", "records / batch", "mean time / batch", "99% of batches within"):
        table.add_column(column, justify="right")
    for service, totals in batches.items():
        if not totals.batches:
            table.add_row(service, "0", "-", "-", "-")
            continue
        slowest = totals.seconds_quantile(0.99)
        table.add_row(service, f"{totals.batches:,.0f}", f"{totals.records / totals.batches:,.0f}",
                      _ms(totals.seconds / totals.batches * 1000), _ms(slowest * 1000 if slowest else None))
    console.print(table)


def _ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value is not None else "-"


def _print_details(runs: dict[int, PipelineRun]) -> None:
    for count, run in sorted(runs.items()):
        check = run.correctness
        for example in check.missing_examples:
            console.print(f"[red]{count} worker(s): missing alert {example}")
        for example in check.false_positive_examples:
            console.print(f"{count} worker(s): possible false positive {example}")
        for line in run.log_examples:
            console.print(f"[yellow]{count} worker(s) log: {line[:200]}")


def targets(passes: dict[int, Throughput], runs: dict[int, PipelineRun]) -> dict[str, bool | None]:
    single = runs.get(1) or runs[min(runs)]
    baseline = passes.get(single.throughput.workers)
    p99 = single.latency.percentile(0.99) if single.latency else None
    return {
        f"end to end >= {TARGET_RATE:,.0f} manifests/s (1 worker/service)": single.throughput.rate >= TARGET_RATE,
        f"pipeline >= {TARGET_RATIO} x raw pass-through": (
            single.throughput.rate / baseline.rate >= TARGET_RATIO if baseline is not None else None
        ),
        f"p99 feed -> desk <= {TARGET_P99_MS:.0f} ms at half the maximum rate": (
            p99 <= TARGET_P99_MS if p99 is not None else None
        ),
        "every planted alert delivered exactly once, nothing dead-lettered": all(
            run.correctness.ok and (run.latency is None or run.latency.correctness.ok) for run in runs.values()
        ),
    }


def _print_targets(passes: dict[int, Throughput], runs: dict[int, PipelineRun]) -> None:
    for name, met in targets(passes, runs).items():
        mark = "[green]met" if met else ("[red]NOT met" if met is not None else "[yellow]not measured")
        console.print(f"  {mark}[/]: {name}")


def summary(args: argparse.Namespace, passes: dict[int, Throughput], runs: dict[int, PipelineRun]) -> dict[str, object]:
    """The figures as one JSON object, for the README and for comparing runs."""
    result: dict[str, object] = {
        "benchmark": "pipeline", "manifests": args.manifests, "hit_rate": args.hit_rate, "seed": args.seed,
        "partitions": args.partitions, "cores": os.cpu_count(),
    }
    for count, run in sorted(runs.items()):
        measured, baseline = run.throughput, passes.get(count)
        entry: dict[str, object] = {
            "end_to_end_per_s": round(measured.rate),
            "end_to_end_from_first_commit_per_s": _round(measured.rate_from_first_commit),
            "stages_per_s": {service: _round(stage.rate) for service, stage in measured.stages.items()},
            "passthrough_per_s": round(baseline.rate) if baseline else None,
            "ratio_to_passthrough": round(measured.rate / baseline.rate, 3) if baseline else None,
            "cpu_s_per_1000": {kind: round(measured.cpu[kind] / measured.records * 1000, 3) for kind in measured.cpu},
            "correctness": {key: value for key, value in vars(run.correctness).items() if not key.endswith("examples")},
            "log_problems": run.log_problems,
        }
        if run.latency is not None:
            entry["latency_ms"] = {
                "rate_per_s": round(run.latency.rate), "alerts": len(run.latency.samples_ms),
                **{f"p{int(share * 100)}": _round(run.latency.percentile(share)) for share in (0.5, 0.95, 0.99)},
                "steps_p50_p99": {
                    name: [_round(percentile(samples, 0.5)), _round(percentile(samples, 0.99))]
                    for name, samples in run.latency.steps_ms.items()
                },
            }
        result[f"workers_{count}"] = entry
    result["targets_met"] = targets(passes, runs)
    return result


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


# -- the command ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifests", type=int, default=50_000, help="manifests per throughput run")
    parser.add_argument("--hit-rate", type=float, default=DEFAULT_HIT_RATE, help="share carrying a listed identity")
    parser.add_argument("--workers", default="1,2", help="workers per service of each run, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=None, help="partitions per topic (default: the settings')")
    parser.add_argument("--latency-seconds", type=float, default=20.0, help="length of the paced latency run (0: skip)")
    parser.add_argument("--no-passthrough", action="store_true", help="skip the raw pass-through baseline")
    parser.add_argument("--keep-state", action="store_true", help="keep the workers' state dirs and logs")
    parser.add_argument("--json", action="store_true", help="also print the summary as one JSON line")
    args = parser.parse_args(argv)
    args.worker_counts = sorted({int(part) for part in args.workers.split(",") if part.strip()})
    if not args.worker_counts or min(args.worker_counts) < 1 or args.manifests < 1:
        parser.error("--workers needs counts of at least 1, --manifests at least 1")
    return args


def check_stack(settings: Settings) -> str | None:
    problem = probe_kafka(settings)
    if problem is not None:
        return f"no Kafka at {settings.kafka_bootstrap} ({problem})"
    try:
        sync_client(settings, RedisUser.STACK).ping()
    except redis.exceptions.ConnectionError as error:
        return f"no Redis at {settings.redis_url} ({error})"
    return None


def prepare_workload(args: argparse.Namespace) -> Workload:
    entries = load_demo_watchlist()
    generator = ManifestGenerator(entries, hit_rate=args.hit_rate, seed=args.seed)
    manifests = list(generator.generate(args.manifests))
    warm = list(generator.generate(2 * args.partitions, start=WARM_UP_FIRST_INDEX))
    planted = first_planted(generator, WARM_UP_FIRST_INDEX + len(warm))
    if planted is not None:
        warm.append(planted)  # so that the notifier's transactions are warm too
    return Workload(generator, {entry.entry_id: entry for entry in entries}, manifests, warm)


def first_planted(generator: ManifestGenerator, start: int, within: int = 100_000) -> GeneratedManifest | None:
    if generator.hit_rate > 0:
        for manifest in generator.generate(within, start=start):
            if manifest.planted:
                return manifest
    return None


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through every cleanup, as Ctrl-C does


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    base = Settings()
    args.partitions = args.partitions or base.topic_partitions
    problem = check_stack(base)
    if problem is not None:
        console.print(f"[red]{problem}; run it with `make bench-pipeline` (which starts the local stack)")
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    load_start = os.getloadavg()[0]
    console.print(f"generating {args.manifests:,} manifests (hit rate {args.hit_rate:.1%}, seed {args.seed}) ...")
    workload = prepare_workload(args)
    sizes = [len(message.value) for message in workload.messages()]
    planted = sum(1 for manifest in workload.manifests if manifest.planted)
    console.print(f"  {planted:,} with a planted identity, {sum(sizes) / len(sizes):,.0f} bytes on average")
    with ExitStack() as stack:
        if args.keep_state:
            root = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
            console.print(f"state and logs kept in {root}")
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pipeline-")))
        passes, runs = run_all(args, base, root, workload)
    print_report(args, passes, runs, (load_start, os.getloadavg()[0]))
    if args.json:
        print(orjson.dumps(summary(args, passes, runs)).decode())
    return 0 if all(run.correctness.ok for run in runs.values()) else 1


def run_all(
    args: argparse.Namespace, base: Settings, root: Path, workload: Workload
) -> tuple[dict[int, Throughput], dict[int, PipelineRun]]:
    passes: dict[int, Throughput] = {}
    runs: dict[int, PipelineRun] = {}
    for index, count in enumerate(args.worker_counts):
        if not args.no_passthrough:
            console.print(f"raw pass-through, {count} worker(s) ...")
            passes[count] = run_passthrough(base, root, workload, count, args.partitions)
            console.print(f"  {passes[count].rate:,.0f} records/s")
        latency_s = args.latency_seconds if index == 0 and args.latency_seconds > 0 else None
        console.print(f"pipeline, {count} worker(s) per service ...")
        runs[count] = run_pipeline(base, root, workload, count, args.partitions, latency_s)
        console.print(f"  {runs[count].throughput.rate:,.0f} manifests/s end to end")
    return passes, runs


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; workers stopped, topics and Redis keys removed")
        sys.exit(130)
