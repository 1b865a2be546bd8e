"""The matcher's in-process copy of the watchlists, kept current from Redis.

It starts from a consistent snapshot, then follows the store's change feed and applies each change
to the engine incrementally. While Redis is unreachable it keeps matching against the last copy it
has, flags itself stale (metric and health), and catches up from its cursor when Redis returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis

from services.matcher.engine import MatchingEngine
from services.shared import metrics
from services.shared.settings import Settings
from services.shared.streaming import TRANSIENT_ERRORS
from services.watchlist.events import WatchlistChange
from services.watchlist.store import ChangeFeedGap, WatchlistStore

log = logging.getLogger(__name__)

CHANGE_BATCH = 1000
#: How often a matcher asks the store to announce entries whose expiry time has passed. Any
#: matcher may do it: the sweep is one Redis transaction, so concurrent sweeps announce once.
EXPIRY_SWEEP_SECONDS = 30.0


@dataclass
class ReplicaState:
    ready: bool = False
    stale: bool = False
    cursor: str = "0-0"
    versions: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    applied_changes: int = 0


class WatchlistReplica:
    def __init__(
        self,
        engine_factory: Callable[[], MatchingEngine],
        settings: Settings,
        on_change: Callable[[WatchlistChange], None] | None = None,
    ) -> None:
        self._engine_factory = engine_factory
        self._on_change = on_change
        self.engine = engine_factory()
        self.state = ReplicaState()
        self._settings = settings
        self.store = WatchlistStore(redis.Redis.from_url(settings.redis_url), settings)
        self._ready = asyncio.Event()
        self._block_ms = max(50, int(settings.watchlist_refresh_seconds * 1000))
        self._list_of_entry: dict[str, str] = {}
        self._entries_per_list: Counter[str] = Counter()

    @property
    def versions(self) -> dict[str, int]:
        return self.state.versions

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def run(self) -> None:
        """Bootstrap, then follow changes forever (cancelled when the worker stops)."""
        await self._until_done(self._bootstrap, "watchlist snapshot")
        next_sweep = time.monotonic() + EXPIRY_SWEEP_SECONDS
        while True:
            await self._until_done(self._follow_once, "watchlist change feed")
            if time.monotonic() >= next_sweep:
                await self._until_done(self._sweep_expired, "watchlist expiry sweep")
                next_sweep = time.monotonic() + EXPIRY_SWEEP_SECONDS

    async def _until_done(self, step: Callable[[], Awaitable[None]], what: str) -> None:
        delay = 0.2
        while True:
            try:
                await step()
                self._mark_fresh()
                return
            except TRANSIENT_ERRORS + (redis.exceptions.RedisError,) as error:
                self._mark_stale(what, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _bootstrap(self) -> None:
        """Load a consistent snapshot into a fresh engine, then swap it in whole."""
        snapshot = await asyncio.to_thread(self.store.snapshot)
        engine = self._engine_factory()
        await asyncio.to_thread(engine.load, snapshot.entries)
        self.engine = engine
        self._list_of_entry = {entry.entry_id: entry.list_id for entry in snapshot.entries}
        self._entries_per_list = Counter(self._list_of_entry.values())
        self.state.versions = dict(snapshot.versions)
        self.state.cursor = snapshot.cursor
        self._publish_gauges()
        self.state.ready = True
        self._ready.set()
        log.info("watchlists loaded: %d entries, versions %s", len(self.engine), snapshot.versions)

    async def _follow_once(self) -> None:
        try:
            changes, cursor = await asyncio.to_thread(
                self.store.read_changes, self.state.cursor, self._block_ms, CHANGE_BATCH
            )
        except ChangeFeedGap:
            # Away so long that the feed was trimmed past our cursor: start over from a snapshot.
            log.warning("change feed trimmed past cursor %s; reloading the watchlists", self.state.cursor)
            await self._bootstrap()
            return
        for change in changes:
            self.apply(change)
        self.state.cursor = cursor
        if changes:
            self._publish_gauges()

    async def _sweep_expired(self) -> None:
        await asyncio.to_thread(self.store.sweep_expired, actor="system:expiry")

    def apply(self, change: WatchlistChange) -> None:
        """Apply one change; upserts and removals are idempotent, so replaying an overlap is harmless."""
        if change.entry is not None:
            self.engine.upsert(change.entry)
            self._track(change.entry.entry_id, change.entry.list_id)
        else:
            for entry_id in change.removed_entry_ids():
                self.engine.remove(entry_id)
                self._track(entry_id, None)
        self.state.versions[change.list_id] = max(change.version, self.state.versions.get(change.list_id, 0))
        self.state.applied_changes += 1
        if self._on_change is not None:
            self._on_change(change)
        lag = time.time() - change.changed_at.timestamp()
        metrics.WATCHLIST_APPLY_SECONDS.observe(max(lag, 0.0))

    def _track(self, entry_id: str, list_id: str | None) -> None:
        previous = self._list_of_entry.pop(entry_id, None)
        if previous is not None:
            self._entries_per_list[previous] -= 1
        if list_id is not None:
            self._list_of_entry[entry_id] = list_id
            self._entries_per_list[list_id] += 1

    def _mark_stale(self, what: str, error: BaseException) -> None:
        if not self.state.stale:
            log.warning("%s unavailable (%s); matching continues on the last copy", what, error)
        self.state.stale = True
        self.state.last_error = f"{type(error).__name__}: {error}"
        metrics.WATCHLIST_STALE.set(1)
        metrics.DEPENDENCY_RETRIES.labels("matcher", "redis").inc()

    def _mark_fresh(self) -> None:
        if self.state.stale:
            log.info("watchlists reachable again; caught up from cursor %s", self.state.cursor)
        self.state.stale = False
        self.state.last_error = None
        metrics.WATCHLIST_STALE.set(0)

    def _publish_gauges(self) -> None:
        for list_id, version in self.state.versions.items():
            metrics.WATCHLIST_VERSION.labels(list_id).set(version)
            metrics.WATCHLIST_ENTRIES.labels(list_id).set(self._entries_per_list.get(list_id, 0))

    def health(self) -> dict[str, object]:
        return {
            "ready": self.state.ready,
            "stale": self.state.stale,
            "entries": len(self.engine),
            "versions": self.state.versions,
            "last_error": self.state.last_error,
            "applied_changes": self.state.applied_changes,
        }
