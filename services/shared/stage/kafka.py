"""The real transport: aiokafka, the asyncio Kafka client that faust-streaming itself runs on.

The stage talks to it directly rather than through faust's per-event stream, because it needs
batch-level control that faust's streams do not give: fetch a batch, publish all its outputs at
once, await every acknowledgement, and only then commit the inputs (faust's `take` acks events on
its own schedule, and its exactly-once mode commits outputs of events still in flight).

Two delivery modes:

- at least once (ingest, matcher): one idempotent producer; offsets committed after every output
  of the batch is acknowledged. A worker killed in between redoes the batch.
- exactly once (notifier): a transactional producer per input partition, whose outputs and input
  offsets commit in one transaction; consumers of its topics read committed records only, so a
  worker killed mid-batch leaves nothing visible behind. Each producer's transactional id names the
  input partition, and the producer is initialised when the partition is assigned, before anything
  is read from it: that fences a previous owner that is still alive (a "zombie") before the new
  owner does any work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka import TopicPartition as KafkaTopicPartition
from aiokafka.errors import IllegalOperation, KafkaError

from services.shared.stage.records import InputRecord, Output, TopicPartition
from services.shared.stage.transport import CommitFailed

log = logging.getLogger(__name__)

#: how long a producer may take to start (find its coordinator, fence its predecessor) before
#: the attempt counts as failed: aiokafka itself waits for ever, and a stage must not wait unseen
START_TIMEOUT_S = 60.0
#: how long an output may wait for its acknowledgement before the attempt counts as failed (an
#: idempotent producer retries some errors for ever, which would stall the stage unseen)
DELIVERY_TIMEOUT_S = 120.0
#: how long a producer given up on may take to close before it is left behind
CLOSE_TIMEOUT_S = 10.0


#: what the consumer's getmany returns: aiokafka's ConsumerRecords by partition
Batches = Mapping[KafkaTopicPartition, list[Any]]


class DeliveryTimedOut(TimeoutError):
    """No acknowledgement within DELIVERY_TIMEOUT_S: the stage retries through a new producer."""


#: what a producer's start or send raises when it is the broker, not the record, that failed.
#: IllegalOperation: a transactional producer whose transaction ended under it (fenced, or
#: failed in the background) refuses every send; only a new producer gets past it.
PRODUCER_ERRORS = (KafkaError, TimeoutError, IllegalOperation)


@dataclass(frozen=True)
class KafkaOptions:
    """Client settings of one stage (see Settings for the defaults and why)."""

    #: where and as whom to connect: services/shared/kafka_security.py's aiokafka_options
    connection: Mapping[str, Any] = field(repr=False)
    group_id: str
    client_id: str
    max_record_bytes: int = 1024 * 1024
    linger_ms: int = 5
    batch_bytes: int = 256 * 1024
    compression: str | None = "lz4"
    session_timeout_ms: int = 10_000
    fetch_max_bytes: int = 16 * 1024 * 1024
    transaction_timeout_ms: int = 30_000


def new_producer(options: KafkaOptions, transactional_id: str | None = None) -> AIOKafkaProducer:
    """Idempotent, acks from every in-sync replica; transactional when given an id."""
    return AIOKafkaProducer(
        **options.connection,
        client_id=options.client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=options.linger_ms,
        max_batch_size=options.batch_bytes,
        max_request_size=options.max_record_bytes,
        compression_type=options.compression,
        retry_backoff_ms=250,
        transactional_id=transactional_id,
        transaction_timeout_ms=options.transaction_timeout_ms,
    )


async def started(producer: AIOKafkaProducer) -> AIOKafkaProducer:
    """`producer`, started; closed again if it cannot start (a half-started producer keeps its
    connections and its metadata task alive)."""
    try:
        await asyncio.wait_for(producer.start(), START_TIMEOUT_S)
    except BaseException:
        await close_quietly(producer)
        raise
    return producer


async def close_quietly(producer: AIOKafkaProducer) -> None:
    """Stop a producer given up on. Its outputs were all answered already, so nothing is left to
    flush; a broken one may still fail or hang on the way out, which must not stall the stage."""
    try:
        await asyncio.wait_for(producer.stop(), CLOSE_TIMEOUT_S)
    except (TimeoutError, KafkaError) as error:
        log.warning("closing a producer given up on failed (%s: %s)", type(error).__name__, error)


class SharedProducer:
    """The one idempotent producer of an at-least-once transport, shared by all its partitions.

    Renewed after it failed to deliver: a producer can keep failing on its own state where a new
    one, with fresh metadata and connections, delivers. After a broker of three was SIGKILLed, a
    notifier stalled for minutes on NotLeaderForPartitionError (aiokafka's expiry of a batch whose
    partition leader it does not know) while the other workers delivered; aiokafka#1018 reports
    the same, and a new producer as the way out."""

    def __init__(self, options: KafkaOptions) -> None:
        self._options = options
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self.get()

    async def get(self) -> AIOKafkaProducer:
        async with self._lock:  # the stage publishes for several partitions at once
            if self._producer is None:
                self._producer = await started(new_producer(self._options))
            return self._producer

    async def renew(self) -> None:
        """Drop the producer; the next `get` starts a new one."""
        async with self._lock:
            old, self._producer = self._producer, None
        if old is not None:
            await close_quietly(old)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


class KafkaTransport:
    def __init__(self, options: KafkaOptions, sources: Sequence[str], transactional: bool = False) -> None:
        self.max_record_bytes = options.max_record_bytes
        self._options = options
        self._sources = list(sources)
        self._transactional = self.transactional = transactional
        self._consumer: AIOKafkaConsumer | None = None
        self._producer = SharedProducer(options)
        self._txn_producers: dict[TopicPartition, AIOKafkaProducer] = {}
        self._open_transactions: set[TopicPartition] = set()
        self._producer_locks: dict[TopicPartition, asyncio.Lock] = {}
        # Partitions whose position is known to follow every transaction of theirs: see _settle.
        self._settled: set[TopicPartition] = set()
        # Held while a batch is between fetch and commit: a rebalance waits for it, so a
        # partition changes hands only at a batch boundary.
        self.batch_lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        options = self._options
        self._consumer = AIOKafkaConsumer(
            **options.connection,
            group_id=options.group_id,
            client_id=options.client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # Inputs of a transactional stage must never include aborted records either.
            isolation_level="read_committed",
            session_timeout_ms=options.session_timeout_ms,
            heartbeat_interval_ms=max(1000, options.session_timeout_ms // 3),
            max_partition_fetch_bytes=max(options.max_record_bytes, 1024 * 1024),
            fetch_max_bytes=max(options.fetch_max_bytes, options.max_record_bytes),
            retry_backoff_ms=250,
        )
        if not self._transactional:
            await self._producer.start()
        self._consumer.subscribe(self._sources, listener=_Rebalance(self))
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        await self._producer.stop()
        for producer in self._txn_producers.values():
            await producer.stop()
        self._txn_producers.clear()

    def _new_producer(self, transactional_id: str | None = None) -> AIOKafkaProducer:
        return new_producer(self._options, transactional_id)

    def transactional_id(self, source: TopicPartition) -> str:
        return f"{self._options.group_id}-{source.topic}-{source.partition}"

    async def on_assigned(self, partitions: set[KafkaTopicPartition]) -> None:
        if not self._transactional:
            return
        for kafka_tp in partitions:
            source = TopicPartition(kafka_tp.topic, kafka_tp.partition)
            self._settled.discard(source)
            try:
                await self._transactional_producer(source)
            except PRODUCER_ERRORS as error:
                # Raised here, it would only be logged by aiokafka, and stop the other partitions'
                # producers from starting. The partition is ours all the same: its producer starts
                # (and fences the previous owner) before its first output, in `_producer_for`.
                log.warning(
                    "the producer of %s did not start on assignment (%s); retried on its first batch", source, error
                )

    async def _transactional_producer(self, source: TopicPartition) -> AIOKafkaProducer:
        """The producer of `source`, started on first use (the fetcher may hand over records of a
        new partition before the rebalance listener has got to it)."""
        async with self._producer_locks.setdefault(source, asyncio.Lock()):
            producer = self._txn_producers.get(source)
            if producer is None:
                # init_transactions: fences an older owner now, and aborts what it left open
                producer = await started(self._new_producer(self.transactional_id(source)))
                self._txn_producers[source] = producer
            return producer

    async def on_revoked(self, partitions: set[KafkaTopicPartition]) -> None:
        async with self.batch_lock:  # let the batch in progress commit first
            for kafka_tp in partitions:
                source = TopicPartition(kafka_tp.topic, kafka_tp.partition)
                self._settled.discard(source)
                producer = self._txn_producers.pop(source, None)
                if producer is not None:
                    await producer.stop()

    # -- the stage's calls -----------------------------------------------------------------

    async def fetch(self, max_records: int, timeout_s: float) -> list[InputRecord]:
        assert self._consumer is not None
        batches = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        if self._transactional:
            batches = await self._settled_batches(batches)
        return [
            InputRecord(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                value=record.value,
                headers=tuple(record.headers or ()),
                timestamp_ms=record.timestamp,
            )
            for records in batches.values()
            for record in records
        ]

    async def _settled_batches(self, batches: Batches) -> Batches:
        """`batches` without the records a transaction of ours has already committed.

        A partition's position comes from the offset committed when it was assigned, or from the
        start of a batch whose commit failed. Either can be behind a transaction not yet complete
        (Kafka's OffsetFetch before KIP-447, which is all aiokafka speaks, does not wait for
        one): a commit acknowledged a moment before a rebalance (its markers are written after the
        acknowledgement), one that reached the coordinator just before its broker died, or the
        previous owner's last. Reading on from there would publish that batch's alerts twice.
        So before the first records of such a partition are handed out, its producer is started,
        which makes the coordinator finish the transaction in doubt, and the committed offset is
        read again: records below it are dropped."""
        assert self._consumer is not None
        settled: dict[KafkaTopicPartition, list[Any]] = {}
        for kafka_tp, records in batches.items():
            source = TopicPartition(kafka_tp.topic, kafka_tp.partition)
            if source in self._settled or not records:
                settled[kafka_tp] = records
                continue
            try:
                committed = await self._settle(source, kafka_tp)
            except PRODUCER_ERRORS:
                for unread_tp, unread in batches.items():  # nothing of this fetch is handed out
                    if unread:
                        self._consumer.seek(unread_tp, unread[0].offset)
                raise
            settled[kafka_tp] = [record for record in records if committed is None or record.offset >= committed]
            if committed is not None and committed > records[-1].offset + 1:
                self._consumer.seek(kafka_tp, committed)
            if len(settled[kafka_tp]) < len(records):
                log.warning(
                    "%s: %d record(s) from offset %d were committed by a transaction still completing; skipped",
                    source,
                    len(records) - len(settled[kafka_tp]),
                    records[0].offset,
                )
        return settled

    async def _settle(self, source: TopicPartition, kafka_tp: KafkaTopicPartition) -> int | None:
        """Finish any transaction of `source` still in doubt; the offset committed once it is."""
        assert self._consumer is not None
        await self._transactional_producer(source)  # init_transactions completes or aborts it
        committed: int | None = await self._consumer.committed(kafka_tp)
        self._settled.add(source)
        return committed

    async def publish(self, source: TopicPartition, outputs: Sequence[Output]) -> list[BaseException | None]:
        try:
            producer = await self._producer_for(source)
        except PRODUCER_ERRORS as error:  # no producer to send with yet: every output waits for one
            return [error] * len(outputs)
        return await _send_all(producer, outputs)

    async def renew(self, sources: Collection[TopicPartition]) -> None:
        """Replace the producers that failed to deliver outputs of `sources` (see SharedProducer).
        A transactional producer's open transaction goes with it: the new producer's
        init_transactions aborts it, and the stage publishes the batch again."""
        if not self._transactional:
            await self._producer.renew()
            return
        for source in sources:
            await self._drop_producer(source)

    async def _producer_for(self, source: TopicPartition) -> AIOKafkaProducer:
        if not self._transactional:
            return await self._producer.get()
        assert self._consumer is not None
        if _kafka_tp(source) not in self._consumer.assignment():
            raise CommitFailed(f"{source} is no longer assigned to this worker")
        producer = await self._transactional_producer(source)
        if source not in self._open_transactions:
            try:
                await producer.begin_transaction()
            except AssertionError as error:  # aiokafka asserts its state: a producer that failed
                await self._drop_producer(source)
                raise IllegalOperation(f"the producer of {source} cannot begin a transaction") from error
            self._open_transactions.add(source)
        return producer

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        assert self._consumer is not None
        plain = {_kafka_tp(tp): offset for tp, offset in offsets.items() if tp not in self._open_transactions}
        committed: set[TopicPartition] = set()
        source: TopicPartition | None = None
        try:
            for source in [tp for tp in offsets if tp in self._open_transactions]:
                producer = self._txn_producers[source]
                await producer.send_offsets_to_transaction({_kafka_tp(source): offsets[source]}, self._options.group_id)
                await producer.commit_transaction()
                self._open_transactions.discard(source)
                committed.add(source)
            source = None
            if plain:
                await self._consumer.commit(plain)
        except (*PRODUCER_ERRORS, KeyError) as error:
            if source is not None:
                # The commit may have reached the coordinator: the transaction is in doubt, and
                # only a new producer of `source` can settle it (see _settled_batches).
                await self._drop_producer(source)
            raise CommitFailed(f"{type(error).__name__}: {error}", frozenset(committed)) from error

    async def abandon(self, rewind_to: Mapping[TopicPartition, int]) -> None:
        assert self._consumer is not None
        for source in list(self._open_transactions):
            self._open_transactions.discard(source)
            producer = self._txn_producers.get(source)
            if producer is None:
                continue
            try:
                await producer.abort_transaction()
            except KafkaError as error:
                # A fenced or broken producer: drop it. Its successor, started before the next
                # output of `source`, aborts what it left open.
                log.warning("aborting the transaction of %s failed (%s); its producer is replaced", source, error)
                await self._drop_producer(source)
        assigned = self._consumer.assignment()
        for tp, offset in rewind_to.items():
            kafka_tp = _kafka_tp(tp)
            if kafka_tp in assigned:
                self._consumer.seek(kafka_tp, offset)

    async def _drop_producer(self, source: TopicPartition) -> None:
        self._open_transactions.discard(source)
        self._settled.discard(source)  # what the dropped producer left in doubt is settled anew
        old = self._txn_producers.pop(source, None)
        if old is not None:
            await close_quietly(old)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, transport: KafkaTransport) -> None:
        self._transport = transport

    async def on_partitions_revoked(self, revoked: set[KafkaTopicPartition]) -> None:
        await self._transport.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[KafkaTopicPartition]) -> None:
        await self._transport.on_assigned(assigned)


def _kafka_tp(tp: TopicPartition) -> KafkaTopicPartition:
    return KafkaTopicPartition(tp.topic, tp.partition)


class KafkaRangeTransport:
    """A topic read once, from a point in time to the end it had when the read began, with no
    consumer group: the re-screener's view of the manifests Kafka still holds.

    Outputs go through an idempotent producer and are awaited before `commit`, which only notes
    progress; `exhausted` turns true once every partition has been read to its end.
    """

    transactional = False

    def __init__(self, options: KafkaOptions, topic: str, since_ms: int) -> None:
        self.max_record_bytes = options.max_record_bytes
        self._options = options
        self._topic = topic
        self._since_ms = since_ms
        self._consumer: AIOKafkaConsumer | None = None
        self._producer = SharedProducer(options)
        self._end: dict[KafkaTopicPartition, int] = {}
        self._open: set[KafkaTopicPartition] = set()
        self.exhausted = False

    async def start(self) -> None:
        options = self._options
        self._consumer = AIOKafkaConsumer(
            **options.connection,
            client_id=options.client_id,
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_partition_fetch_bytes=max(options.max_record_bytes, 1024 * 1024),
        )
        await self._consumer.start()
        await self._producer.start()
        # The consumer only knows the metadata of topics it subscribes to; the producer fetches it.
        partitions = [
            KafkaTopicPartition(self._topic, p)
            for p in sorted(await (await self._producer.get()).partitions_for(self._topic))
        ]
        self._end = await self._consumer.end_offsets(partitions) if partitions else {}
        starts = await self._consumer.offsets_for_times({tp: self._since_ms for tp in partitions}) if partitions else {}
        self._open = {tp for tp in partitions if starts.get(tp) is not None and starts[tp].offset < self._end[tp]}
        self._consumer.assign(list(self._open))
        for tp in self._open:
            self._consumer.seek(tp, starts[tp].offset)
        self.exhausted = not self._open

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        await self._producer.stop()

    async def fetch(self, max_records: int, timeout_s: float) -> list[InputRecord]:
        assert self._consumer is not None
        if self.exhausted:
            return []
        batches = await self._consumer.getmany(*self._open, timeout_ms=int(timeout_s * 1000), max_records=max_records)
        records = [
            InputRecord(r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ()), r.timestamp)
            for tp, found in batches.items()
            for r in found
            if r.offset < self._end[tp]
        ]
        for tp in list(self._open):
            if await self._consumer.position(tp) >= self._end[tp]:
                self._open.discard(tp)
        self.exhausted = not self._open
        return records

    async def publish(self, source: TopicPartition, outputs: Sequence[Output]) -> list[BaseException | None]:
        try:
            producer = await self._producer.get()
        except PRODUCER_ERRORS as error:
            return [error] * len(outputs)
        return await _send_all(producer, outputs)

    async def renew(self, sources: Collection[TopicPartition]) -> None:
        await self._producer.renew()

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        return None  # nothing to commit: a re-screen that dies is redone whole from the cursor

    async def abandon(self, rewind_to: Mapping[TopicPartition, int]) -> None:
        assert self._consumer is not None
        for tp, offset in rewind_to.items():
            kafka_tp = _kafka_tp(tp)
            self._consumer.seek(kafka_tp, offset)
            self._open.add(kafka_tp)
        self.exhausted = not self._open


async def _send_all(producer: AIOKafkaProducer, outputs: Sequence[Output]) -> list[BaseException | None]:
    """Send every output at once, then await each: one result per output, in order."""
    pending: list[asyncio.Future[object] | BaseException] = []
    for output in outputs:
        try:
            pending.append(
                await producer.send(output.topic, output.value, key=output.key, headers=list(output.headers))
            )
        except PRODUCER_ERRORS as error:  # too large for the producer, unknown topic, fenced...
            pending.append(error)
    sent = [item for item in pending if not isinstance(item, BaseException)]
    if sent:
        await asyncio.wait(sent, timeout=DELIVERY_TIMEOUT_S)
    return [_result_of(item) for item in pending]


def _result_of(item: asyncio.Future[object] | BaseException) -> BaseException | None:
    if isinstance(item, BaseException):
        return item
    if not item.done():
        item.add_done_callback(_ignore_outcome)  # its producer is renewed; what it says later is moot
        return DeliveryTimedOut(f"no acknowledgement within {DELIVERY_TIMEOUT_S:.0f} s")
    error = item.exception()
    if error is None or isinstance(error, PRODUCER_ERRORS):
        return error
    raise error


def _ignore_outcome(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it as never retrieved
