"""Ingest throughput per feed format, beside a raw pass-through of the same bytes, and where its time goes.

    python -m benchmarks.bench_ingest                                   # 20,000 messages per format, 3 repeats
    python -m benchmarks.bench_ingest --messages 3000 --repeats 1 --json
    python -m benchmarks.bench_ingest --formats json,ais

On the running local stack (`make bench-ingest` starts it). For each format (json, csv, cuscar,
ais), N messages are generated once (`interdict feed generate`: ManifestGenerator, `as_sent`,
the format's `encode`, cut by its `split` as `interdict feed publish` cuts a file; AIS carries
vessel manifests under the `ais-caribbean` feed header, the others bills of lading and, for JSON,
some vessel manifests), then every repeat runs, per format, in a namespace of its own (topic
prefix, Redis key prefix, consumer groups: see benchmarks/pipeline_stack.py):

1. the messages are published beforehand, with the headers the feed publisher sets, to
   `manifests.raw` and, the same bytes and headers, to the pass-through's input topic;
2. one ingest worker is started on that backlog, and, before or after it (alternating by repeat),
   one pass-through worker (benchmarks/passthrough.py: the same faust worker, Stage and
   KafkaTransport, copying each record unchanged), each alone on the machine;
3. the clock of each runs from its group's first commit to the sample at which its committed
   offsets reach the end of its input, sampled every 25 ms; the records of the first commit are
   not counted (they were read and handled before the clock started). Timing from the first commit
   rather than from the process start leaves out start-up (Python imports, the faust app, Kafka
   connections, the group join and its rebalance, ingest's code books), which takes seconds, varies
   with the machine's load more than anything measured, is paid once per worker and not per
   message, and differs between ingest and the pass-through; subtracting it instead would need a
   second measurement of the start-up alone. Start-up (process start to first commit) is reported
   apart. The cost: one batch (at most INTERDICT_BATCH_MAX_RECORDS) goes uncounted, and a window
   shorter than a second or so is only as exact as the sampling (the table gives the windows);
4. every message must end somewhere: the records on `manifests.valid` and `vessels.ais`, the
   dead letters ingest wrote (read back from `manifests.dlq`, with their reasons) and the
   manifests ingest found to be unchanged resendings (its `interdict_manifests_duplicate_total`,
   processed but not passed on) are counted against the inputs. Generated input is all valid:
   any dead letter makes the exit status 1, as does a message unaccounted for or a failed run;
5. in this process, with no worker running, `MessageDecoder.decode` (the header, the format, the
   models, the code checks: what ingest does to each message before Redis and Kafka) is timed over
   the same messages (the first --decode-sample of them), then apart: the format's own `decode`,
   model validation of its documents, and the code checks (checks.py) of the validated manifests.
   Each, per message, is given as a share of the worker's wall time per message (1 / its rate)
   in the same repeat: how much of ingest's time parsing and validating explain (the rest being
   versioning in Redis, serialising the outputs, and the stage's Kafka work, which the
   pass-through also pays). The worker shares the two cores with the broker and Redis, this
   process does not: its shares are, if anything, a little low.

Formats are run in turn within each repeat (rotated by one each repeat), so that the machine's
noise falls on all of them alike. Printed: medians and ranges over the repeats, as a table and
with --json as one JSON line; rates are given beside, and as ratios to, the pass-through measured
in the same repeat. Nothing is asserted about speed. Every worker started is stopped, and the
topics, consumer groups and Redis keys are removed, on failure and Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType

import orjson
from kafka.errors import KafkaError
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from benchmarks import passthrough
from benchmarks.bench_pipeline import check_stack, stack_pids
from benchmarks.pipeline_stack import Namespace, Worker, batch_totals, cpu_seconds
from benchmarks.pipeline_traffic import CommitSampler
from services.feed.generate import (
    AIS_FEED,
    DEFAULT_HIT_RATE,
    FORMAT_KINDS,
    encoded_feed,
)
from services.ingest.checks import check_manifest
from services.ingest.decoding import MessageDecoder
from services.ingest.errors import InvalidManifest
from services.ingest.formats.base import FEED_HEADER, FORMAT_HEADER, Context, FormatError, Message
from services.ingest.formats.registry import FORMATS
from services.ingest.validation import validate_document
from services.localstack.workers import stop_worker
from services.shared import topics
from services.shared.kafka_clients import aio_producer, kafka_admin, kafka_consumer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.models.ais import AisReport
from services.shared.progress import end_offsets
from services.shared.settings import Settings
from services.shared.stage import InputRecord

INGEST = "ingest"
FORMAT_ORDER = ("json", "csv", "cuscar", "ais")
DEFAULT_MESSAGES = 20_000
SAMPLE_INTERVAL_S = 0.025
#: Messages decoded before the timed pass, so that lazy loading and first-call costs are not timed.
DECODE_WARM_UP = 200
REASON_HEADER = "interdict.errors.reason"
SERVICE_HEADER = "interdict.errors.service"
MESSAGE_HEADER = "__connect.errors.exception.message"

console = Console(width=None if sys.stdout.isatty() else 140)


# -- the messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormatFeed:
    """The messages of one format, as the feed publisher would send them, and their headers."""

    format: str
    messages: list[Message]
    feed: str | None  # the `interdict.feed` header, if the publisher sets one

    @property
    def headers(self) -> list[tuple[str, bytes]]:
        feed = [(FEED_HEADER, self.feed.encode())] if self.feed else []
        return [(FORMAT_HEADER, self.format.encode()), *feed]

    @property
    def mean_bytes(self) -> float:
        return sum(len(message.payload) for message in self.messages) / max(1, len(self.messages))


def prepare_feed(fmt: str, count: int, hit_rate: float, seed: int) -> FormatFeed:
    """`count` generated manifests in `fmt`, cut into messages as `interdict feed publish` cuts them."""
    data = b"".join(encoded for _, encoded in encoded_feed(fmt, count, hit_rate, seed))
    messages = list(FORMATS[fmt].split(io.BytesIO(data)))
    return FormatFeed(fmt, messages, AIS_FEED if fmt == "ais" else None)


async def _publish(settings: Settings, feed: FormatFeed, destinations: Sequence[str]) -> None:
    # The stages' own producer settings, as the pipeline benchmark's feed: publishing is done before
    # any worker starts, so it is not measured, only made quick.
    producer = aio_producer(
        settings,
        OPERATOR,
        client_id="interdict-bench-ingest-feed",
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_batch_bytes,
        compression_type=settings.producer_compression or None,
    )
    await producer.start()
    try:
        headers = feed.headers
        pending = [
            await producer.send(topic, message.payload, key=message.key, headers=headers)
            for topic in destinations
            for message in feed.messages
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def publish(settings: Settings, feed: FormatFeed, destinations: Sequence[str]) -> None:
    asyncio.run(_publish(settings, feed, destinations))


# -- one worker on its backlog -------------------------------------------------------------------


@dataclass
class WorkerRun:
    """One worker taking a backlog of `records`: its clock, its CPU, what its metrics said."""

    service: str
    records: int
    startup_s: float  # process start until its first commit was seen
    window_s: float  # from the first commit seen until everything was committed
    counted: int  # records committed within the window (all but the first commit's)
    cpu: dict[str, float]  # CPU seconds over the window: the worker, the broker, Redis
    batches: float = 0.0
    counters: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.counted / self.window_s if self.window_s > 0 and self.counted > 0 else None

    def cpu_per_1000(self, kind: str = "worker") -> float | None:
        return self.cpu[kind] / self.counted * 1000 if self.counted and kind in self.cpu else None


class WorkerFailed(RuntimeError):
    def __init__(self, message: str, log_tail: list[str]) -> None:
        super().__init__(message)
        self.log_tail = log_tail


def run_worker(space: Namespace, service: str, source: str, timeout_s: float) -> WorkerRun:
    """Start one worker of `service` on the backlog of `source`; time it until it has committed all."""
    settings = space.settings
    records = sum(end_offsets(settings, source).values())
    group = topics.group_id(settings, service)
    clock = CommitSampler(settings, {group: source}, interval_s=SAMPLE_INTERVAL_S)
    clock.start()
    worker: Worker | None = None
    try:
        started = time.time()
        space.start(service, 1)
        worker = space.workers[-1]
        deadline = time.monotonic() + timeout_s
        first = _wait_for(clock, group, 1, worker, deadline, f"{service}: no commit")
        cpu_first = _cpu(worker)
        done = _wait_for(
            clock, group, records, worker, deadline, f"{service}: not all of {records:,} records committed"
        )
        cpu_done = _cpu(worker)
        run = WorkerRun(
            service=service,
            records=records,
            startup_s=first[0] - started,
            window_s=done[0] - first[0],
            counted=records - first[1],
            cpu={kind: cpu_done[kind] - cpu_first.get(kind, 0.0) for kind in cpu_done},
        )
        if worker.metrics_port is not None:
            run.batches = batch_totals([worker], service).batches
            run.counters = scrape_counters(worker.metrics_port)
        return run
    finally:
        clock.stop()
        if worker is not None:
            stop_worker(worker.process)


def _wait_for(
    clock: CommitSampler, group: str, count: int, worker: Worker, deadline: float, what: str
) -> tuple[float, int]:
    while (sample := clock.first_at_least(group, count)) is None:
        if worker.process.poll() is not None:
            raise WorkerFailed(f"{what}: the worker exited with {worker.process.returncode}", log_tail(worker))
        if time.monotonic() > deadline:
            raise WorkerFailed(f"{what} before the timeout", log_tail(worker))
        time.sleep(0.02)
    return sample


def _cpu(worker: Worker) -> dict[str, float]:
    snapshot = {"worker": cpu_seconds(worker.process.pid)}
    for name, pid in stack_pids().items():
        snapshot[name] = cpu_seconds(pid)
    return snapshot


def log_tail(worker: Worker, lines: int = 25) -> list[str]:
    try:
        text = worker.log_path.read_bytes().decode(errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def scrape_counters(port: int) -> dict[str, float]:
    """The worker's counters (`_total` samples), summed over their labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total"):
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


# -- where every message went --------------------------------------------------------------------


@dataclass
class Accounting:
    inputs: int
    valid: int  # records on manifests.valid
    ais: int  # records on vessels.ais
    dead_letters: int  # ingest's records on manifests.dlq
    duplicates: int  # manifests ingest processed and did not pass on (unchanged resendings)
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    @property
    def accounted(self) -> int:
        return self.valid + self.ais + self.dead_letters + self.duplicates

    @property
    def ok(self) -> bool:
        """Every message came out (generated messages hold one document each), none dead-lettered."""
        return self.accounted == self.inputs and self.dead_letters == 0


def account(settings: Settings, inputs: int, counters: dict[str, float]) -> Accounting:
    valid = sum(end_offsets(settings, topics.qualified(settings, topics.MANIFESTS_VALID)).values())
    ais = sum(end_offsets(settings, topics.qualified(settings, topics.VESSELS_AIS)).values())
    reasons, examples = read_dead_letters(settings)
    duplicates = int(counters.get("interdict_manifests_duplicate_total", 0))
    return Accounting(inputs, valid, ais, sum(reasons.values()), duplicates, dict(reasons), examples)


def read_dead_letters(settings: Settings, keep: int = 3) -> tuple[Counter[str], list[str]]:
    """Ingest's dead letters in this namespace: how many by reason, and the first few messages."""
    topic = topics.qualified(settings, topics.MANIFESTS_DLQ)
    consumer = kafka_consumer(settings, OPERATOR, enable_auto_commit=False)
    reasons: Counter[str] = Counter()
    examples: list[str] = []
    try:
        partitions = required_partitions(consumer, topic)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        deadline = time.monotonic() + 60
        while any((consumer.position(tp) or 0) < end[tp] for tp in partitions) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    headers = {name: (value or b"").decode(errors="replace") for name, value in record.headers}
                    if headers.get(SERVICE_HEADER) != INGEST:
                        continue
                    reason = headers.get(REASON_HEADER, "?")
                    reasons[reason] += 1
                    if len(examples) < keep:
                        examples.append(f"{reason}: {headers.get(MESSAGE_HEADER, '')[:300]}")
    finally:
        consumer.close()
    return reasons, examples


# -- parsing and validation, in this process -----------------------------------------------------


@dataclass
class DecodeProfile:
    """Seconds per message of MessageDecoder.decode, and of its parts timed apart (None: not timed)."""

    messages: int
    rejected: int
    decode_s: float
    format_s: float | None = None
    validate_s: float | None = None
    checks_s: float | None = None
    problem: str | None = None

    @property
    def rest_s(self) -> float | None:
        """What decode does besides: headers, the feed's configuration, assembling the result."""
        parts = (self.format_s, self.validate_s, self.checks_s)
        if any(part is None for part in parts):
            return None
        return max(0.0, self.decode_s - sum(part for part in parts if part is not None))

    def parts(self) -> dict[str, float | None]:
        return {
            "decode": self.decode_s,
            "format": self.format_s,
            "validate": self.validate_s,
            "checks": self.checks_s,
            "rest": self.rest_s,
        }


@dataclass
class Decoding:
    """What decoding needs, made once: the decoder ingest builds, and the checks' code book."""

    settings: Settings
    decoder: MessageDecoder

    @classmethod
    def create(cls, settings: Settings) -> Decoding:
        return cls(settings, MessageDecoder.from_settings(settings))


def profile_decode(decoding: Decoding, feed: FormatFeed, sample: int) -> DecodeProfile:
    messages = feed.messages[:sample]
    now_ms = int(time.time() * 1000)
    received = datetime.fromtimestamp(now_ms / 1000, UTC)
    raw = topics.qualified(decoding.settings, topics.MANIFESTS_RAW)
    headers = tuple(feed.headers)
    records = [
        InputRecord(raw, 0, offset, message.key, message.payload, headers, now_ms)
        for offset, message in enumerate(messages)
    ]
    for record in records[:DECODE_WARM_UP]:
        with _refused_quietly():
            decoding.decoder.decode(record)
    # This process holds what a worker does not (every format's messages, Kafka clients): frozen out
    # of the garbage collector's sight, so that its collections cost what they cost in a worker.
    gc.collect()
    gc.freeze()
    try:
        rejected = 0
        began = time.perf_counter()
        for record in records:
            try:
                decoding.decoder.decode(record)
            except InvalidManifest:
                rejected += 1
        count = max(1, len(records))
        profile = DecodeProfile(len(records), rejected, (time.perf_counter() - began) / count)
        try:
            _profile_parts(decoding, feed, messages, received, profile)
        except Exception as error:  # the parts are extra: a change in code built meanwhile must not lose the rest
            profile.problem = f"{type(error).__name__}: {error}"
    finally:
        gc.unfreeze()
    return profile


def _profile_parts(
    decoding: Decoding, feed: FormatFeed, messages: Sequence[Message], received: datetime, profile: DecodeProfile
) -> None:
    """Each message through the format, the models and the checks, each step timed apart (nothing
    is kept from one message to the next, as in the worker: a pile of live objects would slow the
    garbage collector, and the figures with it)."""
    chosen = FORMATS[feed.format]
    context = Context(feed=feed.feed, received_at=received)
    clock = time.perf_counter
    format_s = validate_s = checks_s = 0.0
    for message in messages:
        with _refused_quietly():
            began = clock()
            documents = chosen.decode(message.payload, context)
            decoded = clock()
            format_s += decoded - began
            manifests = []
            for document in documents:
                if document.get("kind") == "ais_report":
                    AisReport.model_validate(document)
                else:
                    manifests.append(validate_document(document))
            validated = clock()
            validate_s += validated - decoded
            for manifest in manifests:
                check_manifest(manifest, decoding.decoder.book, received)
            checks_s += clock() - validated
    count = max(1, len(messages))
    profile.format_s, profile.validate_s, profile.checks_s = format_s / count, validate_s / count, checks_s / count


def _refused_quietly() -> suppress:
    """A part only times what it can do: refusals are counted by the full decode's pass."""
    return suppress(InvalidManifest, FormatError, ValueError)


# -- one repeat of one format --------------------------------------------------------------------


@dataclass
class FormatRun:
    format: str
    repeat: int
    ingest: WorkerRun | None = None
    passthrough: WorkerRun | None = None
    accounting: Accounting | None = None
    decode: DecodeProfile | None = None
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)
    load: float = 0.0  # the machine's load average (1 min) at the end of the run

    @property
    def ratio(self) -> float | None:
        ingest = self.ingest.rate if self.ingest else None
        baseline = self.passthrough.rate if self.passthrough else None
        return ingest / baseline if ingest and baseline else None

    def share(self, part: str) -> float | None:
        """Seconds per message of a part of decoding over the worker's seconds per message."""
        seconds = self.decode.parts()[part] if self.decode else None
        rate = self.ingest.rate if self.ingest else None
        return seconds * rate if seconds is not None and rate else None


def run_format(
    base: Settings, root: Path, feed: FormatFeed, repeat: int, args: argparse.Namespace, decoding: Decoding
) -> FormatRun:
    result = FormatRun(feed.format, repeat)
    space = Namespace.create(base, root, f"{feed.format}-{repeat}", args.partitions)
    try:
        raw = topics.qualified(space.settings, topics.MANIFESTS_RAW)
        source = topics.qualified(space.settings, passthrough.INPUT_TOPIC)
        publish(space.settings, feed, [raw, source])
        order = [INGEST, passthrough.SERVICE] if repeat % 2 else [passthrough.SERVICE, INGEST]
        for service in order:
            measured = run_worker(space, service, raw if service == INGEST else source, args.timeout)
            if service == INGEST:
                result.ingest = measured
                result.accounting = account(space.settings, measured.records, measured.counters)
            else:
                result.passthrough = measured
        result.decode = profile_decode(decoding, feed, args.decode_sample)
    except (TimeoutError, RuntimeError, KafkaError) as error:
        result.error = str(error) if isinstance(error, WorkerFailed) else f"{type(error).__name__}: {error}"
        result.log_tail = error.log_tail if isinstance(error, WorkerFailed) else []
        if result.accounting is None:  # what a failed ingest did get through, and its dead letters' reasons
            with _suppressed():
                raw = topics.qualified(space.settings, topics.MANIFESTS_RAW)
                inputs = sum(end_offsets(space.settings, raw).values())
                result.accounting = account(space.settings, inputs, {})
    finally:
        destroy(space)
        result.load = os.getloadavg()[0]
    return result


def destroy(space: Namespace) -> None:
    """Workers, topics, Redis keys (Namespace.destroy), then the namespace's consumer groups."""
    try:
        space.destroy()
    finally:
        groups = [topics.group_id(space.settings, service) for service in (INGEST, passthrough.SERVICE)]
        with _suppressed():
            admin = kafka_admin(space.settings, OPERATOR)
            try:
                admin.delete_groups(groups)
            finally:
                admin.close()


@contextmanager
def _suppressed() -> Iterator[None]:
    try:
        yield
    except (KafkaError, OSError) as error:
        console.print(f"[yellow]cleanup: {type(error).__name__}: {error}")


# -- the report ----------------------------------------------------------------------------------


@dataclass
class Spread:
    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Spread | None:
        known = [value for value in values if value is not None]
        if not known:
            return None
        return cls(statistics.median(known), min(known), max(known), len(known))

    def show(self, fmt: Callable[[float], str]) -> str:
        if self.runs == 1 or self.low == self.high:
            return fmt(self.median)
        return f"{fmt(self.median)} [{fmt(self.low)}-{fmt(self.high)}]"

    def as_json(self, digits: int) -> dict[str, float]:
        return {
            "median": round(self.median, digits),
            "min": round(self.low, digits),
            "max": round(self.high, digits),
            "runs": self.runs,
        }


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def _ratio(value: float) -> str:
    return f"{value:.2f}"


def _percent(value: float) -> str:
    return f"{value * 100:.0f}"


def _us(value: float) -> str:
    return f"{value * 1e6:,.0f}"


def _seconds(value: float) -> str:
    return f"{value:.2f}"


def _cpu_ms(value: float) -> str:
    return f"{value * 1000:,.0f}"


DECODE_ROWS = (
    ("decode", "MessageDecoder.decode in-process"),
    ("format", "  format's own decode"),
    ("validate", "  model validation"),
    ("checks", "  code checks (checks.py)"),
    ("rest", "  the rest (headers, feeds)"),
)


def _metrics(runs: list[FormatRun]) -> dict[str, Spread | None]:
    """Every figure of a format's runs, by name, as a median and a range."""

    def of(get: Callable[[FormatRun], float | None]) -> Spread | None:
        return Spread.of([get(run) for run in runs if run.error is None])

    figures: dict[str, Spread | None] = {
        "ingest_per_s": of(lambda run: run.ingest.rate if run.ingest else None),
        "passthrough_per_s": of(lambda run: run.passthrough.rate if run.passthrough else None),
        "ratio": of(lambda run: run.ratio),
        "ingest_window_s": of(lambda run: run.ingest.window_s if run.ingest else None),
        "passthrough_window_s": of(lambda run: run.passthrough.window_s if run.passthrough else None),
        "ingest_startup_s": of(lambda run: run.ingest.startup_s if run.ingest else None),
        "passthrough_startup_s": of(lambda run: run.passthrough.startup_s if run.passthrough else None),
        "ingest_s_per_message": of(lambda run: 1 / rate if run.ingest and (rate := run.ingest.rate) else None),
        "ingest_cpu_s_per_1000": of(lambda run: run.ingest.cpu_per_1000() if run.ingest else None),
        "ingest_cpu_busy": of(
            lambda run: (
                run.ingest.cpu["worker"] / run.ingest.window_s if run.ingest and run.ingest.window_s > 0 else None
            )
        ),
        "broker_cpu_s_per_1000_ingest": of(lambda run: run.ingest.cpu_per_1000("Kafka broker") if run.ingest else None),
        "redis_cpu_s_per_1000_ingest": of(lambda run: run.ingest.cpu_per_1000("Redis") if run.ingest else None),
        "passthrough_cpu_s_per_1000": of(lambda run: run.passthrough.cpu_per_1000() if run.passthrough else None),
    }
    for part, _ in DECODE_ROWS:
        figures[f"{part}_s_per_message"] = of(partial(_decode_part, part=part))
        figures[f"{part}_share"] = of(partial(FormatRun.share, part=part))
    return figures


def _decode_part(run: FormatRun, part: str) -> float | None:
    return run.decode.parts()[part] if run.decode else None


def print_report(
    args: argparse.Namespace, feeds: dict[str, FormatFeed], runs: dict[str, list[FormatRun]], load: tuple[float, float]
) -> None:
    formats = list(runs)
    figures = {fmt: _metrics(runs[fmt]) for fmt in formats}
    title = (
        f"Ingest benchmark: {args.messages:,} messages per format, {args.repeats} repeat(s), one worker, "
        f"{args.partitions} partitions, {os.cpu_count()} cores; median \\[range]"
    )
    table = Table(title=title)
    table.add_column("", no_wrap=True)
    for fmt in formats:
        table.add_column(fmt, justify="right")

    def row(name: str, key: str, fmt: Callable[[float], str]) -> None:
        cells = []
        for name_of_format in formats:
            spread = figures[name_of_format][key]
            cells.append(spread.show(fmt) if spread is not None else "-")
        table.add_row(name, *cells)

    table.add_row("messages: bytes each (mean)", *[f"{feeds[fmt].mean_bytes:,.0f}" for fmt in formats])
    row("[bold]ingest (messages/s)", "ingest_per_s", _rate)
    row("raw pass-through (records/s)", "passthrough_per_s", _rate)
    row("[bold]ingest / pass-through", "ratio", _ratio)
    row("  ingest timed over (s)", "ingest_window_s", _seconds)
    row("  pass-through timed over (s)", "passthrough_window_s", _seconds)
    row("  start-up to first commit: ingest (s)", "ingest_startup_s", _seconds)
    row("    pass-through (s)", "passthrough_startup_s", _seconds)
    table.add_section()
    row("ingest wall time per message (µs)", "ingest_s_per_message", _us)
    for part, label in DECODE_ROWS:
        row(f"{label} (µs)", f"{part}_s_per_message", _us)
    row("[bold]share of ingest's wall time (%): decode", "decode_share", _percent)
    for part, label in DECODE_ROWS[1:]:
        row(f"  {label.strip()}", f"{part}_share", _percent)
    table.add_section()
    row("CPU ms per 1,000 messages: ingest worker", "ingest_cpu_s_per_1000", _cpu_ms)
    row("  its CPU busy (% of its wall time)", "ingest_cpu_busy", _percent)
    row("  broker, during ingest", "broker_cpu_s_per_1000_ingest", _cpu_ms)
    row("  Redis, during ingest", "redis_cpu_s_per_1000_ingest", _cpu_ms)
    row("  pass-through worker", "passthrough_cpu_s_per_1000", _cpu_ms)
    table.add_section()
    for label, get in _ACCOUNT_ROWS:
        table.add_row(label, *[_account_cell(runs[fmt], get) for fmt in formats])
    table.add_row("runs failed", *[_flag(sum(1 for run in runs[fmt] if run.error)) for fmt in formats])
    console.print(table)
    _print_problems(runs)
    console.print(f"load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f}")


_ACCOUNT_ROWS: tuple[tuple[str, Callable[[Accounting], int]], ...] = (
    ("messages in", lambda a: a.inputs),
    ("  -> manifests.valid", lambda a: a.valid),
    ("  -> vessels.ais", lambda a: a.ais),
    ("  -> dead-lettered", lambda a: a.dead_letters),
    ("  duplicates (not passed on)", lambda a: a.duplicates),
    ("  unaccounted for", lambda a: a.inputs - a.accounted),
)


def _account_cell(runs: list[FormatRun], get: Callable[[Accounting], int]) -> str:
    """The count, the same in every run; several values shown apart when the runs differ."""
    values = list(dict.fromkeys(get(run.accounting) for run in runs if run.accounting is not None))
    return " / ".join(f"{value:,}" for value in values) if values else "-"


def _flag(count: int) -> str:
    return f"[green]{count}" if count == 0 else f"[red]{count:,}"


def _print_problems(runs: dict[str, list[FormatRun]]) -> None:
    for fmt, format_runs in runs.items():
        for run in format_runs:
            where = f"{fmt}, repeat {run.repeat + 1}"
            if run.error:
                console.print(f"[red]{where}: {run.error}")
                for line in run.log_tail:
                    console.print(f"    {line[:240]}", markup=False, highlight=False)
            if run.accounting is not None and run.accounting.reasons:
                ranked = sorted(run.accounting.reasons.items(), key=lambda item: -item[1])
                reasons = ", ".join(f"{reason} {count:,}" for reason, count in ranked)
                console.print(f"[red]{where}: dead letters by reason: {reasons}")
                for example in run.accounting.examples:
                    console.print(f"    {example}", markup=False, highlight=False)
            untimed = [
                kind
                for kind, measured in (("ingest", run.ingest), ("pass-through", run.passthrough))
                if measured is not None and measured.rate is None
            ]
            if untimed:
                console.print(
                    f"[yellow]{where}: {' and '.join(untimed)} committed everything at once: no rate; "
                    "give more --messages"
                )
            if run.decode is not None and run.decode.rejected:
                console.print(
                    f"[red]{where}: in-process decode refused {run.decode.rejected:,} of "
                    f"{run.decode.messages:,} messages"
                )
            if run.decode is not None and run.decode.problem:
                console.print(f"[yellow]{where}: decode parts not timed: {run.decode.problem}")


def summary(
    args: argparse.Namespace, feeds: dict[str, FormatFeed], runs: dict[str, list[FormatRun]]
) -> dict[str, object]:
    result: dict[str, object] = {
        "benchmark": "ingest",
        "messages": args.messages,
        "repeats": args.repeats,
        "seed": args.seed,
        "hit_rate": args.hit_rate,
        "partitions": args.partitions,
        "cores": os.cpu_count(),
        "decode_sample": args.decode_sample,
    }
    formats: dict[str, object] = {}
    for fmt, format_runs in runs.items():
        figures = _metrics(format_runs)
        entry: dict[str, object] = {
            "mean_bytes": round(feeds[fmt].mean_bytes),
            **{
                name: spread.as_json(6 if "_s_per_message" in name else 3) if spread else None
                for name, spread in figures.items()
            },
            "runs": [_run_json(run) for run in format_runs],
        }
        formats[fmt] = entry
    result["formats"] = formats
    return result


def _run_json(run: FormatRun) -> dict[str, object]:
    accounting = run.accounting
    return {
        "repeat": run.repeat + 1,
        "ingest_per_s": _round(run.ingest.rate if run.ingest else None),
        "passthrough_per_s": _round(run.passthrough.rate if run.passthrough else None),
        "ratio": _round(run.ratio, 3),
        "decode_share": _round(run.share("decode"), 3),
        "ingest_batches": run.ingest.batches if run.ingest else None,
        "counts": {
            "inputs": accounting.inputs,
            "valid": accounting.valid,
            "ais": accounting.ais,
            "dead_letters": accounting.dead_letters,
            "duplicates": accounting.duplicates,
            "dead_letter_reasons": accounting.reasons,
        }
        if accounting
        else None,
        "load_average": round(run.load, 2),
        "error": run.error,
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return round(value, digits) if value is not None else None


# -- the command ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES, help="messages per format and run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of every format, in alternation")
    parser.add_argument("--formats", default=",".join(FORMAT_ORDER), help="formats, comma-separated")
    parser.add_argument("--hit-rate", type=float, default=DEFAULT_HIT_RATE, help="share carrying a listed identity")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=None, help="partitions per topic (default: the settings')")
    parser.add_argument(
        "--decode-sample",
        type=int,
        default=2000,
        help="messages decoded in-process per run, for the parsing and validation shares",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a worker may take to drain a backlog")
    parser.add_argument("--keep-state", action="store_true", help="keep the workers' state dirs and logs")
    parser.add_argument("--json", action="store_true", help="also print the summary as one JSON line")
    args = parser.parse_args(argv)
    args.format_list = [part.strip() for part in args.formats.split(",") if part.strip()]
    unknown = [fmt for fmt in args.format_list if fmt not in FORMATS or fmt not in FORMAT_KINDS]
    if unknown or not args.format_list:
        parser.error(f"--formats: {', '.join(unknown) or 'none given'}; known: {', '.join(FORMAT_ORDER)}")
    if args.messages < 1 or args.repeats < 1 or args.decode_sample < 1:
        parser.error("--messages, --repeats and --decode-sample need at least 1")
    return args


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through every cleanup, as Ctrl-C does


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # aiokafka warns of every retried send while a new topic's partitions get their leaders: retried.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    base = Settings()
    args.partitions = args.partitions or base.topic_partitions
    problem = check_stack(base)
    if problem is not None:
        console.print(f"[red]{problem}; run it with `make bench-ingest` (which starts the local stack)")
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    load_start = os.getloadavg()[0]
    feeds: dict[str, FormatFeed] = {}
    for fmt in args.format_list:
        began = time.monotonic()
        feeds[fmt] = prepare_feed(fmt, args.messages, args.hit_rate, args.seed)
        console.print(
            f"generated {len(feeds[fmt].messages):,} {fmt} messages, {feeds[fmt].mean_bytes:,.0f} bytes "
            f"on average ({time.monotonic() - began:.1f} s)"
        )
    decoding = Decoding.create(base)
    runs: dict[str, list[FormatRun]] = {fmt: [] for fmt in args.format_list}
    with ExitStack() as stack:
        if args.keep_state:
            root = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
            console.print(f"state and logs kept in {root}")
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ingest-")))
        for repeat in range(args.repeats):
            shift = repeat % len(args.format_list)
            for fmt in [*args.format_list[shift:], *args.format_list[:shift]]:
                began = time.monotonic()
                run = run_format(base, root, feeds[fmt], repeat, args, decoding)
                runs[fmt].append(run)
                console.print(_progress_line(run, time.monotonic() - began))
    print_report(args, feeds, runs, (load_start, os.getloadavg()[0]))
    if args.json:
        print(orjson.dumps(summary(args, feeds, runs)).decode())
    every = [run for group in runs.values() for run in group]
    return 1 if any(run.error or run.accounting is None or not run.accounting.ok for run in every) else 0


def _progress_line(run: FormatRun, seconds: float) -> str:
    where = f"repeat {run.repeat + 1}, {run.format}:"
    if run.error:
        return f"[red]{where} failed: {run.error}"
    ingest = run.ingest.rate if run.ingest else None
    baseline = run.passthrough.rate if run.passthrough else None
    share = run.share("decode")
    return (
        f"{where} ingest {_rate(ingest) if ingest else '-'}/s, "
        f"pass-through {_rate(baseline) if baseline else '-'}/s, "
        f"ratio {_ratio(run.ratio) if run.ratio else '-'}, decode {_percent(share) if share else '-'}% of ingest's "
        f"time ({seconds:.0f} s, load {run.load:.1f})"
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; workers stopped, topics, groups and Redis keys removed")
        sys.exit(130)
