"""Re-screening: when a watchlist entry is added or changed, the manifests of the last N days are
screened again against it, so a vessel listed today that sailed last week still reaches the desks.

The manifests come from Kafka itself: `manifests.valid` is kept for `rescreen_days` plus a margin
(see `kafka_admin.topic_configs`), so no second copy of every manifest is stored anywhere. Hits go
to `matches` marked `retroactive`, and the notifier alerts on them like on any other match (its
alert book recognises a match a desk already has, and adds a new one to the manifest's alert).

One re-screener runs at a time: a Redis lease elects it, and a standby takes over when the lease
lapses. It records in Redis how far in the change feed it has re-screened, so changes made while
no re-screener ran are re-screened when one starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence

import redis
from prometheus_client import Counter
from pydantic import ValidationError

from services.matcher.engine import MatchingEngine
from services.matcher.replica import WatchlistReplica
from services.matcher.screening import BatchScreener, screen_manifest
from services.shared import topics
from services.shared.health import Health
from services.shared.models import ManifestAdapter
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings
from services.shared.stage import InputRecord, Outcome, Output, Stage, StageConfig
from services.shared.stage.kafka import KafkaRangeTransport
from services.shared.worker import kafka_options
from services.watchlist.errors import ChangeFeedGap
from services.watchlist.events import ChangeOp, WatchlistChange

log = logging.getLogger(__name__)

SERVICE = "rescreener"

RESCREENED = Counter("interdict_rescreened_manifests_total", "Manifests screened again after watchlist changes")
RETROACTIVE_MATCHES = Counter("interdict_retroactive_matches_total", "Matches found by re-screening", ["list_id"])

LEASE_SECONDS = 15
#: Changes arriving close together (an import of many entries) are re-screened in one pass.
SETTLE_SECONDS = 2.0

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


class RescreenHandler:
    """Screens archived manifests again, keeping only hits on the changed entries."""

    def __init__(self, replica: WatchlistReplica, entry_ids: set[str], matches_topic: str) -> None:
        self._replica = replica
        self._entry_ids = entry_ids
        self._matches_topic = matches_topic
        self.found = 0

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        screener = BatchScreener(self._replica.engine, among=self._entry_ids)
        return [self._one(record, screener) for record in records]

    def _one(self, record: InputRecord, screener: BatchScreener) -> Outcome:
        try:
            manifest = ManifestAdapter.validate_json(record.value or b"")
        except ValidationError:
            return Outcome()  # ingest validated it; the live matcher dead-letters version skew
        RESCREENED.inc()
        matches = screen_manifest(manifest, self._replica.engine, self._replica.versions, True, screen=screener)
        for match in matches:
            RETROACTIVE_MATCHES.labels(match.entry.list_id if match.entry else "identity").inc()
        self.found += len(matches)
        return Outcome([Output(self._matches_topic, record.key, match.model_dump_json().encode()) for match in matches])


class Rescreener:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pending: set[str] = set()
        self._last_change_at = 0.0
        self.replica = WatchlistReplica(
            lambda: MatchingEngine(threshold=settings.match_threshold),
            settings,
            on_change=self._note,
            redis_user=RedisUser.RESCREENER,
        )
        client = sync_client(settings, RedisUser.RESCREENER)
        self._client = client
        self._lease = Lease(client, f"{settings.redis_key_prefix}:rescreener:lease")
        self._cursor_key = f"{settings.redis_key_prefix}:rescreener:cursor"
        #: starting, standby (another holds the lease) or leader
        self.role = "starting"
        self._lease_answered_at: float | None = None
        self.health = self._health()

    def _health(self) -> Health:
        """Ready while Redis answers the lease and, as the leader, once the watchlists are loaded
        (a standby is doing its job by waiting)."""
        health = Health(SERVICE)
        health.require("redis", self._lease_answering)
        health.require("watchlists", lambda: self.role == "standby" or self.replica.state.ready)
        health.describe(lambda: {"role": self.role, "pending_entries": len(self._pending)})
        return health

    def _lease_answering(self) -> bool:
        # a standby asks every LEASE_SECONDS / 3, a leader five times a second
        answered = self._lease_answered_at
        return answered is not None and time.monotonic() - answered < LEASE_SECONDS

    def _hold_lease(self) -> bool:
        held = self._lease.acquire_or_renew()
        self._lease_answered_at = time.monotonic()
        self.role = "leader" if held else "standby"
        return held

    def _note(self, change: WatchlistChange) -> None:
        ids = upserted_entry_ids(change)
        if ids:
            self._pending |= ids
            self._last_change_at = time.monotonic()

    async def run(self) -> None:
        while not await asyncio.to_thread(self._hold_lease):
            await asyncio.sleep(LEASE_SECONDS / 3)
        log.info("re-screener lease acquired")
        follower = asyncio.create_task(self.replica.run())
        try:
            await self.replica.wait_ready()
            await self._catch_up_missed_changes()
            while True:
                await asyncio.sleep(0.2)
                if not await asyncio.to_thread(self._hold_lease):
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
        cursor, target = saved.decode() if isinstance(saved, bytes) else str(saved), self.replica.state.cursor
        try:
            while True:
                changes, cursor = await asyncio.to_thread(self.replica.reader.read_changes, cursor, 0, 1000)
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
        handler = RescreenHandler(self.replica, entry_ids, topics.qualified(self._settings, topics.MATCHES))
        settings = self._settings
        archive = KafkaRangeTransport(
            kafka_options(settings, SERVICE), topics.qualified(settings, topics.MANIFESTS_VALID), start_ms
        )
        config = StageConfig(SERVICE, topics.qualified(settings, topics.MANIFESTS_DLQ), settings.batch_max_records, 1.0)
        await Stage(config, archive, handler).drain()
        await asyncio.to_thread(self._client.set, self._cursor_key, cursor)
        log.info("re-screened against %d changed entries: %d retroactive matches", len(entry_ids), handler.found)
        return handler.found


def _after(stream_id: str, cursor: str) -> bool:
    first = tuple(int(part) for part in stream_id.split("-"))
    second = tuple(int(part) for part in cursor.split("-"))
    return first > second
