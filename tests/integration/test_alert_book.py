"""The alert book's compare-and-set on the real Redis, case by case as FakeRedis plays it in unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from services.notifier.book import AlertBook, BookClient, Write
from services.shared.settings import Settings
from tests.fakes import FakeRedis

pytestmark = pytest.mark.integration


@pytest.fixture(params=["redis", "fake"])
async def client(request: pytest.FixtureRequest, isolated_settings: Settings) -> AsyncIterator[BookClient]:
    if request.param == "fake":
        yield FakeRedis()
        return
    real = aioredis.Redis.from_url(isolated_settings.redis_url)
    try:
        yield real
    finally:
        await real.aclose()


async def test_compare_and_set_writes_all_or_nothing(client: BookClient, isolated_settings: Settings) -> None:
    book = AlertBook(client, isolated_settings.redis_key_prefix)
    one, two = book.alert_key(("MX", "alert-1")), book.alert_key(("MX", "alert-2"))
    assert await book.commit([Write(one, None, b"v1", 60)])
    # expected absent, but present: refused, and the other key of the batch is not written either
    assert not await book.commit([Write(two, None, b"x", 60), Write(one, None, b"v2", 60)])
    assert await client.mget([one, two]) == [b"v1", None]
    # expected what is there: written; a stale expectation afterwards: refused
    assert await book.commit([Write(one, b"v1", b"v2", 60), Write(two, None, b"w1", 60)])
    assert not await book.commit([Write(one, b"v1", b"v3", 60)])
    assert await client.mget([one, two]) == [b"v2", b"w1"]


async def test_compare_and_set_sets_the_time_to_live(isolated_settings: Settings) -> None:
    real = aioredis.Redis.from_url(isolated_settings.redis_url)
    try:
        book = AlertBook(real, isolated_settings.redis_key_prefix)
        key = book.sighting_key(("MX", "test:1", "bl:X"))
        assert await book.commit([Write(key, None, b"s", 3600)])
        assert 3590 <= await real.ttl(key) <= 3600
    finally:
        await real.aclose()
