"""What a stage needs from Kafka, small enough to fake: fetch, publish, commit, abandon.

`KafkaTransport` (kafka.py) is the real one; `MemoryTransport` (memory.py) keeps topics in lists
for unit tests, the way httpx's MockTransport stands in for the network.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from services.shared.stage.records import InputRecord, Output, TopicPartition


class CommitFailed(Exception):
    """The batch could not be made durable (a rebalance, a fenced producer, a lost broker).

    The stage abandons the batch: its records are read again and processed again, which
    deterministic ids make harmless. `committed` names the partitions that did commit before
    the failure: those must not be read again.
    """

    def __init__(self, message: str, committed: frozenset[TopicPartition] = frozenset()) -> None:
        super().__init__(message)
        self.committed = committed


class Transport(Protocol):
    #: The largest record the producer will send; larger outputs are dead-lettered up front.
    max_record_bytes: int
    #: Whether published outputs stay invisible until `commit` (and vanish on `abandon`).
    transactional: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def fetch(self, max_records: int, timeout_s: float) -> Sequence[InputRecord]:
        """Up to `max_records` records, waiting at most `timeout_s` for the first one."""
        ...

    async def publish(self, source: TopicPartition, outputs: Sequence[Output]) -> list[BaseException | None]:
        """Send outputs derived from records of `source`, all at once; one result per output
        (None once the broker has it), in order. Never raises for a single output's failure."""
        ...

    async def renew(self, sources: Collection[TopicPartition]) -> None:
        """Replace the producer(s) that failed to deliver outputs of `sources`, after a failure
        worth retrying; what they left unfinished is abandoned with them."""
        ...

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Mark every input below these offsets done, together with what was published for
        them (atomically, for a transactional transport). Raises CommitFailed."""
        ...

    async def abandon(self, rewind_to: Mapping[TopicPartition, int]) -> None:
        """Forget what was published since the last commit where the transport can (aborted
        transactions) and read these partitions again from the given offsets."""
        ...
