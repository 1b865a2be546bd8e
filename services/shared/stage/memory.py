"""An in-memory transport for unit tests: topics are lists, commits are a dict, faults are scripted.

It behaves like the transactional Kafka transport where that matters to a stage: records
published for a source partition become visible on `commit` (or vanish on `abandon`), committed
offsets only move forward, and `fail_next` makes chosen sends fail the way Kafka's do.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from services.shared.stage.records import InputRecord, Output, TopicPartition
from services.shared.stage.transport import CommitFailed


@dataclass
class MemoryTransport:
    max_record_bytes: int = 1024 * 1024
    transactional: bool = True
    #: source records, by partition
    inputs: dict[TopicPartition, list[InputRecord]] = field(default_factory=dict)
    #: outputs made visible by a commit, by topic
    topics: dict[str, list[Output]] = field(default_factory=lambda: defaultdict(list))
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    #: called with each output before it is sent; may return an exception to fail that send
    send_fault: Callable[[Output], BaseException | None] | None = None
    #: raised by the next `commit` calls, one per call
    commit_faults: list[BaseException] = field(default_factory=list)
    publish_calls: int = 0
    abandoned: int = 0
    #: the sources of each `renew` call
    renewed: list[frozenset[TopicPartition]] = field(default_factory=list)
    _positions: dict[TopicPartition, int] = field(default_factory=dict)
    _pending: dict[TopicPartition, list[Output]] = field(default_factory=lambda: defaultdict(list))

    def add_input(
        self,
        topic: str,
        partition: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> InputRecord:
        tp = TopicPartition(topic, partition)
        records = self.inputs.setdefault(tp, [])
        record = InputRecord(
            topic, partition, len(records), key, value, tuple(headers), timestamp_ms=1_000 + len(records)
        )
        records.append(record)
        return record

    def remaining(self) -> int:
        return sum(len(records) - self.committed.get(tp, 0) for tp, records in self.inputs.items())

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def fetch(self, max_records: int, timeout_s: float) -> list[InputRecord]:
        batch: list[InputRecord] = []
        for tp, records in self.inputs.items():
            position = self._positions.get(tp, self.committed.get(tp, 0))
            taken = records[position : position + max_records - len(batch)]
            batch.extend(taken)
            self._positions[tp] = position + len(taken)
        if not batch:
            await asyncio.sleep(0)  # let the test's other tasks run, like a real poll would
        return batch

    async def publish(self, source: TopicPartition, outputs: Sequence[Output]) -> list[BaseException | None]:
        self.publish_calls += 1
        results: list[BaseException | None] = []
        for output in outputs:
            error = self.send_fault(output) if self.send_fault else None
            if error is None and output.size > self.max_record_bytes:
                error = _too_large(output)
            if error is None:
                self._pending[source].append(output)
            results.append(error)
        return results

    async def renew(self, sources: Collection[TopicPartition]) -> None:
        self.renewed.append(frozenset(sources))
        if self.transactional:  # a new producer's first act aborts its predecessor's transaction
            for source in sources:
                self._pending.pop(source, None)

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if self.commit_faults:
            raise CommitFailed(str(self.commit_faults.pop(0)))
        for tp, offset in offsets.items():
            for output in self._pending.pop(tp, []):
                self.topics[output.topic].append(output)
            self.committed[tp] = max(offset, self.committed.get(tp, 0))

    async def abandon(self, rewind_to: Mapping[TopicPartition, int]) -> None:
        self.abandoned += 1
        self._pending.clear()
        for tp, offset in rewind_to.items():
            self._positions[tp] = offset


class RecordTooLarge(Exception):
    """Stands in for Kafka's MessageSizeTooLargeError."""


def _too_large(output: Output) -> BaseException:
    return RecordTooLarge(f"the record is {output.size} bytes, more than the producer's limit")
