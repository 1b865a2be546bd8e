"""Re-screening: when a watchlist entry is added or changed, the manifests of the last N days are
screened again against it, so a vessel listed today that sailed last week still reaches the desks.

The manifests come from Kafka itself: `manifests.valid` is kept for `rescreen_days` plus a margin
(see `kafka_admin.topic_configs`), so no second copy of every manifest is stored anywhere. Hits go
to `matches` marked `retroactive`, and the notifier alerts on them like on any other match (its
delivery ledger keeps a desk from receiving the same manifest-and-entry alert twice).

One re-screener runs at a time: a Redis lease elects it, and a standby takes over when the lease
lapses. It records in Redis how far in the change feed it has re-screened, so changes made while
no re-screener ran are re-screened when one starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator

import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import Counter
from pydantic import ValidationError

from services.matcher.engine import MatchingEngine
from services.matcher.replica import WatchlistReplica
from services.matcher.screening import screen_manifest
from services.shared import topics
from services.shared.kafka_clients import make_producer
from services.shared.models import ManifestAdapter
from services.shared.settings import Settings
from services.watchlist.events import ChangeOp, WatchlistChange
from services.watchlist.store import ChangeFeedGap

log = logging.getLogger(__name__)

RESCREENED = Counter("interdict_rescreened_manifests_total", "Manifests screened again after watchlist changes")
RETROACTIVE_MATCHES = Counter("interdict_retroactive_matches_total", "Matches found by re-screening", ["list_id"])

LEASE_SECONDS = 15
#: Changes arriving close together (an import of many entries) are re-screened in one pass.
SETTLE_SECONDS = 2.0
POLL_RECORDS = 500

_RENEW_LEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class Lease:
    """Leadership among re-screeners: whoever holds the Redis key re-screens, the others wait."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client = client
        self._key = key
        self._token = uuid.uuid4().hex
        self._renew = client.register_script(_RENEW_LEASE)

    def acquire_or_renew(self) -> bool:
        ttl_ms = LEASE_SECONDS * 1000
        if self._renew(keys=[self._key], args=[self._token, ttl_ms]):
            return True
        return bool(self._client.set(self._key, self._token, nx=True, px=ttl_ms))


def upserted_entry_ids(change: WatchlistChange) -> set[str]:
    return {change.entry.entry_id} if change.op is ChangeOp.UPSERT and change.entry is not None else set()


class ManifestArchive:
    """The validated manifests Kafka still holds, from a point in time up to now."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topic = topics.qualified(settings, topics.MANIFESTS_VALID)

    def since(self, start_ms: int) -> Iterator[tuple[bytes | None, bytes]]:
        consumer = KafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap, enable_auto_commit=False, group_id=None
        )
        try:
            partitions = [TopicPartition(self._topic, p) for p in consumer.partitions_for_topic(self._topic) or []]
            if not partitions:
                return
            end = consumer.end_offsets(partitions)
            starts = consumer.offsets_for_times({partition: start_ms for partition in partitions})
            pending = {p for p in partitions if starts.get(p) is not None and starts[p].offset < end[p]}
            consumer.assign(list(pending))
            for partition in pending:
                consumer.seek(partition, starts[partition].offset)
            while pending:
                for partition, records in consumer.poll(timeout_ms=1000, max_records=POLL_RECORDS).items():
                    for record in records:
                        if record.offset < end[partition]:
                            yield record.key, record.value
                    if consumer.position(partition) >= end[partition]:
                        pending.discard(partition)
        finally:
            consumer.close()


class Rescreener:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pending: set[str] = set()
        self._last_change_at = 0.0
        self.replica = WatchlistReplica(
            lambda: MatchingEngine(threshold=settings.match_threshold), settings, on_change=self._note
        )
        client = redis.Redis.from_url(settings.redis_url)
        self._client = client
        self._lease = Lease(client, f"{settings.redis_key_prefix}:rescreener:lease")
        self._cursor_key = f"{settings.redis_key_prefix}:rescreener:cursor"
        self._archive = ManifestArchive(settings)
        self._producer: KafkaProducer | None = None

    def _note(self, change: WatchlistChange) -> None:
        ids = upserted_entry_ids(change)
        if ids:
            self._pending |= ids
            self._last_change_at = time.monotonic()

    async def run(self) -> None:
        while not await asyncio.to_thread(self._lease.acquire_or_renew):
            await asyncio.sleep(LEASE_SECONDS / 3)
        log.info("re-screener lease acquired")
        follower = asyncio.create_task(self.replica.run())
        try:
            await self.replica.wait_ready()
            await self._catch_up_missed_changes()
            while True:
                await asyncio.sleep(0.2)
                if not await asyncio.to_thread(self._lease.acquire_or_renew):
                    raise RuntimeError("re-screener lease lost; exiting so a standby takes over")
                if self._pending and time.monotonic() - self._last_change_at >= SETTLE_SECONDS:
                    await self.rescreen_pending()
        finally:
            follower.cancel()

    async def _catch_up_missed_changes(self) -> None:
        """Changes between the last completed re-screen and this start were never re-screened."""
        saved = await asyncio.to_thread(self._client.get, self._cursor_key)
        if saved is None:
            await asyncio.to_thread(self._client.set, self._cursor_key, self.replica.state.cursor)
            return
        cursor, target = saved.decode(), self.replica.state.cursor
        try:
            while True:
                changes, cursor = await asyncio.to_thread(self.replica.store.read_changes, cursor, 0, 1000)
                for change in changes:
                    if change.stream_id and _after(change.stream_id, target):
                        return
                    self._pending |= upserted_entry_ids(change)
                if not changes:
                    return
        except ChangeFeedGap:
            log.warning("changes made while no re-screener ran were trimmed from the feed; not re-screened")

    async def rescreen_pending(self) -> int:
        entry_ids, self._pending = self._pending, set()
        cursor = self.replica.state.cursor
        start_ms = int((time.time() - self._settings.rescreen_days * 86400) * 1000)
        found = 0
        records = self._archive.since(start_ms)
        while True:
            batch = await asyncio.to_thread(_take, records, POLL_RECORDS)
            if not batch:
                break
            for key, value in batch:
                found += await self._rescreen_one(key, value, entry_ids)
        await asyncio.to_thread(self._client.set, self._cursor_key, cursor)
        log.info("re-screened against %d changed entries: %d retroactive matches", len(entry_ids), found)
        return found

    async def _rescreen_one(self, key: bytes | None, value: bytes, entry_ids: set[str]) -> int:
        try:
            manifest = ManifestAdapter.validate_json(value)
        except ValidationError:
            return 0  # ingest validated it; the live matcher dead-letters version skew
        RESCREENED.inc()
        matches = screen_manifest(manifest, self.replica.engine, self.replica.versions, True, entry_ids)
        for match in matches:
            await asyncio.to_thread(self._send, key, match.model_dump_json().encode())
            RETROACTIVE_MATCHES.labels(match.entry.list_id).inc()
        return len(matches)

    def _send(self, key: bytes | None, value: bytes) -> None:
        if self._producer is None:
            self._producer = make_producer(self._settings)
        self._producer.send(topics.qualified(self._settings, topics.MATCHES), key=key, value=value).get(timeout=30)


def _take(records: Iterator[tuple[bytes | None, bytes]], count: int) -> list[tuple[bytes | None, bytes]]:
    batch = []
    for record in records:
        batch.append(record)
        if len(batch) >= count:
            break
    return batch


def _after(stream_id: str, cursor: str) -> bool:
    first = tuple(int(part) for part in stream_id.split("-"))
    second = tuple(int(part) for part in cursor.split("-"))
    return first > second
