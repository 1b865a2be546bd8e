"""The one loop every service runs: read a batch, handle it, publish everything, then commit.

    fetch ──► handle ──► publish all outputs at once ──► await every acknowledgement ──► commit
                │                 │
                │                 ├─ too large / malformed: the input is dead-lettered instead
                │                 └─ broker away: retried with back-off, the stage shows as stalled
                └─ a record the handler cannot process: dead-lettered with the reason

Nothing is lost: an input's offset is committed only once every output it led to, or its
dead letter, is acknowledged by the broker. A worker killed at any point leaves its batch
uncommitted, and the batch is read and handled again (deterministic ids make the redone work
produce the same records; the transactional transport makes them invisible twice).

Every input ends as processed (its outputs are out) or rejected (dead-lettered), and the counters
are moved when the batch commits, so `in = processed + rejected` holds at every scrape.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from aiokafka.errors import KafkaError

from services.shared import metrics
from services.shared.backoff import TRANSIENT_ERRORS, Backoff, Outage, retry_transient
from services.shared.dead_letter import dead_letter_headers
from services.shared.stage.errors import Failure, classify, dependency_of
from services.shared.stage.records import (
    PUBLISHED_AT_HEADER,
    InputRecord,
    Outcome,
    Output,
    Rejection,
    TopicPartition,
)
from services.shared.stage.transport import CommitFailed, Transport

log = logging.getLogger(__name__)

T = TypeVar("T")

#: What a dead letter keeps of an input too large to be re-sent whole (at most half the record
#: size limit, so that the excerpt and its headers always fit).
DEAD_LETTER_EXCERPT_BYTES = 64 * 1024
#: A reason longer than this is cut: it is for a person to read, and it travels in a header.
MAX_REASON_CHARS = 4096


class Handler(Protocol):
    async def handle(self, records: Sequence[InputRecord]) -> Sequence[Outcome]:
        """One outcome per record, in order. Raise a transient error (Redis away) to be retried."""
        ...


@dataclass(frozen=True)
class StageConfig:
    service: str
    dead_letter_topic: str
    #: a batch is whatever the consumer has buffered, up to this many records...
    max_batch: int = 1000
    #: ...or, when nothing is buffered, whatever arrives first within this time
    fetch_wait_s: float = 0.5
    #: told of every output once its batch has committed, with the seconds since the feed
    #: published the manifest it comes from (the notifier measures feed-to-desk latency per desk)
    on_committed: Callable[[Output, float], None] | None = None


@dataclass
class _Pending:
    """One input on its way through the batch: its outputs, or its dead letter."""

    record: InputRecord
    outputs: list[Output]
    rejection: Rejection | None = None
    delivered: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.delivered = [False] * len(self.outputs)


class Stage:
    def __init__(self, config: StageConfig, transport: Transport, handler: Handler) -> None:
        self.config = config
        self._transport = transport
        self._handler = handler
        self._service = config.service
        self._stopping = asyncio.Event()
        self.ready = False
        self.batches = 0
        #: True while a batch waits on Redis or Kafka (the interdict_stage_stalled gauge, readable)
        self.stalled = False
        self._excerpt_bytes = min(DEAD_LETTER_EXCERPT_BYTES, transport.max_record_bytes // 2)

    # -- running ---------------------------------------------------------------------------

    async def run(self) -> None:
        await self._retry(self._transport.start, "kafka")
        try:
            while not self._stopping.is_set():
                await self.run_once()
        finally:
            await self._transport.stop()

    def stop(self) -> None:
        self._stopping.set()

    async def drain(self) -> None:
        """Process until a finite source (a range transport) is exhausted."""
        await self._retry(self._transport.start, "kafka")
        try:
            while not getattr(self._transport, "exhausted", False) and not self._stopping.is_set():
                await self.run_once()
        finally:
            await self._transport.stop()

    async def run_once(self) -> int:
        """Fetch and process one batch; the number of records it held."""
        records = await self._retry(self._fetch, "kafka")
        self.ready = True
        if not records:
            return 0
        lock = getattr(self._transport, "batch_lock", None)
        if lock is None:
            await self.process(records)
        else:
            async with lock:  # a rebalance waits until this batch is committed
                await self.process(records)
        return len(records)

    async def _fetch(self) -> Sequence[InputRecord]:
        return await self._transport.fetch(self.config.max_batch, self.config.fetch_wait_s)

    async def process(self, records: Sequence[InputRecord]) -> bool:
        """Handle, publish and commit one batch; False if it must be read again."""
        started = time.perf_counter()
        outcomes = await self._handle(records)
        pending = [self._pending_for(record, outcome) for record, outcome in zip(records, outcomes, strict=True)]
        try:
            await self._deliver(pending)
            await self._commit(records)
        except CommitFailed as failure:
            await self._abandon(records, failure)
            # partitions that did commit are done: count them, or the counters fall short
            done = [item for item in pending if item.record.topic_partition in failure.committed]
            if done:
                self._count(done, time.perf_counter() - started)
            return False
        self._count(pending, time.perf_counter() - started)
        self.batches += 1
        return True

    # -- handling ----------------------------------------------------------------------------

    async def _handle(self, records: Sequence[InputRecord]) -> Sequence[Outcome]:
        outage = Outage(f"{self._service}: a dependency of the handler", log)
        backoff = Backoff()
        while True:
            try:
                outcomes = await self._handler.handle(records)
            except TRANSIENT_ERRORS as error:
                await self._stall(outage, backoff, error)  # stalled until an attempt succeeds
                continue
            except Exception as error:
                self._unstall()
                return await self._isolate(records, error)
            self._unstall()
            outage.recovered()
            if len(outcomes) != len(records):
                raise RuntimeError(f"{self._service} handler gave {len(outcomes)} outcomes for {len(records)} records")
            return outcomes

    async def _isolate(self, records: Sequence[InputRecord], error: Exception) -> Sequence[Outcome]:
        """A record the handler fails on must not hold back the others, nor be skipped."""
        if len(records) == 1:
            log.exception("%s cannot process %s; dead-lettered", self._service, records[0].position, exc_info=error)
            kind = f"{type(error).__module__}.{type(error).__qualname__}"
            return [Outcome.rejected("processing_error", f"{type(error).__name__}: {error}", kind)]
        outcomes: list[Outcome] = []
        for record in records:
            outcomes.extend(await self._handle([record]))
        return outcomes

    def _pending_for(self, record: InputRecord, outcome: Outcome) -> _Pending:
        if outcome.rejection is not None:
            return self._dead_letter(record, outcome.rejection)
        carried = str(record.published_at_ms).encode()
        outputs = [_with_header(output, PUBLISHED_AT_HEADER, carried) for output in outcome.outputs]
        too_large = next((output for output in outputs if output.size > self._transport.max_record_bytes), None)
        if too_large is not None:
            return self._dead_letter(record, self._too_large(too_large, None))
        return _Pending(record, outputs)

    def _too_large(self, output: Output, error: BaseException | None) -> Rejection:
        detail = f": {error}" if error is not None else ""
        return Rejection(
            "output_too_large",
            f"its output to {output.topic} is {output.size} bytes, over the limit of "
            f"{self._transport.max_record_bytes} bytes{detail}",
            type(error).__name__ if error is not None else "OutputTooLarge",
        )

    def _dead_letter(self, record: InputRecord, rejection: Rejection) -> _Pending:
        value = record.value or b""
        message = rejection.message[:MAX_REASON_CHARS]
        headers = dead_letter_headers(record, rejection.error_class, message, self._service, rejection.reason)
        headers["interdict.errors.original-bytes"] = str(len(value)).encode()
        letter = Output(self.config.dead_letter_topic, record.key, value, [*record.headers, *headers.items()])
        if letter.size > self._transport.max_record_bytes:
            letter = _excerpt(letter, record, self._excerpt_bytes)
        return _Pending(record, [letter], rejection)

    # -- delivery ----------------------------------------------------------------------------

    async def _deliver(self, pending: list[_Pending]) -> None:
        """Publish every undelivered output; settle failures until all are acknowledged."""
        outage = Outage(f"{self._service}: producing to Kafka", log)
        backoff = Backoff()
        try:
            while True:
                transient = await self._publish_round(pending)
                if transient is None and all(all(item.delivered) for item in pending):
                    outage.recovered()
                    return
                if transient is not None:
                    await self._stall(outage, backoff, transient)
        finally:
            self._unstall()

    async def _publish_round(self, pending: list[_Pending]) -> BaseException | None:
        """One attempt at everything still undelivered; a transient error, if one was seen.

        Outputs refused for good are replaced by their input's dead letter, which the next round
        sends; so every round either delivers, dead-letters, or waits on a transient error."""
        by_source: dict[TopicPartition, list[tuple[_Pending, int]]] = defaultdict(list)
        for item in pending:
            for index, done in enumerate(item.delivered):
                if not done:
                    by_source[item.record.topic_partition].append((item, index))
        if not by_source:
            return None
        sources = list(by_source)
        results = await asyncio.gather(
            *(self._transport.publish(source, [item.outputs[i] for item, i in by_source[source]]) for source in sources)
        )
        transient: BaseException | None = None
        failed_sources: set[TopicPartition] = set()
        unreliable_sources: set[TopicPartition] = set()
        for source, outcome in zip(sources, results, strict=True):
            for (item, index), error in zip(by_source[source], outcome, strict=True):
                if error is None:
                    item.delivered[index] = True
                    continue
                failed_sources.add(source)
                if self._settle(item, index, error):
                    transient = error
                    unreliable_sources.add(source)
        if unreliable_sources:
            # the next attempt goes through new producers: the old ones may fail on their own state
            await self._transport.renew(unreliable_sources)
        if failed_sources and self._transport.transactional:
            await self._restart_transactions(pending)
        return transient

    def _settle(self, item: _Pending, index: int, error: BaseException) -> bool:
        """React to one failed output; True if it is worth retrying as it is."""
        failure = classify(error)
        if failure is Failure.TRANSIENT:
            return True
        output = item.outputs[index]
        if item.rejection is not None:  # the dead letter itself does not fit: keep an excerpt
            if _is_excerpt(output):
                return True  # even the excerpt is refused: a broker limit far below ours; stall, visibly
            item.outputs[index] = _excerpt(output, item.record, self._excerpt_bytes)
            item.delivered[index] = False
            return False
        if failure is Failure.TOO_LARGE:
            rejection = self._too_large(output, error)
        else:
            rejection = Rejection(
                "output_rejected", f"the broker refused its output to {output.topic}: {error}", type(error).__name__
            )
        replacement = self._dead_letter(item.record, rejection)
        item.outputs, item.rejection, item.delivered = replacement.outputs, rejection, replacement.delivered
        return False

    async def _restart_transactions(self, pending: list[_Pending]) -> None:
        """A failed send spoils its transaction: abort, and send the batch's outputs again."""
        await self._transport.abandon({})
        for item in pending:
            item.delivered = [False] * len(item.outputs)

    # -- committing --------------------------------------------------------------------------

    async def _commit(self, records: Sequence[InputRecord]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = record.topic_partition
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        await self._transport.commit(offsets)

    async def _abandon(self, records: Sequence[InputRecord], failure: CommitFailed) -> None:
        """The batch cannot be made durable here (partitions moved, producer fenced): what was not
        committed is read again, by this worker or the partition's new owner."""
        first: dict[TopicPartition, int] = {}
        for record in records:
            tp = record.topic_partition
            first[tp] = min(first.get(tp, record.offset), record.offset)
        rewind = {tp: offset for tp, offset in first.items() if tp not in failure.committed}
        log.warning(
            "%s: batch not committed (%s); %d partition(s) will be read again", self._service, failure, len(rewind)
        )
        metrics.STAGE_REDONE.labels(self._service).inc(sum(1 for r in records if r.topic_partition in rewind))
        await self._transport.abandon(rewind)

    # -- bookkeeping -------------------------------------------------------------------------

    def _unstall(self) -> None:
        self.stalled = False
        metrics.STAGE_STALLED.labels(self._service).set(0)

    def _mark_stalled(self) -> None:
        self.stalled = True
        metrics.STAGE_STALLED.labels(self._service).set(1)

    async def _stall(self, outage: Outage, backoff: Backoff, error: BaseException) -> None:
        outage.failed(error)
        self._mark_stalled()
        metrics.DEPENDENCY_RETRIES.labels(self._service, dependency_of(error)).inc()
        await asyncio.sleep(backoff.next_delay())

    async def _retry(self, operation: Callable[[], Awaitable[T]], dependency: str) -> T:
        def stalled(error: BaseException) -> None:
            self._mark_stalled()  # until an attempt succeeds
            metrics.DEPENDENCY_RETRIES.labels(self._service, dependency_of(error)).inc()

        try:
            return await retry_transient(
                operation,
                f"{self._service}: {dependency}",
                stalled,
                transient=(*TRANSIENT_ERRORS, KafkaError),
                logger=log,
            )
        finally:
            self._unstall()

    def _count(self, pending: list[_Pending], seconds: float) -> None:
        service = self._service
        inputs: Counter[str] = Counter(item.record.topic for item in pending)
        outputs: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        now_ms = time.time() * 1000
        latency = metrics.STAGE_LATENCY.labels(service)
        for item in pending:
            if item.rejection is not None:
                reasons[item.rejection.reason] += 1
            else:
                outputs.update(output.topic for output in item.outputs)
                seconds = max(0.0, now_ms - item.record.published_at_ms) / 1000
                latency.observe(seconds)
                self._tell_committed(item.outputs, seconds)
        for topic, count in inputs.items():
            metrics.MESSAGES_IN.labels(service, topic).inc(count)
        for topic, count in outputs.items():
            metrics.MESSAGES_OUT.labels(service, topic).inc(count)
        for reason, count in reasons.items():
            metrics.MESSAGES_REJECTED.labels(service, reason).inc(count)
        metrics.MESSAGES_PROCESSED.labels(service).inc(len(pending) - sum(reasons.values()))
        metrics.BATCH_SIZE.labels(service).observe(len(pending))
        metrics.PROCESSING_SECONDS.labels(service).observe(seconds)


    def _tell_committed(self, outputs: list[Output], seconds: float) -> None:
        if self.config.on_committed is not None:
            for output in outputs:
                self.config.on_committed(output, seconds)


def _with_header(output: Output, name: str, value: bytes) -> Output:
    if any(key == name for key, _ in output.headers):
        return output
    return Output(output.topic, output.key, output.value, (*output.headers, (name, value)))


def _is_excerpt(letter: Output) -> bool:
    return any(name == "interdict.errors.truncated" for name, _ in letter.headers)


def _excerpt(letter: Output, record: InputRecord, size: int) -> Output:
    """A dead letter too large to send whole: our headers, digests and the first bytes.

    The input's own headers are dropped (they may be what made it too large), and so is a key
    longer than half the excerpt (a key can be as large as the record allowed): it is cut, with
    the digest of the whole key beside it.
    """
    original = record.value or b""
    theirs = set(record.headers)
    headers = [
        *(header for header in letter.headers if header not in theirs),
        ("interdict.errors.truncated", b"true"),
        ("interdict.errors.original-sha256", hashlib.sha256(original).hexdigest().encode()),
    ]
    key = record.key
    if key is not None and len(key) > size // 2:
        headers.append(("interdict.errors.original-key-sha256", hashlib.sha256(key).hexdigest().encode()))
        key = key[: size // 2]
    return Output(letter.topic, key, original[: size - len(key or b"")], headers)
