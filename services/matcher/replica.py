"""The matcher's in-process copy of the watchlists, kept current from Redis.

It starts from a consistent snapshot, then follows the store's change feed and applies each change
to the engine incrementally. The events of one list version (one store transaction: an import of
thousands of entries, say) are applied together, between two manifests, so a manifest is never
matched against half an import.

While Redis is unreachable it keeps matching against the last copy it has, flags itself stale
(metric and health), and catches up from its cursor when Redis returns. The copy is also kept on
local disk, so a matcher that (re)starts while Redis is down matches against the last version it
had instead of waiting.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import redis

from services.matcher.engine import MatchingEngine
from services.shared import metrics
from services.shared.backoff import TRANSIENT_ERRORS, Backoff, Outage
from services.shared.models import WatchlistEntry
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings
from services.watchlist.errors import ChangeFeedGap
from services.watchlist.events import WatchlistChange, WatchlistSnapshot
from services.watchlist.reader import WatchlistReader

log = logging.getLogger(__name__)

CHANGE_BATCH = 1000
#: The local copy on disk is rewritten at most this often, and only after changes.
LOCAL_COPY_SECONDS = 60.0
#: What leaves the replica stale and is retried: transient errors and any other Redis error.
RETRIED_ERRORS: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, redis.exceptions.RedisError)


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
        redis_user: RedisUser = RedisUser.MATCHER,
    ) -> None:
        self._engine_factory = engine_factory
        self._on_change = on_change
        self.engine = engine_factory()
        self.state = ReplicaState()
        self._settings = settings
        client = sync_client(settings, redis_user)
        self.reader = WatchlistReader(client, settings.redis_key_prefix)
        self._ready = asyncio.Event()
        self._block_ms = max(50, int(settings.watchlist_refresh_seconds * 1000))
        self._entries: dict[str, WatchlistEntry] = {}
        self._entries_per_list: Counter[tuple[str, str]] = Counter()
        self._read_cursor = "0-0"
        self._held: list[WatchlistChange] = []
        self._local_copy = settings.state_dir / "matcher" / f"{settings.redis_key_prefix}-watchlists.json"
        self._local_copy_due = False
        self._local_copy_written_at = 0.0

    @property
    def generation(self) -> tuple[int, int]:
        """Changes whenever the engine's answers may change: a new engine, or a change applied."""
        return id(self.engine), self.state.applied_changes

    @property
    def versions(self) -> dict[str, int]:
        return self.state.versions

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def run(self) -> None:
        """Bootstrap, then follow changes forever (cancelled when the worker stops)."""
        await self._until_done(self._start, "watchlist snapshot")
        while True:
            await self._until_done(self._follow_once, "watchlist change feed")
            if self._local_copy_due and time.monotonic() - self._local_copy_written_at >= LOCAL_COPY_SECONDS:
                await self._write_local_copy()

    async def _start(self) -> None:
        """A snapshot from Redis; failing that, once, the local copy, then keep trying Redis."""
        try:
            await self._bootstrap()
        except RETRIED_ERRORS:
            if not self.state.ready:
                await self._load_local_copy()
            raise  # _until_done retries until Redis answers, matching on the local copy meanwhile

    async def _until_done(self, step: Callable[[], Awaitable[None]], what: str) -> None:
        """Run one step of following Redis until it succeeds, matching on the last copy meanwhile."""
        backoff = Backoff(first=0.2, ceiling=5.0)
        outage = Outage(f"matcher: {what}", log)
        while True:
            try:
                await step()
            except RETRIED_ERRORS as error:
                outage.failed(error)
                self._mark_stale(error)
                await asyncio.sleep(backoff.next_delay())
                continue
            outage.recovered()
            self._mark_fresh()
            return

    async def _bootstrap(self) -> None:
        snapshot = await asyncio.to_thread(self.reader.snapshot)
        await self._install(snapshot)
        await self._write_local_copy(snapshot)
        log.info("watchlists loaded: %d entries, versions %s", len(self.engine), snapshot.versions)

    async def _install(self, snapshot: WatchlistSnapshot) -> None:
        """Load a consistent snapshot into a fresh engine, then swap it in whole."""
        engine = self._engine_factory()
        await asyncio.to_thread(engine.load, snapshot.entries)
        self.engine = engine
        # a large list is millions of long-lived objects that every full cyclic collection would
        # walk again (pauses of hundreds of milliseconds mid-stream): set them aside for good
        gc.collect()
        gc.freeze()
        self._entries = {entry.entry_id: entry for entry in snapshot.entries}
        self._entries_per_list = Counter((entry.list_id, entry.owner_country) for entry in snapshot.entries)
        self.state.versions = dict(snapshot.versions)
        self.state.cursor = self._read_cursor = snapshot.cursor
        self._held = []
        self._publish_gauges()
        self.state.ready = True
        self._ready.set()

    async def _load_local_copy(self) -> None:
        if not self._local_copy.exists():
            return
        try:
            raw = await asyncio.to_thread(self._local_copy.read_bytes)
            snapshot = WatchlistSnapshot.model_validate_json(raw)
        except (OSError, ValueError) as error:
            log.error("local watchlist copy %s unusable (%s); waiting for Redis", self._local_copy, error)
            return
        await self._install(snapshot)
        log.warning("Redis unavailable at start: matching on the local copy (versions %s)", snapshot.versions)

    async def _write_local_copy(self, snapshot: WatchlistSnapshot | None = None) -> None:
        if snapshot is None:
            snapshot = WatchlistSnapshot(
                entries=list(self._entries.values()), versions=self.state.versions, cursor=self.state.cursor
            )
        await asyncio.to_thread(_write_atomically, self._local_copy, orjson.dumps(snapshot.model_dump(mode="json")))
        self._local_copy_due = False
        self._local_copy_written_at = time.monotonic()

    async def _follow_once(self) -> None:
        try:
            changes, self._read_cursor = await asyncio.to_thread(
                self.reader.read_changes, self._read_cursor, self._block_ms, CHANGE_BATCH
            )
        except ChangeFeedGap:
            # Away so long that the feed was trimmed past our cursor: start over from a snapshot.
            log.warning("change feed trimmed past cursor %s; reloading the watchlists", self._read_cursor)
            await self._bootstrap()
            return
        ready = self._complete_versions(changes, reached_end=len(changes) < CHANGE_BATCH)
        for change in ready:  # no await in this loop: matching never sees part of a version
            self.apply(change)
        if ready:
            self.state.cursor = ready[-1].stream_id or self.state.cursor
            self._publish_gauges()
            self._local_copy_due = True

    def _complete_versions(self, changes: list[WatchlistChange], reached_end: bool) -> list[WatchlistChange]:
        """The held and new events whose list version is complete; the rest stays held.

        A store transaction writes all events of one version at once, so the feed's end is always
        a version boundary; inside a full batch, the last version may continue in the next read.
        """
        self._held.extend(changes)
        if reached_end or not self._held:
            ready, self._held = self._held, []
            return ready
        last = (self._held[-1].list_id, self._held[-1].version)
        cut = len(self._held)
        while cut > 0 and (self._held[cut - 1].list_id, self._held[cut - 1].version) == last:
            cut -= 1
        ready, self._held = self._held[:cut], self._held[cut:]
        return ready

    def apply(self, change: WatchlistChange) -> None:
        """Apply one change; upserts and removals are idempotent, so replaying an overlap is harmless."""
        if change.entry is not None:
            self.engine.upsert(change.entry)
            self._track(change.entry.entry_id, change.entry)
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

    def _track(self, entry_id: str, entry: WatchlistEntry | None) -> None:
        previous = self._entries.pop(entry_id, None)
        if previous is not None:
            self._entries_per_list[(previous.list_id, previous.owner_country)] -= 1
        if entry is not None:
            self._entries[entry_id] = entry
            self._entries_per_list[(entry.list_id, entry.owner_country)] += 1

    def _mark_stale(self, error: BaseException) -> None:
        self.state.stale = True
        self.state.last_error = f"{type(error).__name__}: {error}"
        metrics.WATCHLIST_STALE.set(1)
        metrics.DEPENDENCY_RETRIES.labels("matcher", "redis").inc()

    def _mark_fresh(self) -> None:
        self.state.stale = False
        self.state.last_error = None
        metrics.WATCHLIST_STALE.set(0)

    def _publish_gauges(self) -> None:
        for list_id, version in self.state.versions.items():
            metrics.WATCHLIST_VERSION.labels(list_id).set(version)
            metrics.MATCHES.labels(list_id)  # 0 matches on a list shows as 0, not as "no data"
        for (list_id, owner), count in self._entries_per_list.items():
            metrics.WATCHLIST_ENTRIES.labels(list_id, owner).set(count)

    def health(self) -> dict[str, object]:
        return {
            "ready": self.state.ready,
            "stale": self.state.stale,
            "entries": len(self.engine),
            "versions": self.state.versions,
            "last_error": self.state.last_error,
            "applied_changes": self.state.applied_changes,
        }


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_bytes(content)
    os.replace(scratch, path)
