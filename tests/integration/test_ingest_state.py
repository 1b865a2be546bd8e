"""Ingest's Redis scripts on the real server: versions, duplicates, redone batches, vessel sightings.

tests/fakes.py mirrors these scripts for the unit tests; the same cases run here on both, so the
fakes cannot drift from what Redis does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from services.ingest.history import POSITIONS_KEPT, ManifestHistory, RedisManifestHistory, VersionRequest
from services.ingest.sightings import RedisSightingLog, Sighting, SightingLog
from services.shared.settings import Settings
from tests.fakes import MemoryManifestHistory, MemorySightingLog

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
async def client(isolated_settings: Settings) -> AsyncIterator[aioredis.Redis]:
    connection = aioredis.Redis.from_url(isolated_settings.redis_url)
    yield connection
    await connection.aclose()


@pytest.fixture(params=["redis", "fake"])
def history(request: pytest.FixtureRequest, client: aioredis.Redis, isolated_settings: Settings) -> ManifestHistory:
    if request.param == "fake":
        return MemoryManifestHistory()
    return RedisManifestHistory(client, isolated_settings.redis_key_prefix)


@pytest.fixture(params=["redis", "fake"])
def sightings(request: pytest.FixtureRequest, client: aioredis.Redis, isolated_settings: Settings) -> SightingLog:
    if request.param == "fake":
        return MemorySightingLog()
    return RedisSightingLog(client, isolated_settings.redis_key_prefix)


def sent(digest: str, offset: int, manifest_id: str = "M1", summary: dict[str, Any] | None = None) -> VersionRequest:
    return VersionRequest("feed-a", manifest_id, digest, summary or {"content": digest}, f"raw:0:{offset}")


async def test_versions_duplicates_and_what_came_before(history: ManifestHistory) -> None:
    verdicts = await history.record([sent("a", 0), sent("a", 1), sent("b", 2), sent("b", 3), sent("a", 4)])
    assert [(v.version, v.duplicate) for v in verdicts] == [(1, False), (1, True), (2, False), (2, True), (3, False)]
    assert [v.previous_summary for v in verdicts] == [None, None, {"content": "a"}, {"content": "a"}, {"content": "b"}]


async def test_manifests_are_counted_apart(history: ManifestHistory) -> None:
    verdicts = await history.record([sent("a", 0, "M1"), sent("a", 1, "M2")])
    assert [(v.version, v.duplicate) for v in verdicts] == [(1, False), (1, False)]


async def test_a_redone_batch_gets_the_same_verdicts(history: ManifestHistory) -> None:
    batch = [sent("a", 0), sent("b", 1), sent("b", 2)]
    first = await history.record(batch)
    assert await history.record(batch) == first
    # and a later record is still judged on the latest content
    [later] = await history.record([sent("b", 3)])
    assert (later.version, later.duplicate) == (2, True)


async def test_old_positions_are_forgotten_but_recent_ones_kept(
    client: aioredis.Redis, isolated_settings: Settings
) -> None:
    history = RedisManifestHistory(client, isolated_settings.redis_key_prefix)
    await history.record([sent(str(n), n) for n in range(POSITIONS_KEPT + 10)])
    key = f"{isolated_settings.redis_key_prefix}:manifest:feed-a:M1"
    fields = [field if isinstance(field, bytes) else field.encode() for field in await client.hkeys(key)]
    assert sum(field.startswith(b"at:") for field in fields) == POSITIONS_KEPT
    assert sum(field.startswith(b"summary:") for field in fields) <= 8
    assert await client.ttl(key) > 0


def seen(name: str, imo: str | None, mmsi: str | None, feed: str = "ais") -> Sighting:
    return Sighting(name, imo, mmsi, feed, AT)


async def test_a_sighting_is_compared_with_the_one_before(sightings: SightingLog) -> None:
    first, second = await sightings.sight(
        [(seen("A", "9134270", "351000001"), "p0"), (seen("B", "9134270", "538000001", "other"), "p1")]
    )
    assert (first.by_imo, first.by_mmsi) == (None, None)
    assert second.by_imo == seen("A", "9134270", "351000001")
    assert second.by_mmsi is None  # that MMSI was never seen before


async def test_a_redone_sighting_is_compared_with_the_same_one(sightings: SightingLog) -> None:
    await sightings.sight([(seen("A", "9134270", None), "p0")])
    [first] = await sightings.sight([(seen("B", "9134270", None), "p1")])
    [again] = await sightings.sight([(seen("B", "9134270", None), "p1")])
    assert first == again and first.by_imo is not None and first.by_imo.name == "A"
