"""The Kafka transport's producers, with aiokafka's producer and consumer faked: a producer that
cannot start or stops delivering is replaced, never left to stall or kill the stage.

The broker-kill fault tests (tests/faults) show the same on real brokers; these pin down each
path, including the ones a real broker only takes by chance of timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiokafka import TopicPartition as KafkaTopicPartition
from aiokafka.errors import IllegalOperation, KafkaConnectionError, KafkaError, NotLeaderForPartitionError

from services.shared.stage import kafka
from services.shared.stage.kafka import DeliveryTimedOut, KafkaOptions, KafkaTransport
from services.shared.stage.records import Output, TopicPartition
from services.shared.stage.transport import CommitFailed

SOURCE = TopicPartition("matches", 0)
OTHER = TopicPartition("matches", 1)
OUTPUT = Output("alerts.us", b"k", b"v", [])


@dataclass
class FakeProducer:
    """Stands in for AIOKafkaProducer: starts or fails to, sends or fails to, records its life."""

    transactional_id: str | None
    start_error: BaseException | None = None
    send_error: BaseException | None = None
    #: "start" or "send": the step that never finishes (a broker that answers nothing)
    hangs: str | None = None
    commit_error: BaseException | None = None
    offsets: dict[KafkaTopicPartition, int] = field(default_factory=dict)
    started: bool = False
    stopped: bool = False
    sent: list[str] = field(default_factory=list)
    transactions: int = 0

    async def start(self) -> None:
        if self.hangs == "start":
            await asyncio.Event().wait()
        if self.start_error is not None:
            raise self.start_error
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def begin_transaction(self) -> None:
        self.transactions += 1

    async def send_offsets_to_transaction(self, offsets: dict[KafkaTopicPartition, int], group_id: str) -> None:
        if isinstance(self.commit_error, IllegalOperation):
            raise self.commit_error
        self.offsets = offsets

    async def commit_transaction(self) -> None:
        if self.commit_error is not None:
            raise self.commit_error

    async def send(
        self, topic: str, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[None]:
        if isinstance(self.send_error, IllegalOperation):
            raise self.send_error  # as aiokafka's send does once the transaction ended under it
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.hangs == "send":
            return future
        if self.send_error is None:
            self.sent.append(topic)
            future.set_result(None)
        else:
            future.set_exception(self.send_error)
        return future


class Factory:
    """Makes FakeProducers; `start_errors`, `send_errors` and `hangs` go, in order, to the next
    ones made."""

    def __init__(self) -> None:
        self.made: list[FakeProducer] = []
        self.start_errors: list[BaseException | None] = []
        self.send_errors: list[BaseException | None] = []
        self.hangs: list[str | None] = []

    def __call__(self, options: KafkaOptions, transactional_id: str | None = None) -> FakeProducer:
        producer = FakeProducer(
            transactional_id,
            start_error=self.start_errors.pop(0) if self.start_errors else None,
            send_error=self.send_errors.pop(0) if self.send_errors else None,
            hangs=self.hangs.pop(0) if self.hangs else None,
        )
        self.made.append(producer)
        return producer


@dataclass(frozen=True)
class FakeRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = b"v"
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp: int = 1_000


class FakeConsumer:
    """The consumer side: what getmany hands out, what the group has committed, where it seeks."""

    def __init__(self, *assigned: TopicPartition) -> None:
        self.assigned = {KafkaTopicPartition(tp.topic, tp.partition) for tp in assigned}
        self.fetches: list[dict[KafkaTopicPartition, list[FakeRecord]]] = []
        self.group_offsets: dict[KafkaTopicPartition, int] = {}
        self.seeks: list[tuple[KafkaTopicPartition, int]] = []
        #: for each committed() call: whether a producer of the partition had started by then
        self.reads: list[bool] = []
        self.producers: Factory | None = None

    def assignment(self) -> set[KafkaTopicPartition]:
        return self.assigned

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[KafkaTopicPartition, list[FakeRecord]]:
        return self.fetches.pop(0) if self.fetches else {}

    async def committed(self, tp: KafkaTopicPartition) -> int | None:
        name = f"interdict-notifier-{tp.topic}-{tp.partition}"
        made = self.producers.made if self.producers else []
        self.reads.append(any(p.transactional_id == name and p.started and not p.stopped for p in made))
        return self.group_offsets.get(tp)

    def seek(self, tp: KafkaTopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))


def records(source: TopicPartition, *offsets: int) -> dict[KafkaTopicPartition, list[FakeRecord]]:
    return {
        KafkaTopicPartition(source.topic, source.partition): [
            FakeRecord(source.topic, source.partition, o) for o in offsets
        ]
    }


@pytest.fixture
def producers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Factory]:
    factory = Factory()
    monkeypatch.setattr(kafka, "new_producer", factory)
    yield factory


def transport(transactional: bool, *assigned: TopicPartition) -> KafkaTransport:
    options = KafkaOptions(connection={}, group_id="interdict-notifier", client_id="test")
    made = KafkaTransport(options, ["matches"], transactional=transactional)
    made._consumer = FakeConsumer(*assigned)
    return made


def kafka_tps(*sources: TopicPartition) -> set[KafkaTopicPartition]:
    return {KafkaTopicPartition(tp.topic, tp.partition) for tp in sources}


async def test_a_producer_that_cannot_start_on_assignment_does_not_stop_the_others(producers: Factory) -> None:
    subject = transport(True, SOURCE, OTHER)
    producers.start_errors = [KafkaError("KafkaConnectionError('Connection at 127.0.0.1:25248 closed')")]
    await subject.on_assigned(kafka_tps(SOURCE, OTHER))  # must not raise into aiokafka's rebalance
    failed, started = producers.made
    assert (failed.started, failed.stopped) == (False, True), "a half-started producer is closed"
    assert (started.started, started.stopped) == (True, False)


async def test_a_partition_whose_producer_did_not_start_on_assignment_starts_it_on_its_first_batch(
    producers: Factory,
) -> None:
    subject = transport(True, SOURCE)
    producers.start_errors = [KafkaConnectionError("broker away")]
    await subject.on_assigned(kafka_tps(SOURCE))
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]
    failed, working = producers.made
    assert working.transactional_id == failed.transactional_id == "interdict-notifier-matches-0"
    assert (working.sent, working.transactions) == (["alerts.us"], 1)


async def test_a_producer_that_cannot_start_fails_the_outputs_instead_of_raising(producers: Factory) -> None:
    subject = transport(True, SOURCE)
    error = KafkaConnectionError("broker away")
    producers.start_errors = [error]
    assert await subject.publish(SOURCE, [OUTPUT, OUTPUT]) == [error, error]
    assert await subject.publish(SOURCE, [OUTPUT]) == [None], "the next attempt starts a new producer"


async def test_renewing_a_transactional_source_replaces_its_producer_and_forgets_its_transaction(
    producers: Factory,
) -> None:
    subject = transport(True, SOURCE, OTHER)
    expired = NotLeaderForPartitionError()
    producers.send_errors = [expired, None]
    assert await subject.publish(SOURCE, [OUTPUT]) == [expired]
    assert await subject.publish(OTHER, [OUTPUT]) == [None]
    await subject.renew({SOURCE})
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]
    stuck, other, fresh = producers.made
    assert stuck.stopped and not other.stopped
    assert fresh.transactional_id == stuck.transactional_id
    assert fresh.transactions == 1, "the new producer opens its own transaction"


async def test_renewing_an_at_least_once_transport_replaces_its_shared_producer(producers: Factory) -> None:
    subject = transport(False)
    producers.send_errors = [NotLeaderForPartitionError()]
    await subject._producer.start()
    [result] = await subject.publish(SOURCE, [OUTPUT])
    assert isinstance(result, NotLeaderForPartitionError)
    await subject.renew({SOURCE})
    assert await subject.publish(OTHER, [OUTPUT]) == [None]
    stuck, fresh = producers.made
    assert stuck.stopped and fresh.sent == ["alerts.us"]


async def test_a_producer_that_hangs_on_the_way_out_is_left_behind(
    producers: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka, "CLOSE_TIMEOUT_S", 0.01)
    subject = transport(True, SOURCE)
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]
    hung = asyncio.Event()

    async def never_stops() -> None:
        await hung.wait()

    producers.made[0].stop = never_stops  # type: ignore[method-assign]
    await subject.renew({SOURCE})
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]
    assert len(producers.made) == 2


async def test_a_producer_that_never_finishes_starting_fails_the_attempt_and_is_closed(
    producers: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka, "START_TIMEOUT_S", 0.01)
    subject = transport(True, SOURCE)
    producers.hangs = ["start"]
    [result] = await subject.publish(SOURCE, [OUTPUT])
    assert isinstance(result, TimeoutError)
    assert producers.made[0].stopped
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]


async def test_an_output_never_acknowledged_fails_the_attempt_instead_of_waiting_for_ever(
    producers: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka, "DELIVERY_TIMEOUT_S", 0.01)
    subject = transport(False)
    producers.hangs = ["send"]
    [result] = await subject.publish(SOURCE, [OUTPUT])
    assert isinstance(result, DeliveryTimedOut)
    await subject.renew({SOURCE})
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]


# -- settling a partition's transactions before reading it -----------------------------------------


def consumer_of(subject: KafkaTransport) -> FakeConsumer:
    consumer = subject._consumer
    assert isinstance(consumer, FakeConsumer)
    return consumer


async def test_records_a_transaction_in_doubt_committed_are_skipped_once_its_producer_settled_it(
    producers: Factory,
) -> None:
    subject = transport(True, SOURCE)
    consumer = consumer_of(subject)
    consumer.producers = producers
    consumer.fetches = [records(SOURCE, 0, 1, 2, 3, 4)]
    consumer.group_offsets = {KafkaTopicPartition("matches", 0): 3}  # what the transaction in doubt committed
    fetched = await subject.fetch(100, 0.1)
    assert [record.offset for record in fetched] == [3, 4]
    assert consumer.reads == [True], "the committed offset is read once a producer has settled the transaction"
    assert consumer.seeks == []


async def test_a_batch_a_transaction_in_doubt_committed_whole_is_skipped_and_the_position_moves_past_it(
    producers: Factory,
) -> None:
    subject = transport(True, SOURCE)
    consumer = consumer_of(subject)
    consumer.fetches = [records(SOURCE, 0, 1, 2)]
    consumer.group_offsets = {KafkaTopicPartition("matches", 0): 10}
    assert await subject.fetch(100, 0.1) == []
    assert consumer.seeks == [(KafkaTopicPartition("matches", 0), 10)]


async def test_a_partition_is_settled_once_per_assignment(producers: Factory) -> None:
    subject = transport(True, SOURCE)
    consumer = consumer_of(subject)
    consumer.fetches = [records(SOURCE, 0), records(SOURCE, 1), records(SOURCE, 2)]
    await subject.fetch(100, 0.1)
    await subject.fetch(100, 0.1)
    assert len(consumer.reads) == 1
    await subject.on_revoked(kafka_tps(SOURCE))
    await subject.on_assigned(kafka_tps(SOURCE))
    assert [record.offset for record in await subject.fetch(100, 0.1)] == [2]
    assert len(consumer.reads) == 2


async def test_a_failed_commit_leaves_its_transaction_in_doubt_for_a_new_producer_to_settle(producers: Factory) -> None:
    subject = transport(True, SOURCE)
    consumer = consumer_of(subject)
    consumer.producers = producers
    consumer.fetches = [records(SOURCE, 0, 1), records(SOURCE, 0, 1)]
    await subject.fetch(100, 0.1)
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]
    producers.made[0].commit_error = KafkaConnectionError("the broker died during the commit")
    with pytest.raises(CommitFailed):
        await subject.commit({SOURCE: 2})
    assert producers.made[0].stopped, "the producer of a transaction in doubt is dropped"
    await subject.abandon({SOURCE: 0})
    consumer.group_offsets = {KafkaTopicPartition("matches", 0): 2}  # the commit had reached the coordinator
    assert await subject.fetch(100, 0.1) == [], "the batch is not done twice"
    assert consumer.reads == [True, True]
    assert len(producers.made) == 2


async def test_when_a_partition_cannot_be_settled_nothing_of_the_fetch_is_handed_out(producers: Factory) -> None:
    subject = transport(True, SOURCE, OTHER)
    consumer = consumer_of(subject)
    fetched = {**records(OTHER, 5, 6), **records(SOURCE, 7, 8)}
    consumer.fetches = [fetched]
    subject._settled.add(OTHER)
    producers.start_errors = [KafkaConnectionError("broker away")]
    with pytest.raises(KafkaConnectionError):
        await subject.fetch(100, 0.1)
    assert sorted(consumer.seeks) == [(KafkaTopicPartition("matches", 0), 7), (KafkaTopicPartition("matches", 1), 5)]


async def test_an_at_least_once_transport_settles_nothing(producers: Factory) -> None:
    subject = transport(False, SOURCE)
    consumer = consumer_of(subject)
    consumer.fetches = [records(SOURCE, 0, 1)]
    consumer.group_offsets = {KafkaTopicPartition("matches", 0): 5}
    assert [record.offset for record in await subject.fetch(100, 0.1)] == [0, 1]
    assert consumer.reads == []


async def test_a_producer_whose_transaction_ended_under_it_fails_its_outputs_and_is_replaced(
    producers: Factory,
) -> None:
    subject = transport(True, SOURCE)
    ended = IllegalOperation("Can't send messages while not in transaction")  # fenced in the background
    producers.send_errors = [ended]
    assert await subject.publish(SOURCE, [OUTPUT, OUTPUT]) == [ended, ended], "the stage is not crashed"
    await subject.renew({SOURCE})
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]


async def test_a_commit_refused_because_the_transaction_ended_is_a_failed_commit(producers: Factory) -> None:
    subject = transport(True, SOURCE)
    assert await subject.publish(SOURCE, [OUTPUT]) == [None]
    producers.made[0].commit_error = IllegalOperation("Not in the middle of a transaction")
    with pytest.raises(CommitFailed):
        await subject.commit({SOURCE: 1})
    assert producers.made[0].stopped
