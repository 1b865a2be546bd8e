"""Consumer lag: the records of its input a consumer group has not committed yet, per partition,
read from the broker (the group's committed offsets against the partitions' end offsets).

faust-streaming does not report it (our stages consume with their own clients anyway), so the
project measures it: `LagReader` for one-off readings (`interdict status`, the tests' "caught
up"), `LagMonitor` to export it as `interdict_consumer_lag{group,topic,partition}`.

Where the monitor runs: in every stage worker, for its own service's group. The numbers come from
the broker, so any worker can read them; running it there needs no extra process to deploy and
supervise, and it is there exactly when the service is. Workers of one service report the same
numbers (queries take the max per partition). When no worker of a service runs, nothing reports
its lag: the service-down alert fires instead, and `interdict status` still reads the lag from
the broker itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from kafka import TopicPartition

from services.shared import metrics
from services.shared.kafka_clients import kafka_admin, kafka_consumer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.settings import Settings

log = logging.getLogger(__name__)

_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    #: the last stable offset: what a read-committed consumer can reach
    end: int
    #: the group's committed offset, None if it never committed on this partition
    committed: int | None
    lag: int


class LagReader:
    """An admin client and a consumer, kept open across readings (a monitor reads every few seconds)."""

    def __init__(self, settings: Settings, principal: str = OPERATOR) -> None:
        # a service reads its own group's lag as itself; operators' readings as the operator
        self._admin = kafka_admin(
            settings,
            principal,
            client_id="interdict-lag",
            request_timeout_ms=_TIMEOUT_MS,
            bootstrap_timeout_ms=_TIMEOUT_MS,
        )
        try:
            self._consumer = kafka_consumer(
                settings,
                principal,
                client_id="interdict-lag",
                enable_auto_commit=False,
                isolation_level="read_committed",  # our consumers read committed: the end is the LSO
                request_timeout_ms=_TIMEOUT_MS + 1000,
            )
        except BaseException:
            self._admin.close()
            raise

    def __enter__(self) -> LagReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()

    def partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        """Every partition of `topics`; UnknownTopicOrPartitionError (retriable) for a topic no broker
        knows: left out, its lag would read as none."""
        found = []
        for topic in topics:
            found += required_partitions(self._consumer, topic)
        return found

    def measure(self, groups: Sequence[str], topics: Sequence[str]) -> list[PartitionLag]:
        """The lag of each group on every partition of `topics` (of each group, its input)."""
        partitions = self.partitions(topics)
        if not partitions or not groups:
            return []
        committed = self._admin.list_group_offsets({group: partitions for group in groups})
        ends = self._consumer.end_offsets(partitions)
        starts = self._consumer.beginning_offsets(partitions)
        readings = []
        for group in groups:
            for tp in partitions:
                position = committed.get(group, {}).get(tp)
                offset = position.offset if position is not None and position.offset >= 0 else None
                # records deleted by retention are not lag: the group would start at the first kept one
                start = max(offset if offset is not None else 0, starts[tp])
                readings.append(PartitionLag(group, tp.topic, tp.partition, ends[tp], offset, max(0, ends[tp] - start)))
        return readings


def total(readings: Sequence[PartitionLag]) -> int:
    return sum(reading.lag for reading in readings)


class LagMonitor:
    """Exports one group's lag on its input topics as a gauge, every `interval_s` seconds."""

    def __init__(
        self, settings: Settings, group: str, topics: Sequence[str], interval_s: float, principal: str = OPERATOR
    ) -> None:
        self._settings = settings
        self._principal = principal
        self._group = group
        self._topics = list(topics)
        self._interval_s = interval_s
        self._exported: set[tuple[str, str, str]] = set()
        self._failing = False
        #: the latest reading, for the readiness report
        self.latest: list[PartitionLag] = []

    async def run(self) -> None:
        reader: LagReader | None = None
        try:
            while True:
                try:
                    if reader is None:
                        reader = await asyncio.to_thread(LagReader, self._settings, self._principal)
                    self._export(await asyncio.to_thread(reader.measure, [self._group], self._topics))
                except Exception as error:  # a monitoring fault must not stop the service
                    self._unknown(error)
                    if reader is not None:
                        await asyncio.to_thread(reader.close)
                    reader = None  # a fresh client next time: the old one may hold a dead connection
                await asyncio.sleep(self._interval_s)
        finally:
            if reader is not None:
                await asyncio.to_thread(reader.close)

    def _export(self, readings: list[PartitionLag]) -> None:
        labels = {(r.group, r.topic, str(r.partition)): r.lag for r in readings}
        for gone in self._exported - set(labels):
            metrics.CONSUMER_LAG.remove(*gone)
        for label, lag in labels.items():
            metrics.CONSUMER_LAG.labels(*label).set(lag)
        self._exported = set(labels)
        self.latest = readings
        if self._failing:
            log.info("consumer lag of %s readable again", self._group)
            self._failing = False

    def _unknown(self, error: BaseException) -> None:
        """No reading: the last one is withdrawn rather than shown as if it were current."""
        for label in self._exported:
            metrics.CONSUMER_LAG.remove(*label)
        self._exported = set()
        self.latest = []
        if not self._failing:
            log.warning("consumer lag of %s unreadable (%s); retrying", self._group, error)
            self._failing = True
