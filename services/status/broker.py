"""What the broker says about the pipeline: each stage's lag and pace, the dead letters, and when
each desk last received an alert. Offsets only, except for the desks' last records: nothing here
reads a whole topic, so the command stays quick on a busy system."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition

from services.shared import topics
from services.shared.kafka_clients import kafka_consumer
from services.shared.kafka_security import OPERATOR
from services.shared.lag import LagReader, PartitionLag, total
from services.shared.settings import Settings

#: How far back from a desk partition's end its last alert is looked for: a transaction adds a
#: commit marker after its records, so the last alert is a few offsets back, more after aborts.
_DESK_WINDOWS = (16, 512)
_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class GroupState:
    service: str
    group: str
    topic: str
    lag: int
    partitions: list[PartitionLag]
    #: over the sampling interval (None without one): records committed and written per second
    done_per_s: float | None = None
    written_per_s: float | None = None
    lag_change: int | None = None


@dataclass(frozen=True)
class DeskState:
    desk: str
    topic: str
    last_alert_at: datetime | None


@dataclass(frozen=True)
class DeadLetters:
    topic: str
    #: records on the topic, by offsets (a transaction's commit marker counts as one)
    on_topic: int
    last_hour: int


@dataclass
class BrokerState:
    reachable: bool
    problem: str | None = None
    groups: list[GroupState] = field(default_factory=list)
    dead_letters: DeadLetters | None = None
    desks: list[DeskState] = field(default_factory=list)


def read_broker(settings: Settings, sample_s: float) -> BrokerState:
    """Everything above, or why the broker could not tell."""
    try:
        with LagReader(settings) as reader:
            groups = _groups(settings, reader, sample_s)
        consumer = _consumer(settings)
        try:
            return BrokerState(True, None, groups, _dead_letters(settings, consumer), _desks(settings, consumer))
        finally:
            consumer.close()
    except Exception as error:  # any failure is shown, not raised: status must work when Kafka is away
        return BrokerState(False, f"Kafka at {settings.kafka_bootstrap}: {error or type(error).__name__}")


def _consumer(settings: Settings) -> KafkaConsumer:
    return kafka_consumer(
        settings,
        OPERATOR,
        client_id="interdict-status",
        enable_auto_commit=False,
        isolation_level="read_committed",  # as desks read: an aborted alert is no alert
        request_timeout_ms=_TIMEOUT_MS + 1000,
    )


def _stages(settings: Settings) -> list[tuple[str, str, str]]:
    return [
        (service, topics.group_id(settings, service), topics.qualified(settings, base))
        for service, base in topics.SERVICE_INPUTS.items()
    ]


def _measure(reader: LagReader, stages: Sequence[tuple[str, str, str]]) -> list[list[PartitionLag]]:
    return [reader.measure([group], [topic]) for _, group, topic in stages]


def _groups(settings: Settings, reader: LagReader, sample_s: float) -> list[GroupState]:
    stages = _stages(settings)
    first, started = _measure(reader, stages), time.monotonic()
    if sample_s <= 0:
        return [GroupState(s, g, t, total(r), r) for (s, g, t), r in zip(stages, first, strict=True)]
    time.sleep(sample_s)  # the interval the rates are measured over, not a wait for something to happen
    second, elapsed = _measure(reader, stages), time.monotonic() - started
    samples = zip(stages, first, second, strict=True)
    return [_with_rates(stage, before, after, elapsed) for stage, before, after in samples]


def _with_rates(
    stage: tuple[str, str, str], before: list[PartitionLag], after: list[PartitionLag], elapsed: float
) -> GroupState:
    service, group, topic = stage
    written = sum(r.end for r in after) - sum(r.end for r in before)
    done = written - (total(after) - total(before))  # what the group moved forward: end - lag
    lag_change = total(after) - total(before)
    return GroupState(service, group, topic, total(after), after, done / elapsed, written / elapsed, lag_change)


def _dead_letters(settings: Settings, consumer: KafkaConsumer) -> DeadLetters:
    topic = topics.qualified(settings, topics.MANIFESTS_DLQ)
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    ends = consumer.end_offsets(partitions)
    starts = consumer.beginning_offsets(partitions)
    hour_ago = int((time.time() - 3600) * 1000)
    since = consumer.offsets_for_times({tp: hour_ago for tp in partitions})
    recent = 0
    for tp in partitions:
        found = since.get(tp)  # None: nothing written in the last hour
        recent += ends[tp] - found.offset if found is not None else 0
    return DeadLetters(topic, sum(ends[tp] - starts[tp] for tp in partitions), recent)


def _desks(settings: Settings, consumer: KafkaConsumer) -> list[DeskState]:
    desk_topics = {desk: topics.desk_topic(settings, desk) for desk in settings.partner_countries}
    newest = _newest_timestamps(consumer, list(desk_topics.values()))
    return [DeskState(desk, topic, _as_time(newest.get(topic))) for desk, topic in desk_topics.items()]


def _as_time(timestamp_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC) if timestamp_ms is not None else None


def _newest_timestamps(consumer: KafkaConsumer, names: list[str]) -> dict[str, int]:
    """The newest committed record's timestamp of each topic, read from the end of each partition."""
    partitions = [TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or ())]
    ends = consumer.end_offsets(partitions)
    starts = consumer.beginning_offsets(partitions)
    newest: dict[str, int] = {}
    for window in _DESK_WINDOWS:
        unread = [tp for tp in partitions if tp.topic not in newest and ends[tp] > starts[tp]]
        if not unread:
            break
        seen = _read_tails(consumer, {tp: (max(starts[tp], ends[tp] - window), ends[tp]) for tp in unread})
        for topic, timestamp in seen.items():
            newest[topic] = max(newest.get(topic, timestamp), timestamp)
    return newest


def _read_tails(consumer: KafkaConsumer, ranges: dict[TopicPartition, tuple[int, int]]) -> dict[str, int]:
    consumer.assign(list(ranges))
    for tp, (start, _) in ranges.items():
        consumer.seek(tp, start)
    newest: dict[str, int] = {}
    deadline = time.monotonic() + _TIMEOUT_MS / 1000
    # Until every partition is read to its end; a partition that does not answer in time is shown
    # without a last alert rather than holding up the whole screen.
    while time.monotonic() < deadline and any((consumer.position(tp) or 0) < end for tp, (_, end) in ranges.items()):
        for tp, records in consumer.poll(timeout_ms=200).items():
            for record in records:
                newest[tp.topic] = max(newest.get(tp.topic, record.timestamp), record.timestamp)
    return newest
