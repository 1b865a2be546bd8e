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
from aiokafka.errors import KafkaConnectionError, KafkaError, NotLeaderForPartitionError

from services.shared.stage import kafka
from services.shared.stage.kafka import DeliveryTimedOut, KafkaOptions, KafkaTransport
from services.shared.stage.records import Output, TopicPartition

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

    async def send(
        self, topic: str, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[None]:
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


class FakeConsumer:
    def __init__(self, *assigned: TopicPartition) -> None:
        self.assigned = {KafkaTopicPartition(tp.topic, tp.partition) for tp in assigned}

    def assignment(self) -> set[KafkaTopicPartition]:
        return self.assigned


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
