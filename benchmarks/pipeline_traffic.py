"""What the pipeline benchmark sends and watches: manifests in, committed offsets, alerts out.

- publishing: as fast as the broker takes them (throughput runs) or paced at a rate (latency run),
  with aiokafka, keyed as a feed keys them (`<feed>:<manifest_id>`);
- progress: each consumer group's committed offsets, sampled every 100 ms by a thread, from which
  each stage's rate and the moment it finished are read afterwards;
- alerts: every desk topic read back as a desk reads it (committed records only), either after
  the fact (correctness) or live, timing each alert as it becomes visible (latency).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka import TopicPartition as AIOTopicPartition
from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import KafkaError

from services.shared import topics
from services.shared.kafka_clients import aio_consumer, aio_producer, kafka_admin, kafka_consumer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.settings import PARTNER_COUNTRIES, Settings
from services.shared.stage.records import PUBLISHED_AT_HEADER

SAMPLE_INTERVAL_S = 0.1


@dataclass(frozen=True)
class Message:
    key: bytes
    value: bytes


# -- publishing ----------------------------------------------------------------------------------


def _producer(settings: Settings) -> AIOKafkaProducer:
    # The stages' own producer settings (services/shared/worker.py kafka_options): a feed that
    # batches as well as the services do, so that publishing is never what the run measures.
    return aio_producer(
        settings,
        OPERATOR,
        client_id="interdict-bench-feed",
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_batch_bytes,
        compression_type=settings.producer_compression or None,
    )


async def _publish_all(settings: Settings, topic: str, messages: Sequence[Message]) -> tuple[float, float]:
    producer = _producer(settings)
    await producer.start()
    try:
        started = time.time()
        pending = [await producer.send(topic, message.value, key=message.key) for message in messages]
        await asyncio.gather(*pending)
        return started, time.time()
    finally:
        await producer.stop()


def publish_all(settings: Settings, topic: str, messages: Sequence[Message]) -> tuple[float, float]:
    """Publish every message at once; (time of the first send, time the last was acknowledged)."""
    return asyncio.run(_publish_all(settings, topic, messages))


async def _publish_paced(settings: Settings, topic: str, messages: Sequence[Message], rate: float) -> float:
    """Publish at `rate` messages a second, spread evenly; the time the last was acknowledged."""
    producer = _producer(settings)
    await producer.start()
    try:
        pending = []
        started = time.monotonic()
        for sent, message in enumerate(messages):
            due_at = started + sent / rate
            if (delay := due_at - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            pending.append(await producer.send(topic, message.value, key=message.key))
        await asyncio.gather(*pending)
        return time.time()
    finally:
        await producer.stop()


# -- progress ------------------------------------------------------------------------------------


@dataclass
class StageProgress:
    """One group's committed offsets over a run: when it started and finished, and how fast."""

    group: str
    base: int
    final: int
    first_commit_at: float | None
    done_at: float | None
    first_commit_count: int

    @property
    def records(self) -> int:
        return self.final - self.base

    @property
    def rate(self) -> float | None:
        """Records per second from its first to its last commit (the first batch not counted:
        it has no start time), as sampled."""
        if self.first_commit_at is None or self.done_at is None or self.done_at <= self.first_commit_at:
            return None
        return (self.final - self.first_commit_count) / (self.done_at - self.first_commit_at)


class CommitSampler(threading.Thread):
    """Samples the committed offsets of some groups on their input topics (every 100 ms unless told)."""

    def __init__(self, settings: Settings, inputs: dict[str, str], interval_s: float = SAMPLE_INTERVAL_S) -> None:
        super().__init__(name="commit-sampler", daemon=True)
        self._settings = settings
        self._inputs = inputs  # group -> its input topic
        self._interval_s = interval_s
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self.samples: list[tuple[float, dict[str, int]]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        admin = kafka_admin(self._settings, OPERATOR)
        try:
            while not self._stop_event.is_set():
                began = time.time()
                sample = self._committed(admin)
                if sample is not None:
                    with self._lock:
                        self.samples.append((began, sample))
                self._stop_event.wait(max(0.0, self._interval_s - (time.time() - began)))
        except BaseException as error:  # reported by the main thread, which waits on the samples
            self.error = error
        finally:
            admin.close()

    def _committed(self, admin: KafkaAdminClient) -> dict[str, int] | None:
        try:
            offsets = admin.list_group_offsets({group: None for group in self._inputs})
        except KafkaError as error:
            if error.retriable:  # a new group's coordinator is still loading it: no sample this time
                return None
            raise
        return {
            group: sum(
                position.offset
                for partition, position in offsets.get(group, {}).items()
                if partition.topic == topic and position.offset >= 0
            )
            for group, topic in self._inputs.items()
        }

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)

    def latest(self, group: str) -> int:
        if self.error is not None:
            raise RuntimeError(f"sampling committed offsets failed: {self.error}") from self.error
        with self._lock:
            return self.samples[-1][1][group] if self.samples else 0

    def first_at_least(self, group: str, count: int) -> tuple[float, int] | None:
        """The first sample in which `group` has at least `count` committed, or None (the latest
        sample is looked at first: a waiting loop must not compete with the worker for the CPU)."""
        if self.error is not None:
            raise RuntimeError(f"sampling committed offsets failed: {self.error}") from self.error
        with self._lock:
            if not self.samples or self.samples[-1][1][group] < count:
                return None
            return next((at, counts[group]) for at, counts in self.samples if counts[group] >= count)

    def wait_for_sample(self, after: float) -> None:
        """Until a sample taken after `after` exists (the base of a measurement)."""
        while True:
            with self._lock:
                if self.samples and self.samples[-1][0] > after:
                    return
            time.sleep(0.01)

    def progress(self, group: str, since: float, until: float) -> StageProgress:
        """The group's progress over the samples taken after `since` and up to `until`."""
        with self._lock:
            samples = [(at, counts) for at, counts in self.samples if at <= until]
        before = [counts[group] for at, counts in samples if at <= since]
        base = before[-1] if before else samples[0][1][group]
        after = [(at, counts[group]) for at, counts in samples if at > since]
        final = after[-1][1] if after else base
        first = next(((at, count) for at, count in after if count > base), None)
        done_at = next((at for at, count in after if count >= final), None) if final > base else None
        return StageProgress(group, base, final, first[0] if first else None, done_at, first[1] if first else base)


class DrainCheck:
    """Whether each group, in pipeline order, has committed everything on its input topic.

    A stage is only done once the stage before it is (its input is then complete), so groups are
    checked in order, each against the end of its input topic at that moment."""

    def __init__(self, settings: Settings, sampler: CommitSampler, stages: dict[str, str], timeout_s: float) -> None:
        self._sampler = sampler
        self._pending = list(stages.items())
        self._deadline = time.monotonic() + timeout_s
        self._consumer = kafka_consumer(settings, OPERATOR, isolation_level="read_committed")

    def done(self) -> bool:
        """One look (short: it never waits); raises TimeoutError past the deadline."""
        while self._pending:
            group, topic = self._pending[0]
            partitions = required_partitions(self._consumer, topic)
            end = sum(self._consumer.end_offsets(partitions).values())
            committed = self._sampler.latest(group)
            if committed < end:
                if time.monotonic() > self._deadline:
                    raise TimeoutError(f"{group} committed {committed} of {end} records of {topic}")
                return False
            self._pending.pop(0)
        return True

    def close(self) -> None:
        self._consumer.close()


def wait_drained(settings: Settings, sampler: CommitSampler, stages: dict[str, str], timeout_s: float) -> None:
    """Until every group has committed everything on its input topic (see DrainCheck)."""
    check = DrainCheck(settings, sampler, stages, timeout_s)
    try:
        while not check.done():
            time.sleep(0.05)
    finally:
        check.close()


async def _wait_drained(settings: Settings, sampler: CommitSampler, stages: dict[str, str], timeout_s: float) -> None:
    """The same from asyncio, one short look at a time, so that a Ctrl-C is not held up by a thread."""
    check = await asyncio.to_thread(DrainCheck, settings, sampler, stages, timeout_s)
    try:
        while not await asyncio.to_thread(check.done):
            await asyncio.sleep(0.05)
    finally:
        check.close()


# -- alerts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedAlert:
    """What the checks need of one sighting of one match in an alert version read from a desk topic.

    An alert record lists every match of its manifest (and the sightings counted on it): one
    ReceivedAlert each. Only the first of a record is timed (`published_at_ms`, `received_at_ms`):
    the record is one delivery, however many matches it lists.
    """

    desk: str
    alert_id: str
    version: int
    feed: str
    manifest_id: str
    entry_id: str
    entry_name: str
    score: float
    query_value: str
    sent_at_ms: int = 0  # the alert record's timestamp: when the notifier sent it
    published_at_ms: int | None = None  # when the feed published the manifest (the header)
    received_at_ms: float | None = None  # when the desk could read it (latency run only)
    first_of_record: bool = True  # one per record read: counts the records themselves

    @property
    def manifest_key(self) -> bytes:
        return f"{self.feed}:{self.manifest_id}".encode()

    @property
    def latency_ms(self) -> float | None:
        if self.received_at_ms is None or self.published_at_ms is None:
            return None
        return self.received_at_ms - self.published_at_ms


def desk_marks(settings: Settings) -> dict[TopicPartition, int]:
    """Where every desk topic ends now: the alerts of what is published next come after."""
    consumer = kafka_consumer(settings, OPERATOR, isolation_level="read_committed")
    try:
        partitions = [tp for topic in _desk_topics(settings) for tp in required_partitions(consumer, topic)]
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def _desk_topics(settings: Settings) -> list[str]:
    return [topics.desk_topic(settings, desk) for desk in PARTNER_COUNTRIES]


def read_alerts(settings: Settings, since: dict[TopicPartition, int]) -> list[ReceivedAlert]:
    """Every committed alert on the desk topics after `since`, up to their end now."""
    consumer = kafka_consumer(settings, OPERATOR, enable_auto_commit=False, isolation_level="read_committed")
    alerts: list[ReceivedAlert] = []
    try:
        consumer.assign(list(since))
        for partition, offset in since.items():
            consumer.seek(partition, offset)
        end = consumer.end_offsets(list(since))
        while any((consumer.position(partition) or 0) < end[partition] for partition in since):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    alerts += _received(record.value, record.timestamp, record.headers)
    finally:
        consumer.close()
    return alerts


def _received(
    value: bytes, sent_at_ms: int, headers: Sequence[tuple[str, bytes]] | None, received_at_ms: float | None = None
) -> list[ReceivedAlert]:
    alert = orjson.loads(value)
    received: list[ReceivedAlert] = []
    for match in alert["matches"]:
        evidence = match.get("evidence") or [{}]
        for sighting in match["occurrences"]:
            timed = not received
            received.append(
                ReceivedAlert(
                    desk=alert["desk_country"],
                    alert_id=alert["alert_id"],
                    version=int(alert["version"]),
                    feed=sighting["feed"],
                    manifest_id=sighting["manifest_id"],
                    # an identity conflict names no entry: the conflict stands in for it (never a planted one)
                    entry_id=match["entry"]["entry_id"]
                    if match.get("entry")
                    else f"identity:{match['conflict']['kind']}",
                    entry_name=match["entry"]["primary_name"]
                    if match.get("entry")
                    else match["conflict"]["vessel_name"],
                    score=float(match["score"]),
                    query_value=str(evidence[0].get("query_value", "")),
                    sent_at_ms=sent_at_ms,
                    published_at_ms=_published_at(headers) if timed else None,
                    received_at_ms=received_at_ms if timed else None,
                    first_of_record=timed,
                )
            )
    return received


def topic_marks(settings: Settings, names: Sequence[str]) -> dict[TopicPartition, int]:
    """Where these topics end now."""
    consumer = kafka_consumer(settings, OPERATOR, isolation_level="read_committed")
    try:
        partitions = [tp for topic in names for tp in required_partitions(consumer, topic)]
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def send_times(settings: Settings, since: dict[TopicPartition, int]) -> dict[str, dict[bytes, int]]:
    """By topic: when each key's first record after `since` was sent (its record timestamp).

    The stages key every record by manifest (`<feed>:<manifest_id>`), so these say when ingest and
    the matcher were done with each manifest: the steps of its feed-to-desk latency."""
    consumer = kafka_consumer(settings, OPERATOR, enable_auto_commit=False)
    times: dict[str, dict[bytes, int]] = {tp.topic: {} for tp in since}
    try:
        consumer.assign(list(since))
        for partition, offset in since.items():
            consumer.seek(partition, offset)
        end = consumer.end_offsets(list(since))
        while any((consumer.position(partition) or 0) < end[partition] for partition in since):
            for partition, records in consumer.poll(timeout_ms=500, max_records=5000).items():
                for record in records:
                    if record.key is not None:
                        times[partition.topic].setdefault(record.key, record.timestamp)
    finally:
        consumer.close()
    return times


@dataclass
class _Timed:
    value: bytes
    timestamp: int
    headers: Sequence[tuple[str, bytes]]
    received_at_ms: float


@dataclass
class LatencyRun:
    """A paced run: when publishing ended, and every alert with its feed-to-desk latency."""

    published_until: float
    alerts: list[ReceivedAlert] = field(default_factory=list)
    #: by topic (manifests.valid, matches), when each manifest's record was sent
    send_times: dict[str, dict[bytes, int]] = field(default_factory=dict)


async def _watch_desks(settings: Settings, since: dict[TopicPartition, int], stop: asyncio.Event) -> list[_Timed]:
    """Read the desk topics as alerts become visible, until `stop` is set and the end is reached."""
    consumer = aio_consumer(
        settings,
        OPERATOR,
        enable_auto_commit=False,
        isolation_level="read_committed",
        fetch_max_wait_ms=20,  # the broker answers at once when records arrive; this only bounds a miss
    )
    await consumer.start()
    seen: list[_Timed] = []
    try:
        partitions = {AIOTopicPartition(tp.topic, tp.partition): offset for tp, offset in since.items()}
        consumer.assign(list(partitions))
        for partition, offset in partitions.items():
            consumer.seek(partition, offset)
        while True:
            batches = await consumer.getmany(timeout_ms=50)
            now_ms = time.time() * 1000
            for records in batches.values():
                seen += [_Timed(record.value, record.timestamp, record.headers, now_ms) for record in records]
            if stop.is_set() and await _at_end(consumer, list(partitions)):
                return seen
    finally:
        await consumer.stop()


async def _at_end(consumer: AIOKafkaConsumer, partitions: list[AIOTopicPartition]) -> bool:
    end = await consumer.end_offsets(partitions)
    for partition in partitions:
        if await consumer.position(partition) < end[partition]:
            return False
    return True


def _published_at(headers: Sequence[tuple[str, bytes]] | None) -> int | None:
    for name, value in headers or ():
        if name == PUBLISHED_AT_HEADER:
            return int(value)
    return None


async def _latency_run(
    settings: Settings,
    messages: Sequence[Message],
    rate: float,
    sampler: CommitSampler,
    stages: dict[str, str],
    timeout_s: float,
) -> LatencyRun:
    since = await asyncio.to_thread(desk_marks, settings)
    steps = [topics.qualified(settings, topics.MANIFESTS_VALID), topics.qualified(settings, topics.MATCHES)]
    steps_since = await asyncio.to_thread(topic_marks, settings, steps)
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch_desks(settings, since, stop))
    await asyncio.sleep(0.5)  # let the desk consumer fetch once before the first manifest leaves
    raw = topics.qualified(settings, topics.MANIFESTS_RAW)
    published_until = await _publish_paced(settings, raw, messages, rate)
    await _wait_drained(settings, sampler, stages, timeout_s)
    stop.set()
    seen = await watcher
    alerts = [
        alert for item in seen for alert in _received(item.value, item.timestamp, item.headers, item.received_at_ms)
    ]
    return LatencyRun(published_until, alerts, await asyncio.to_thread(send_times, settings, steps_since))


def latency_run(
    settings: Settings,
    messages: Sequence[Message],
    rate: float,
    sampler: CommitSampler,
    stages: dict[str, str],
    timeout_s: float,
) -> LatencyRun:
    """Publish at `rate` while a desk consumer times every alert as it becomes visible."""
    return asyncio.run(_latency_run(settings, messages, rate, sampler, stages, timeout_s))
