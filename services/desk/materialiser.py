"""Keeps desk stores current from their topics: `alerts.<cc>`, `actions.<cc>` and the shared `cases`,
committed records only.

No consumer group: each store keeps its own offsets, in the transaction that applies the records
(store.py), so it resumes exactly where its last transaction ended, and a new or deleted file is
filled from the beginning of the topics. Several processes may keep one store (the desk store
service, and a desk command catching up before it answers): a record one of them has applied is
skipped by the others. `cases` is read once for all the stores kept, from where the store that is
furthest behind stands; each store keeps its own desk's cases (case_store.py).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping

from kafka import KafkaConsumer, TopicPartition

from services.desk import metrics
from services.desk.case_store import CaseRecord
from services.desk.store import DeskStore, StoreRecord
from services.shared import topics
from services.shared.kafka_clients import kafka_consumer, topic_partitions
from services.shared.settings import Settings

log = logging.getLogger(__name__)


class TopicMissing(RuntimeError):
    """A desk topic does not exist on the broker (`interdict topics ensure` creates them)."""


#: the desk store's Kafka principal: it reads every desk's alerts and actions, writes nothing
DESKSTORE = "deskstore"


class CatchUpTimeout(TimeoutError):
    """The topics could not be read to their end in the time given."""


class Materialiser:
    def __init__(
        self, settings: Settings, stores: Mapping[str, DeskStore], principal: str = DESKSTORE, with_cases: bool = True
    ) -> None:
        """`with_cases`: also fold `cases` into the stores (the desk store service and the console,
        whose principals may read it; a desk's own principal may not)."""
        self._settings = settings
        self._principal = principal
        self._stores = dict(stores)
        self._kinds: dict[str, tuple[list[str], str]] = {}  # topic -> (desks, record kind)
        for desk in self._stores:
            self._kinds[topics.desk_topic(settings, desk)] = ([desk], "alert")
            self._kinds[topics.actions_topic(settings, desk)] = ([desk], "action")
        self._cases_topic = topics.cases_topic(settings)
        if with_cases:
            self._kinds[self._cases_topic] = (list(self._stores), "case")
        self._consumer = self._new_consumer()
        self._partitions = self._assign()

    def _new_consumer(self) -> KafkaConsumer:
        return kafka_consumer(
            self._settings,
            self._principal,
            enable_auto_commit=False,
            isolation_level="read_committed",  # an aborted transaction's alerts never enter a store
            client_id="interdict-desk-store",
        )

    def _assign(self) -> list[TopicPartition]:
        partitions = []
        for topic in self._kinds:
            found = topic_partitions(self._consumer, topic)
            if not found:
                raise TopicMissing(f"topic {topic} does not exist; create it with `interdict topics ensure`")
            partitions += found
        self._consumer.assign(partitions)
        self.rewind()
        return partitions

    def rewind(self) -> None:
        """Read each partition again from where its store has it (the beginning for a new store)."""
        offsets: dict[tuple[str, int], int] = {}
        for store in self._stores.values():
            held = store.offsets()
            for partition in self._consumer.assignment():
                where = (partition.topic, partition.partition)
                # `cases` is every store's: from the one furthest behind (the others skip what they have)
                offsets[where] = min(offsets.get(where, held.get(where, 0)), held.get(where, 0))
        for partition in self._consumer.assignment():
            self._consumer.seek(partition, offsets.get((partition.topic, partition.partition), 0))

    def poll(self, timeout_ms: int = 500) -> int:
        """Apply what one poll brings; the number of records applied."""
        batches = self._consumer.poll(timeout_ms=timeout_ms)
        by_desk: dict[str, list[StoreRecord]] = defaultdict(list)
        for partition, records in batches.items():
            desks, kind = self._kinds[partition.topic]
            topic, number = partition.topic, partition.partition
            for desk in desks:
                by_desk[desk] += [StoreRecord(topic, number, record.offset, record.value, kind) for record in records]
        applied = 0
        for desk, read in by_desk.items():
            result = self._stores[desk].apply(read, self.earlier_case_events)
            metrics.RECORDS_APPLIED.labels(desk, "alert").inc(result.alerts)
            metrics.RECORDS_APPLIED.labels(desk, "action").inc(result.actions)
            metrics.RECORDS_APPLIED.labels(desk, "case").inc(result.cases)
            applied += result.alerts + result.actions + result.cases
        return applied

    def earlier_case_events(self, case_id: str, partition: int, before: int) -> list[CaseRecord]:
        """A case's records before an offset of its partition (its key is its id), oldest first: what an
        invited desk's store needs of the case's past. Read with a consumer of its own, so the main one
        keeps its positions; the partition is read from its beginning (cases are few)."""
        where = TopicPartition(self._cases_topic, partition)
        reader = self._new_consumer()
        try:
            reader.assign([where])
            reader.seek(where, 0)
            found: list[CaseRecord] = []
            key = case_id.encode()
            deadline = time.monotonic() + 60
            while (reader.position(where) or 0) < before:
                if time.monotonic() > deadline:
                    raise CatchUpTimeout(f"case {case_id}'s earlier events were not read within 60s")
                for record in reader.poll(timeout_ms=500).get(where, []):
                    if record.offset < before and record.key == key:
                        found.append(CaseRecord(partition, record.offset, record.value))
            return found
        finally:
            reader.close()

    def catch_up(self, timeout_s: float = 60.0, on_progress: Callable[[], None] = lambda: None) -> int:
        """Apply everything on the topics up to where they end now; the number of records applied.
        `on_progress` is called at every poll (a long rebuild is alive, not stuck)."""
        deadline = time.monotonic() + timeout_s
        ends = self._consumer.end_offsets(self._partitions)
        applied = 0
        while any((self._consumer.position(partition) or 0) < ends[partition] for partition in self._partitions):
            if time.monotonic() > deadline:
                raise CatchUpTimeout(f"the desk topics were not read to their end within {timeout_s:.0f}s")
            applied += self.poll(timeout_ms=200)
            on_progress()
        return applied

    def close(self) -> None:
        self._consumer.close()
