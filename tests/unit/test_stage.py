"""The batching stage on the in-memory transport: publish, commit, dead-letter, retry, redo.

Each test runs under its own service name, so the process-wide Prometheus counters it reads are
its own; `assert_accounted` checks that every input ended committed, either dead-lettered once or
with its outputs visible, and that in = processed + rejected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pytest
import redis.exceptions

from services.shared.stage import (
    CommitFailed,
    Handler,
    InputRecord,
    MemoryTransport,
    Outcome,
    Output,
    Stage,
    StageConfig,
    TopicPartition,
)
from services.shared.stage.memory import RecordTooLarge
from services.shared.stage.records import PUBLISHED_AT_HEADER
from services.shared.stage.runner import DEAD_LETTER_EXCERPT_BYTES
from tests.fakes import (
    DLQ,
    OUT,
    SOURCE,
    EchoHandler,
    assert_accounted,
    fast_backoff,
    headers_of,
    ingest_handler,
    reason_of,
    sample,
    total,
    unique_service,
)


class KafkaTimeoutError(Exception):
    """Named like aiokafka's: the stage classifies errors by class name."""


class CorruptRecordException(Exception):
    """Named like Kafka's: the broker refuses this record for good."""


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_backoff(monkeypatch)


@pytest.fixture
def service() -> str:
    return unique_service()


def stage_for(service: str, handler: Handler, transport: MemoryTransport, max_batch: int = 100) -> Stage:
    return Stage(StageConfig(service=service, dead_letter_topic=DLQ, max_batch=max_batch), transport, handler)


async def drain(stage: Stage, transport: MemoryTransport, rounds: int = 20) -> None:
    for _ in range(rounds):
        if transport.remaining() == 0:
            return
        await stage.run_once()
    raise AssertionError(f"{transport.remaining()} inputs still uncommitted after {rounds} batches")


def failing(times: int, error: Callable[[], BaseException], on: Callable[[Output], bool] = lambda _: True,
            seen: Callable[[Output], None] = lambda _: None) -> Callable[[Output], BaseException | None]:
    """A send fault: the first `times` sends of outputs matching `on` fail with `error()`."""
    left = [times]

    def fault(output: Output) -> BaseException | None:
        seen(output)
        if on(output) and left[0] > 0:
            left[0] -= 1
            return error()
        return None

    return fault


# -- the plain path -----------------------------------------------------------------------------


async def test_every_output_is_published_and_every_input_committed(service: str) -> None:
    transport = MemoryTransport()
    for partition, value in [(0, b"a"), (1, b"b"), (0, b"c"), (1, b"d"), (0, b"e")]:
        transport.add_input(SOURCE, partition, None, value)
    await drain(stage_for(service, EchoHandler(), transport), transport)
    assert [output.value for output in transport.topics[OUT]] == [b"a", b"c", b"e", b"b", b"d"]
    assert transport.committed == {TopicPartition(SOURCE, 0): 3, TopicPartition(SOURCE, 1): 2}
    assert transport.topics[DLQ] == []
    assert_accounted(transport, service)


async def test_nothing_is_visible_before_the_commit(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, None, b"a")
    visible: list[int] = []

    def look(output: Output) -> None:
        visible.append(len(transport.topics[OUT]))

    transport.send_fault = look
    await drain(stage_for(service, EchoHandler(), transport), transport)
    assert visible == [0] and len(transport.topics[OUT]) == 1


# -- dead letters -------------------------------------------------------------------------------


async def test_a_rejection_is_dead_lettered_with_the_original_bytes_and_the_reason(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, b"k0", b"fine")
    transport.add_input(SOURCE, 3, b"\xffkey", b"reject \xff\xfe me", headers=[("trace", b"t-1")])
    await drain(stage_for(service, EchoHandler(), transport), transport)
    [letter] = transport.topics[DLQ]
    assert (letter.key, letter.value) == (b"\xffkey", b"reject \xff\xfe me")
    headers = headers_of(letter)
    assert headers["trace"] == b"t-1"  # the input's own headers travel with it
    assert headers["__connect.errors.topic"] == SOURCE.encode()
    assert headers["__connect.errors.partition"] == b"3"
    assert headers["__connect.errors.offset"] == b"0"
    assert headers["__connect.errors.exception.class.name"] == b"TestRejection"
    assert headers["__connect.errors.exception.message"] == b"the test rejects it"
    assert headers["interdict.errors.reason"] == b"not_wanted"
    assert headers["interdict.errors.service"] == service.encode()
    assert headers["interdict.errors.original-bytes"] == str(len(letter.value)).encode()
    assert [output.value for output in transport.topics[OUT]] == [b"fine"]
    assert sample("interdict_messages_rejected_total", service=service, reason="not_wanted") == 1
    assert_accounted(transport, service)


async def test_an_output_over_the_size_limit_dead_letters_its_input(service: str) -> None:
    transport = MemoryTransport(max_record_bytes=5000)
    transport.add_input(SOURCE, 0, b"k", b"big:6000")
    transport.add_input(SOURCE, 0, b"k", b"big:10")
    await drain(stage_for(service, EchoHandler(), transport), transport)
    [letter] = transport.topics[DLQ]
    assert (reason_of(letter), letter.value) == ("output_too_large", b"big:6000")
    message = headers_of(letter)["__connect.errors.exception.message"].decode()
    assert f"its output to {OUT} is " in message and "over the limit of 5000 bytes" in message
    assert int(message.split(" is ")[1].split()[0]) > 6000  # the output's size, headers included
    assert len(transport.topics[OUT]) == 1
    assert transport.publish_calls == 1  # refused up front, never sent
    assert_accounted(transport, service)


async def test_a_dead_letter_too_large_to_send_whole_is_an_excerpt_with_the_digest(service: str) -> None:
    original = b"reject" + bytes(range(256)) * 800  # 204 806 bytes
    transport = MemoryTransport(max_record_bytes=100_000)
    transport.add_input(SOURCE, 0, b"key", original, headers=[("bulky", b"h" * 1000)])
    await drain(stage_for(service, EchoHandler(), transport), transport)
    [letter] = transport.topics[DLQ]
    headers = headers_of(letter)
    assert letter.key == b"key"
    assert 4096 <= len(letter.value) <= DEAD_LETTER_EXCERPT_BYTES and letter.value == original[:len(letter.value)]
    assert letter.size <= transport.max_record_bytes
    assert headers["interdict.errors.truncated"] == b"true"
    assert headers["interdict.errors.original-sha256"] == hashlib.sha256(original).hexdigest().encode()
    assert headers["interdict.errors.original-bytes"] == str(len(original)).encode()
    assert headers["interdict.errors.reason"] == b"not_wanted"
    assert "bulky" not in headers  # the input's own headers are dropped from an excerpt
    assert transport.publish_calls == 1  # cut before sending, not after a refusal
    assert_accounted(transport, service)


async def test_a_dead_letter_the_broker_refuses_as_too_large_is_resent_as_an_excerpt(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, b"key", b"reject this")

    def is_whole_letter(output: Output) -> bool:
        return output.topic == DLQ and "interdict.errors.truncated" not in headers_of(output)

    transport.send_fault = failing(1, lambda: RecordTooLarge("over the broker's limit"), on=is_whole_letter)
    await drain(stage_for(service, EchoHandler(), transport), transport)
    [letter] = transport.topics[DLQ]
    assert letter.value == b"reject this"
    assert headers_of(letter)["interdict.errors.truncated"] == b"true"
    assert_accounted(transport, service)


# -- send failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error", [lambda: ConnectionError("broker away"), lambda: KafkaTimeoutError("no acknowledgement in time")],
    ids=["ConnectionError", "KafkaTimeoutError"],
)
async def test_a_transient_send_failure_is_retried_while_the_stage_shows_as_stalled(
    service: str, error: Callable[[], BaseException]
) -> None:
    transport = MemoryTransport()
    for value in (b"a", b"b"):
        transport.add_input(SOURCE, 0, None, value)
    stalled: list[float] = []

    def gauge(_: Output) -> None:
        stalled.append(sample("interdict_stage_stalled", service=service))

    transport.send_fault = failing(3, error, on=lambda output: output.value == b"b", seen=gauge)
    await drain(stage_for(service, EchoHandler(), transport), transport)
    # one round of two sends per attempt: the first before any failure, three more while retrying
    assert stalled == [0, 0, 1, 1, 1, 1, 1, 1]
    assert sample("interdict_stage_stalled", service=service) == 0
    assert sample("interdict_dependency_retries_total", service=service, dependency="kafka") == 3
    assert [output.value for output in transport.topics[OUT]] == [b"a", b"b"]
    assert transport.topics[DLQ] == []
    assert_accounted(transport, service)


async def test_a_transient_send_failure_renews_the_producer_of_its_partition_before_the_retry(service: str) -> None:
    transport = MemoryTransport(transactional=True)
    for partition in (0, 1):
        transport.add_input(SOURCE, partition, None, b"v")
    renewed_before_retry: list[bool] = []

    def fault(output: Output) -> BaseException | None:
        if output.key != b"in:1:0":
            return None
        renewed_before_retry.append(bool(transport.renewed))
        return ConnectionError("broker away") if len(renewed_before_retry) == 1 else None

    transport.send_fault = fault
    await drain(stage_for(service, EchoHandler(), transport), transport)
    assert transport.renewed == [frozenset({TopicPartition(SOURCE, 1)})]
    assert renewed_before_retry == [False, True]
    assert sorted(output.key or b"" for output in transport.topics[OUT]) == [b"in:0:0", b"in:1:0"]
    assert_accounted(transport, service)


async def test_a_record_refused_for_good_renews_no_producer(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, b"k", b"corrupt")
    transport.send_fault = failing(1, lambda: CorruptRecordException("CRC mismatch"), on=lambda o: o.topic == OUT)
    await drain(stage_for(service, EchoHandler(), transport), transport)
    assert [reason_of(letter) for letter in transport.topics[DLQ]] == ["output_rejected"]
    assert transport.renewed == []
    assert_accounted(transport, service)


async def test_a_record_the_broker_refuses_for_good_is_dead_lettered_as_output_rejected(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, b"k", b"fine")
    transport.add_input(SOURCE, 0, b"k", b"corrupt")
    transport.send_fault = failing(99, lambda: CorruptRecordException("CRC mismatch"),
                                   on=lambda output: output.topic == OUT and output.value == b"corrupt")
    await drain(stage_for(service, EchoHandler(), transport), transport)
    [letter] = transport.topics[DLQ]
    headers = headers_of(letter)
    assert (reason_of(letter), letter.value) == ("output_rejected", b"corrupt")
    assert headers["__connect.errors.exception.class.name"] == b"CorruptRecordException"
    assert b"CRC mismatch" in headers["__connect.errors.exception.message"]
    assert [output.value for output in transport.topics[OUT]] == [b"fine"]
    assert sample("interdict_dependency_retries_total", service=service, dependency="kafka") == 0
    assert_accounted(transport, service)


async def test_an_output_the_broker_refuses_as_too_large_dead_letters_its_input(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, b"k", b"fine")
    transport.send_fault = failing(1, lambda: RecordTooLarge("over the broker's limit"), on=lambda o: o.topic == OUT)
    await drain(stage_for(service, EchoHandler(), transport), transport)
    [letter] = transport.topics[DLQ]
    assert reason_of(letter) == "output_too_large"
    assert b"over the broker's limit" in headers_of(letter)["__connect.errors.exception.message"]
    assert transport.topics[OUT] == []
    assert_accounted(transport, service)


async def test_a_failed_send_in_a_transaction_leaves_nothing_of_the_failed_attempt(service: str) -> None:
    transport = MemoryTransport(transactional=True)
    for partition in (0, 1, 0, 1):
        transport.add_input(SOURCE, partition, None, b"v")
    transport.send_fault = failing(1, lambda: ConnectionError("broker away"), on=lambda o: o.key == b"in:1:1")
    await drain(stage_for(service, EchoHandler(), transport), transport)
    assert transport.abandoned == 1
    assert sorted(output.key or b"" for output in transport.topics[OUT]) == [b"in:0:0", b"in:0:1", b"in:1:0", b"in:1:1"]
    assert_accounted(transport, service)


async def test_at_least_once_mode_resends_only_what_failed(service: str) -> None:
    transport = MemoryTransport(transactional=False)
    for partition in (0, 1):
        transport.add_input(SOURCE, partition, None, b"v")
    sent: list[bytes] = []
    transport.send_fault = failing(1, lambda: ConnectionError("broker away"), on=lambda o: o.key == b"in:1:0",
                                   seen=lambda output: sent.append(output.key or b""))
    await drain(stage_for(service, EchoHandler(), transport), transport)
    assert sorted(sent) == [b"in:0:0", b"in:1:0", b"in:1:0"]
    assert transport.abandoned == 0
    assert_accounted(transport, service)


# -- handler failures ---------------------------------------------------------------------------


async def test_a_transient_handler_error_is_retried(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, None, b"a")
    handler = EchoHandler(transient=2, error=lambda: redis.exceptions.ConnectionError("Redis away"))
    await drain(stage_for(service, handler, transport), transport)
    assert handler.calls == [["in:0:0"]] * 3
    assert sample("interdict_dependency_retries_total", service=service, dependency="redis") == 2
    assert sample("interdict_stage_stalled", service=service) == 0
    assert [output.value for output in transport.topics[OUT]] == [b"a"]
    assert_accounted(transport, service)


async def test_a_handler_crash_on_one_record_dead_letters_only_that_record(service: str) -> None:
    transport = MemoryTransport()
    for value in (b"a", b"b", b"crash", b"c"):
        transport.add_input(SOURCE, 0, b"key", value)
    handler = EchoHandler()
    await drain(stage_for(service, handler, transport), transport)
    [letter] = transport.topics[DLQ]
    headers = headers_of(letter)
    assert (reason_of(letter), letter.value) == ("processing_error", b"crash")
    assert headers["__connect.errors.exception.class.name"] == b"builtins.ValueError"
    assert headers["__connect.errors.exception.message"] == b"ValueError: cannot handle this one"
    assert [output.value for output in transport.topics[OUT]] == [b"a", b"b", b"c"]
    assert handler.calls[0] == ["in:0:0", "in:0:1", "in:0:2", "in:0:3"]  # then one record at a time
    assert handler.calls[1:] == [["in:0:0"], ["in:0:1"], ["in:0:2"], ["in:0:3"]]
    assert_accounted(transport, service)


async def test_a_handler_giving_the_wrong_number_of_outcomes_is_a_programming_error(service: str) -> None:
    class Short(EchoHandler):
        async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
            return (await super().handle(records))[:-1]

    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, None, b"a")
    with pytest.raises(RuntimeError, match="gave 0 outcomes for 1 records"):
        await stage_for(service, Short(), transport).run_once()
    assert transport.committed == {}


# -- commits ------------------------------------------------------------------------------------


async def test_a_failed_commit_abandons_the_batch_which_is_read_and_done_again(service: str) -> None:
    transport = MemoryTransport(commit_faults=[RuntimeError("rebalance in progress")])
    for value in (b"a", b"reject", b"b"):
        transport.add_input(SOURCE, 0, None, value)
    handler = EchoHandler()
    stage = stage_for(service, handler, transport)
    assert await stage.run_once() == 3
    assert (transport.abandoned, transport.committed, dict(transport.topics)) == (1, {}, {})
    assert total("interdict_messages_in_total", service) == 0  # counted when the batch commits
    await drain(stage, transport)
    assert handler.calls == [["in:0:0", "in:0:1", "in:0:2"]] * 2
    assert sample("interdict_stage_redone_total", service=service) == 3
    assert [output.value for output in transport.topics[OUT]] == [b"a", b"b"]
    assert stage.batches == 1
    assert_accounted(transport, service)


async def test_outputs_are_told_once_committed_with_their_age_and_never_twice(service: str) -> None:
    import time

    transport = MemoryTransport(commit_faults=[RuntimeError("rebalance in progress")])
    published_ms = int(time.time() * 1000) - 2_000
    for value in (b"a", b"reject", b"b"):
        transport.add_input(SOURCE, 0, None, value, [(PUBLISHED_AT_HEADER, str(published_ms).encode())])
    told: list[tuple[bytes, float]] = []
    config = StageConfig(service, DLQ, on_committed=lambda output, seconds: told.append((output.value, seconds)))
    stage = Stage(config, transport, EchoHandler())
    await stage.run_once()
    assert told == []  # the commit failed: nobody can see these outputs yet
    await drain(stage, transport)
    assert [value for value, _ in told] == [b"a", b"b"]  # not the dead letter
    assert all(2.0 <= seconds < 60 for _, seconds in told), told


@dataclass
class RevokedBeforePublish(MemoryTransport):
    """KafkaTransport.publish raises CommitFailed when the source partition was revoked meanwhile."""

    revoked: bool = True

    async def publish(self, source: TopicPartition, outputs: Sequence[Output]) -> list[BaseException | None]:
        if self.revoked:
            self.revoked = False
            raise CommitFailed(f"{source} is no longer assigned to this worker")
        return await super().publish(source, outputs)


async def test_a_partition_revoked_before_publishing_abandons_the_batch(service: str) -> None:
    transport = RevokedBeforePublish()
    transport.add_input(SOURCE, 0, None, b"a")
    stage = stage_for(service, EchoHandler(), transport)
    await stage.run_once()
    assert (transport.abandoned, transport.committed) == (1, {})
    await drain(stage, transport)
    assert_accounted(transport, service)


# -- headers ------------------------------------------------------------------------------------


async def test_the_published_at_header_comes_from_the_input_timestamp(service: str) -> None:
    transport = MemoryTransport()
    first = transport.add_input(SOURCE, 0, None, b"a")
    second = transport.add_input(SOURCE, 0, None, b"b")
    await drain(stage_for(service, EchoHandler(), transport), transport)
    stamps = [headers_of(output)[PUBLISHED_AT_HEADER] for output in transport.topics[OUT]]
    assert stamps == [str(first.timestamp_ms).encode(), str(second.timestamp_ms).encode()]


async def test_the_published_at_header_is_carried_through_unchanged(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, None, b"a", headers=[(PUBLISHED_AT_HEADER, b"1700000000123")])
    transport.add_input(SOURCE, 0, None, b"b", headers=[(PUBLISHED_AT_HEADER, b"not a number")])
    await drain(stage_for(service, EchoHandler(), transport), transport)
    carried, unreadable = (output.headers for output in transport.topics[OUT])
    assert list(carried) == [(PUBLISHED_AT_HEADER, b"1700000000123")]
    assert list(unreadable) == [(PUBLISHED_AT_HEADER, b"1001")]  # falls back to the input's timestamp


async def test_a_published_at_header_the_handler_set_is_kept(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, None, b"a")
    await drain(stage_for(service, EchoHandler(headers=[(PUBLISHED_AT_HEADER, b"42")]), transport), transport)
    assert list(transport.topics[OUT][0].headers) == [(PUBLISHED_AT_HEADER, b"42")]


# -- the counters over a mixed run --------------------------------------------------------------


async def test_counters_add_up_over_a_run_with_every_kind_of_outcome(service: str) -> None:
    transport = MemoryTransport(max_record_bytes=100_000, commit_faults=[RuntimeError("fenced")])
    for partition, value in enumerate([b"a", b"reject", b"big:200000", b"crash", b"b", b"corrupt", b"c"]):
        transport.add_input(SOURCE, partition % 3, b"k", value)
    broker_away = [2]

    def fault(output: Output) -> BaseException | None:
        if output.topic == OUT and output.value == b"corrupt":
            return CorruptRecordException("bad CRC")
        if output.value == b"b" and broker_away[0] > 0:
            broker_away[0] -= 1
            return ConnectionError("broker away")
        return None

    transport.send_fault = fault
    await drain(stage_for(service, EchoHandler(), transport, max_batch=4), transport)
    assert sorted(reason_of(letter) for letter in transport.topics[DLQ]) == [
        "not_wanted", "output_rejected", "output_too_large", "processing_error"]
    assert_accounted(transport, service)


# -- bugs found ---------------------------------------------------------------------------------


class NoProgress(Exception):
    """Raised by a send fault once the stage has tried the same dead letter too often."""


@pytest.mark.parametrize("value", [b"not json", None])
async def test_a_record_with_a_huge_key_is_still_dead_lettered(service: str, value: bytes | None) -> None:
    transport = MemoryTransport(max_record_bytes=100_000)
    transport.add_input(SOURCE, 0, b"K" * 99_900, value)
    sends = [0]

    def give_up_eventually(output: Output) -> BaseException | None:
        sends[0] += 1
        if sends[0] > 50:
            raise NoProgress(f"{sends[0]} sends of one dead letter")
        return None

    transport.send_fault = give_up_eventually
    await drain(stage_for(service, ingest_handler(OUT), transport), transport)
    assert len(transport.topics[DLQ]) == 1


@dataclass
class FirstPartitionCommits(MemoryTransport):
    """Like KafkaTransport with one transaction per partition: the first commits, then the next fails."""

    fail_once: bool = True

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if not self.fail_once:
            return await super().commit(offsets)
        self.fail_once = False
        first = min(offsets)
        await super().commit({first: offsets[first]})
        raise CommitFailed("the second transaction failed", frozenset({first}))


async def test_records_of_a_partition_that_committed_before_a_failure_are_counted(service: str) -> None:
    transport = FirstPartitionCommits()
    for partition in (0, 1, 0):
        transport.add_input(SOURCE, partition, None, b"v")
    await drain(stage_for(service, EchoHandler(), transport), transport)
    assert_accounted(transport, service)


async def test_the_stage_shows_as_stalled_while_it_retries_the_handler(service: str) -> None:
    transport = MemoryTransport()
    transport.add_input(SOURCE, 0, None, b"a")
    stalled: list[float] = []

    class Watching(EchoHandler):
        async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
            stalled.append(sample("interdict_stage_stalled", service=service))
            return await super().handle(records)

    handler = Watching(transient=2, error=lambda: redis.exceptions.ConnectionError("Redis away"))
    await drain(stage_for(service, handler, transport), transport)
    assert stalled == [0, 1, 1]
