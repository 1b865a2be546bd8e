"""The end-to-end harness: service workers as processes on a test's private namespace, and the
records they wrote, read back as a desk would (committed records only).

Tests wait on conditions (`wait_for`), never on fixed sleeps: a condition that holds returns at
once on a fast machine, and one that never holds fails with what was last seen.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from kafka.errors import KafkaError

from services.localstack.workers import start_worker, stop_worker
from services.shared import lag, topics
from services.shared.lag import LagReader
from services.shared.outputs import DeadLetter, Outputs, marks, read_outputs
from services.shared.progress import end_offsets, group_lag
from services.shared.settings import Settings

__all__ = [
    "DeadLetter",
    "Kill",
    "Outputs",
    "ProgressReader",
    "Workers",
    "input_progress",
    "kill_mid_stream",
    "kill_when_committed",
    "marks",
    "read_outputs",
    "wait_for",
    "workers",
]

T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], what: str, timeout_s: float = 120.0, poll_s: float = 0.1) -> T:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what} (last seen: {last!r})")


class Workers:
    """Service worker processes of one test; all stopped when the test ends."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self._settings = settings
        self._log_dir = log_dir
        self._running: dict[str, subprocess.Popen[bytes]] = {}
        self.kills: dict[str, int] = {}

    def start(self, *services: str) -> None:
        for service in services:
            assert service not in self._running or self._running[service].poll() is not None, f"{service} runs"
            self._running[service] = start_worker(service, self._settings, self._log_dir / f"{service}.log")

    def kill(self, service: str) -> None:
        """SIGKILL: no chance to commit, flush or leave the group."""
        process = self._running[service]
        process.kill()
        process.wait()
        self.kills[service] = self.kills.get(service, 0) + 1

    def stop(self, service: str) -> None:
        """SIGTERM: the worker commits what it finished, leaves its group and exits."""
        stop_worker(self._running[service])

    def pid(self, service: str) -> int:
        return self._running[service].pid

    def alive(self, service: str) -> bool:
        return self._running[service].poll() is None

    def stop_all(self) -> None:
        for process in self._running.values():
            stop_worker(process)

    def log(self, service: str) -> str:
        return (self._log_dir / f"{service}.log").read_text(errors="replace")


@contextmanager
def workers(settings: Settings, log_dir: Path, *services: str) -> Iterator[Workers]:
    running = Workers(settings, log_dir)
    with ExitStack() as stack:
        stack.callback(running.stop_all)
        running.start(*services)
        yield running


def input_progress(settings: Settings, service: str) -> tuple[int, int]:
    """(records of the service's input its group has committed, records on that input)."""
    topic = topics.qualified(settings, topics.SERVICE_INPUTS[service])
    total = sum(end_offsets(settings, topic).values())
    behind = group_lag(settings, topics.group_id(settings, service), topic)
    return total - (total if behind is None else behind), total


@dataclass(frozen=True)
class Kill:
    """A worker SIGKILLed, and what its group had committed of its input when it died."""

    at_ms: float  # wall clock, to compare with record timestamps
    at: float  # time.monotonic, to measure recovery from
    done: int
    total: int

    @property
    def mid_stream(self) -> bool:
        return self.done < self.total


class ProgressReader:
    """What a service's group has committed of its input, read through one client kept open: a new
    client per reading would add a login to every poll, and the worker moves on meanwhile."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._reader = LagReader(settings)

    def __enter__(self) -> ProgressReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._reader.close()

    def of(self, service: str) -> tuple[int, int] | None:
        """(records committed, records on the input); None while the broker cannot say."""
        topic = topics.qualified(self._settings, topics.SERVICE_INPUTS[service])
        try:
            readings = self._reader.measure([topics.group_id(self._settings, service)], [topic])
        except KafkaError as error:
            if error.retriable:
                return None
            raise
        total = sum(reading.end for reading in readings)
        return total - lag.total(readings), total


def kill_when_committed(running: Workers, settings: Settings, service: str, fraction: float = 0.0) -> Kill:
    """SIGKILL `service`'s worker as soon as its group has committed more than `fraction` of its
    input, and read what it had committed. The reading after the kill is exact (a dead worker
    commits nothing more), and says whether the kill fell mid-stream."""
    with ProgressReader(settings) as progress:

        def past_fraction() -> bool:
            seen = progress.of(service)
            return seen is not None and seen[1] > 0 and seen[0] > fraction * seen[1]

        wait_for(past_fraction, f"{service} to commit more than {fraction:.0%} of its input", 300, poll_s=0.02)
        at_ms, at = time.time() * 1000, time.monotonic()
        running.kill(service)
        done, total = wait_for(lambda: progress.of(service), f"the progress of {service} once killed", 60)
    return Kill(at_ms, at, done, total)


def kill_mid_stream(running: Workers, settings: Settings, service: str, fraction: float) -> None:
    """SIGKILL `service` once its group has committed `fraction` of its input, prove that the kill
    fell mid-stream, and start the worker again."""
    kill = kill_when_committed(running, settings, service, fraction)
    assert kill.mid_stream, f"{service} had finished its input when killed; the kill proves nothing"
    running.start(service)
