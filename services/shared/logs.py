"""Quiet logs while the broker is away: the Kafka clients' repeated errors, once per state change.

aiokafka logs every failed connection attempt and every failed metadata refresh; a worker cut
off from the broker for a few minutes would write millions of identical lines. This filter lets
the first line of a kind through, drops its repeats for a while, and then lets one line through
saying how many were dropped, so the log shows the outage and its length without drowning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Loggers of the Kafka and worker libraries whose repeated lines are folded.
CLIENT_LOGGERS = ("aiokafka", "kafka", "faust", "mode")


@dataclass
class _Seen:
    first: float
    suppressed: int = 0


class RepeatFilter(logging.Filter):
    """Folds records with the same logger, level and message template within `window` seconds."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._window = window
        self._clock = clock
        self._seen: dict[tuple[str, int, str], _Seen] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen.first < self._window:
            seen.suppressed += 1
            return False
        if seen is not None and seen.suppressed:
            record.msg = f"{record.msg} [{seen.suppressed} similar lines in the last {now - seen.first:.0f}s not shown]"
        self._seen[key] = _Seen(now)
        if len(self._seen) > 10_000:  # messages with ever-new templates must not grow this forever
            self._seen.clear()
        return True


def quiet_repeated_client_errors(window: float = 60.0) -> RepeatFilter:
    """Attach one RepeatFilter to every logger of the client libraries (call after importing them)."""
    repeat = RepeatFilter(window)
    names = [name for name in logging.Logger.manager.loggerDict if name.split(".")[0] in CLIENT_LOGGERS]
    for name in [*CLIENT_LOGGERS, *names]:
        logging.getLogger(name).addFilter(repeat)
    return repeat
