"""The matcher's watchlist copy: follows changes live, survives losing Redis, catches up after."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.matcher.replica import WatchlistReplica
from services.shared.models import EntityKind, EntryName, WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.writer import WatchlistWriter
from tests.support import free_port

pytestmark = pytest.mark.integration


def entry(number: int, name: str) -> WatchlistEntry:
    return WatchlistEntry(
        entry_id=f"national-co:{number}",
        list_id="national-co",
        source_ids={"ref": str(number)},
        kind=EntityKind.PERSON,
        names=[EntryName(name=name)],
        owner_country="CO",
    )


class PrivateRedis:
    """A redis-server of this test's own, with an append-only file so a restart keeps the data."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--appendonly", "yes", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "private redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def names_found(engine: MatchingEngine, name: str) -> list[str]:
    return [hit.entry.entry_id for hit in engine.screen(ScreeningQuery(name=name, kind=EntityKind.PERSON))]


async def eventually(condition, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def seeded(
    private_redis: PrivateRedis, prefix: str, entries: list[WatchlistEntry], **overrides: object
) -> tuple[Settings, WatchlistWriter]:
    """Settings for this test's own keys, and a store holding `entries` as list national-co."""
    settings = Settings(redis_url=private_redis.url, redis_key_prefix=prefix, **overrides)  # type: ignore[arg-type]
    store = WatchlistWriter(redis.Redis.from_url(private_redis.url), settings.redis_key_prefix)
    store.import_list("national-co", entries, owner_country="CO", actor="admin-co")
    return settings, store


async def started(settings: Settings) -> tuple[WatchlistReplica, asyncio.Task[None]]:
    """A replica following the store, once it has loaded; cancel the task to stop it."""
    replica = WatchlistReplica(MatchingEngine, settings)
    follower = asyncio.create_task(replica.run())
    try:
        await asyncio.wait_for(replica.wait_ready(), 15)
    except BaseException:
        follower.cancel()
        raise
    return replica, follower


async def test_replica_follows_changes_and_survives_a_redis_outage(private_redis: PrivateRedis) -> None:
    settings, store = seeded(private_redis, "replica-test", [entry(1, "Wilber Alirio Varela Fajardo")],
                             watchlist_refresh_seconds=0.1)
    replica, follower = await started(settings)
    try:
        assert names_found(replica.engine, "Varela Fajardo Wilber Alirio") == ["national-co:1"]

        # A change made while the matcher runs reaches it without a restart.
        changed_at = time.monotonic()
        store.add(entry(2, "Diego Leon Montoya Sanchez"), actor="admin-co")
        await eventually(lambda: names_found(replica.engine, "Diego Montoya Sanchez") == ["national-co:2"])
        assert time.monotonic() - changed_at < 5

        private_redis.stop()
        await eventually(lambda: replica.state.stale)
        # Stale, but still matching against the last copy it had.
        assert names_found(replica.engine, "Wilber Varela Fajardo") == ["national-co:1"]
        assert replica.health()["stale"] is True

        private_redis.start()
        store = WatchlistWriter(redis.Redis.from_url(private_redis.url), settings.redis_key_prefix)
        store.remove("national-co:1", actor="admin-co")
        await eventually(lambda: not names_found(replica.engine, "Wilber Varela Fajardo"))
        assert not replica.state.stale
        assert replica.versions["national-co"] == store.info("national-co").version
    finally:
        follower.cancel()
        with pytest.raises(asyncio.CancelledError):
            await follower


async def test_replica_reloads_when_the_change_feed_was_trimmed_past_it(private_redis: PrivateRedis) -> None:
    settings, store = seeded(private_redis, "replica-gap", [entry(1, "Wilber Alirio Varela Fajardo")],
                             watchlist_refresh_seconds=0.1)
    replica, follower = await started(settings)
    follower.cancel()
    with pytest.raises(asyncio.CancelledError):
        await follower

    # While this matcher was not following, two changes happened and the feed was trimmed.
    store.add(entry(2, "Diego Leon Montoya Sanchez"), actor="admin-co")
    store.remove("national-co:1", actor="admin-co")
    store.trim_changes(1)
    await replica._follow_once()

    assert names_found(replica.engine, "Diego Montoya Sanchez") == ["national-co:2"]
    assert names_found(replica.engine, "Wilber Varela Fajardo") == []
    assert replica.versions["national-co"] == store.info("national-co").version



GENERATION = 700  # entries: an import is 1,400 feed events, more than the replica reads at once


def generation(letter: str, first: int) -> list[WatchlistEntry]:
    """A whole list version whose import takes more than one read of the change feed."""
    return [
        entry(first + index, f"Generacion {letter} Persona Numero {index} Apellido{letter}")
        for index in range(GENERATION)
    ]


def held_generations(engine: MatchingEngine) -> tuple[int, int]:
    return (
        sum(f"national-co:{number}" in engine for number in range(1000, 1000 + GENERATION)),
        sum(f"national-co:{number}" in engine for number in range(2000, 2000 + GENERATION)),
    )


async def test_concurrent_imports_are_never_seen_half_applied(private_redis: PrivateRedis) -> None:
    settings, first_store = seeded(private_redis, "replica-concurrent", generation("A", 1000),
                                   watchlist_refresh_seconds=0.05)
    replica, follower = await started(settings)

    def import_alternately(admin: str, rounds: int) -> None:
        store = WatchlistWriter(redis.Redis.from_url(private_redis.url), settings.redis_key_prefix)
        for round_number in range(rounds):
            letter, first = ("B", 2000) if round_number % 2 == 0 else ("A", 1000)
            store.import_list("national-co", generation(letter, first), owner_country="CO", actor=admin)

    importers = [asyncio.to_thread(import_alternately, f"admin-{n}", 4) for n in range(2)]  # two administrators at once
    running = asyncio.gather(*importers)
    observed: set[tuple[int, int]] = set()
    try:
        while not running.done():
            observed.add(held_generations(replica.engine))  # what a manifest matched now would see
            await asyncio.sleep(0.002)  # a busy loop would starve the importer threads of the GIL
        await running
        final = first_store.entries("national-co")
        await eventually(lambda: replica.versions.get("national-co") == first_store.info("national-co").version)
    finally:
        follower.cancel()
    assert observed <= {(GENERATION, 0), (0, GENERATION)}, f"a half-applied import was visible: {observed}"
    assert len(observed) == 2, "the test never saw an import land; it proves nothing"
    assert {e.entry_id for e in final} == {e for e in replica._entries}


async def test_a_matcher_restarted_during_an_import_ends_on_the_new_version(private_redis: PrivateRedis) -> None:
    settings, store = seeded(private_redis, "replica-restart", generation("A", 1000), watchlist_refresh_seconds=0.05)
    _, follower = await started(settings)

    importing = asyncio.create_task(asyncio.to_thread(
        store.import_list, "national-co", generation("B", 2000), owner_country="CO", actor="admin-co"))
    await asyncio.sleep(0.01)
    follower.cancel()  # the matcher dies while the import is under way
    await importing

    restarted, follower = await started(settings)
    try:
        await eventually(lambda: held_generations(restarted.engine) == (0, GENERATION))
        assert restarted.versions["national-co"] == store.info("national-co").version
    finally:
        follower.cancel()


async def test_a_matcher_starting_without_redis_matches_on_its_local_copy(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    settings, _ = seeded(
        private_redis,
        "replica-local",
        [entry(1, "Wilber Alirio Varela Fajardo")],
        watchlist_refresh_seconds=0.05,
        state_dir=tmp_path / "state",
    )
    _, follower = await started(settings)
    follower.cancel()

    private_redis.stop()
    restarted, follower = await started(settings)
    try:
        assert restarted.health()["stale"] is True
        assert names_found(restarted.engine, "Wilber Varela Fajardo") == ["national-co:1"]
        private_redis.start()
        await eventually(lambda: not restarted.state.stale)
    finally:
        follower.cancel()
