"""Waiting out an unreachable Redis or Kafka: one bounded back-off and one quiet log for every service.

A worker that loses a dependency must neither give up (that would skip input) nor spin: it waits
longer after each failure, up to a ceiling, with jitter so that a fleet of workers does not
reconnect in lockstep. It logs one line when the dependency goes away (with the error), a reminder
a minute while it stays away (with the latest error, which may not be the first one), and one
line when it comes back (with how many attempts failed and for how long), so an outage of minutes
writes a few lines, not millions.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import redis.exceptions

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Errors worth waiting out rather than dead-lettering: the broker or Redis is away for a while.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    OSError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    # Replies that mean "not now" rather than "never": a replica promoted a moment ago (READONLY),
    # a full or failing-over server, credentials or ACLs being rotated. Dead-lettering on them
    # would throw away input that an operator's fix would have let through.
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.MasterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.AuthenticationError,
    redis.exceptions.NoPermissionError,
)


@dataclass
class Backoff:
    """Exponential delays with full jitter between `first` and `ceiling` seconds."""

    first: float = 0.1
    ceiling: float = 5.0
    factor: float = 2.0
    _next: float = field(default=0.0, init=False)

    def next_delay(self) -> float:
        base = self._next or self.first
        self._next = min(base * self.factor, self.ceiling)
        # Half fixed, half random: never a busy loop, never a synchronised fleet.
        return base / 2 + random.uniform(0, base / 2)

    def reset(self) -> None:
        self._next = 0.0


@dataclass
class Outage:
    """One dependency's state for the log: a line when it is lost, one a minute while it stays
    lost, one when it is back."""

    what: str
    logger: logging.Logger = log
    failures: int = 0
    since: float = 0.0
    remind_every_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _last_said: float = 0.0

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def failed(self, error: BaseException) -> None:
        now = self.clock()
        if self.failures == 0:
            self.since = self._last_said = now
            self.logger.warning(
                "%s unavailable (%s: %s); retrying with back-off", self.what, type(error).__name__, error
            )
        elif now - self._last_said >= self.remind_every_s:
            self._last_said = now
            self.logger.warning(
                "%s still unavailable after %d failed attempts over %.0fs (now %s: %s); still retrying",
                self.what,
                self.failures,
                now - self.since,
                type(error).__name__,
                error,
            )
        self.failures += 1

    def recovered(self) -> None:
        if self.failures:
            self.logger.warning(
                "%s available again after %d failed attempts over %.1fs",
                self.what,
                self.failures,
                self.clock() - self.since,
            )
        self.failures = 0


async def retry_transient(
    operation: Callable[[], Awaitable[T]],
    what: str,
    on_retry: Callable[[BaseException], None] | None = None,
    backoff: Backoff | None = None,
    transient: tuple[type[BaseException], ...] = TRANSIENT_ERRORS,
    logger: logging.Logger = log,
) -> T:
    """Run `operation` until it succeeds, backing off while it fails with a transient error.

    Giving up would mean skipping input, which is worse than stalling the partition: the retry
    counter and the consumer lag show the stall to operators.
    """
    backoff = backoff or Backoff()
    outage = Outage(what, logger)
    while True:
        try:
            result = await operation()
        except transient as error:
            outage.failed(error)
            if on_retry is not None:
                on_retry(error)
            await asyncio.sleep(backoff.next_delay())
            continue
        outage.recovered()
        return result
