"""The expiry sweep: entries whose expiry time has passed are announced on the change feed.

It writes the watchlists (the entry leaves its list, the feed says so, the audit records it), so
it belongs to a writer: the admin API runs it (`interdict admin serve`), and the matchers and the
re-screener, which hold read-only Redis users, only read what it announces. Until it does, the
engines already ignore an entry past its expiry time: the sweep makes the removal a change every
replica, cache and audit trail sees. Several admin APIs may run: the sweep is one Redis
transaction, so concurrent sweeps announce each expiry once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import redis

from services.shared.backoff import TRANSIENT_ERRORS

log = logging.getLogger(__name__)

#: How often the admin API asks the store for entries past their expiry time.
EXPIRY_SWEEP_SECONDS = 30.0
ACTOR = "system:expiry"
#: A round these fail is skipped; the next one sweeps what it missed.
SWEEP_ERRORS: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, redis.exceptions.RedisError)


class Sweeps(Protocol):
    def sweep_expired(self, *, actor: str = ACTOR) -> list[str]: ...


async def sweep_expired_forever(store: Sweeps, interval_s: float = EXPIRY_SWEEP_SECONDS) -> None:
    """Sweep now and every `interval_s` until cancelled; Redis away skips a round, never the loop."""
    while True:
        await sweep_once(store)
        await asyncio.sleep(interval_s)


async def sweep_once(store: Sweeps) -> list[str]:
    try:
        expired = await asyncio.to_thread(store.sweep_expired, actor=ACTOR)
    except SWEEP_ERRORS as error:
        log.warning("watchlist expiry sweep failed, tried again in the next round: %s", error)
        return []
    if expired:
        log.info("expired watchlist entries announced: %s", ", ".join(expired))
    return expired
