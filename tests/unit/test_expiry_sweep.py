"""The expiry sweep the admin API runs: against the in-memory Redis, and through a Redis outage."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import redis

from services.watchlist.expiry import ACTOR, sweep_expired_forever, sweep_once
from services.watchlist.layout import utc_now
from services.watchlist.writer import WatchlistWriter
from tests.fakes import MemoryRedis
from tests.unit.test_watchlist_reader_writer import import_demo


class AnHourLater:
    """The writer, its clock an hour and a second ahead."""

    def __init__(self, writer: WatchlistWriter) -> None:
        self._writer = writer

    def sweep_expired(self, *, actor: str = ACTOR) -> list[str]:
        return self._writer.sweep_expired(actor=actor, now=utc_now() + timedelta(hours=1, seconds=1))


class RedisAway:
    def __init__(self) -> None:
        self.calls = 0

    def sweep_expired(self, *, actor: str = ACTOR) -> list[str]:
        self.calls += 1
        raise redis.exceptions.ConnectionError("Redis is away")


async def test_a_sweep_announces_an_entry_past_its_expiry_as_the_system() -> None:
    writer = WatchlistWriter(MemoryRedis(), "p")
    import_demo(writer)
    expiry = utc_now() + timedelta(hours=1)
    writer.expire("demo:0", expiry, actor="alice")
    assert await sweep_once(writer) == []
    later = AnHourLater(writer)
    assert await sweep_once(later) == ["demo:0"]
    assert await sweep_once(later) == []
    (expired,) = writer.history(entry_id="demo:0", actor=ACTOR)
    assert expired.operation == "expired"


async def test_redis_away_skips_a_round_and_the_sweeper_keeps_going() -> None:
    store = RedisAway()
    sweeper = asyncio.ensure_future(sweep_expired_forever(store, interval_s=0.001))
    while store.calls < 3:
        await asyncio.sleep(0.001)
    assert not sweeper.done()  # the failures did not end it
    sweeper.cancel()
