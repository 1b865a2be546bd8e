"""Is a service alive, and is it ready for work: the one answer its /healthz and /readyz give,
whichever listener serves them.

A service names what its readiness depends on (its stage has joined its group and fetched, no
dependency is away, the matcher's watchlists are loaded...) as checks; it is ready when every
check passes. Liveness is the event loop's heartbeat: a listener answering from its own thread
(the metrics port) must not call a process alive whose loop is stuck. Keeping both in one object
lets every listener of a process give the same answer, and lets a new kind of process (a desk
console) reuse it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

T = TypeVar("T")

#: A loop that has not ticked for this long is stuck. Everything slow in our processes (loading a
#: watchlist engine, Redis and kafka-python calls) runs in threads, so a healthy loop ticks every
#: second; 30 s is far beyond any batch yet lets a supervisor replace a wedged worker within a minute.
LIVENESS_LIMIT_S = 30.0


class Heartbeat:
    """The event loop's pulse, read from any thread."""

    def __init__(self, interval_s: float = 1.0) -> None:
        self._interval_s = interval_s
        self._last = time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self._last

    def beat(self) -> None:
        """For a service whose main loop is a thread, not an event loop: call once per turn."""
        self._last = time.monotonic()

    async def run(self) -> None:
        while True:
            self.beat()
            await asyncio.sleep(self._interval_s)


async def beating(work: Awaitable[T], heartbeat: Heartbeat) -> T:
    """Await `work` with the heartbeat running in the same loop."""
    pulse = asyncio.ensure_future(heartbeat.run())
    try:
        return await work
    finally:
        pulse.cancel()


class Health:
    def __init__(self, service: str, heartbeat: Heartbeat | None = None) -> None:
        self.service = service
        self.heartbeat = heartbeat or Heartbeat()
        self._checks: dict[str, Callable[[], bool]] = {}
        self._details: list[Callable[[], Mapping[str, object]]] = []

    def require(self, name: str, check: Callable[[], bool]) -> None:
        """The service is ready only while `check()` is true."""
        self._checks[name] = check

    def describe(self, details: Callable[[], Mapping[str, object]]) -> None:
        """Add what `details()` returns to every readiness report (for a person reading it)."""
        self._details.append(details)

    def checks(self) -> dict[str, bool]:
        return {name: bool(check()) for name, check in self._checks.items()}

    @property
    def alive(self) -> bool:
        return self.heartbeat.age() < LIVENESS_LIMIT_S

    def liveness(self) -> dict[str, object]:
        return {"alive": self.alive, "service": self.service, "heartbeat_age_s": round(self.heartbeat.age(), 3)}

    def readiness(self) -> dict[str, object]:
        checks = self.checks()
        report: dict[str, object] = {"ready": all(checks.values()), "service": self.service, "checks": checks}
        for details in self._details:
            report.update(details())
        return report
