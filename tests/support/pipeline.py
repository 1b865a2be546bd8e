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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from kafka import KafkaConsumer, TopicPartition

from services.localstack.workers import start_worker, stop_worker
from services.shared import topics
from services.shared.dead_letter import decode_headers
from services.shared.models import Alert
from services.shared.progress import end_offsets
from services.shared.settings import PARTNER_COUNTRIES, Settings

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


@dataclass(frozen=True)
class DeadLetter:
    key: str
    reason: str
    message: str


@dataclass
class Outputs:
    alerts: list[Alert] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    #: the latest record timestamp read (when the broker received the newest output)
    newest_ms: int = 0

    def alert_keys(self) -> list[tuple[str, str, str]]:
        """(desk, manifest id, entry id) of every alert, repeats included."""
        return [(a.desk_country, a.manifest.manifest_id, a.entry.entry_id) for a in self.alerts]


def output_topics(settings: Settings) -> list[str]:
    watched = [topics.desk_topic(settings, desk) for desk in PARTNER_COUNTRIES]
    return [*watched, topics.qualified(settings, topics.MANIFESTS_DLQ)]


def marks(settings: Settings) -> dict[TopicPartition, int]:
    """Where every desk topic and the dead-letter topic end now: read from here for what follows."""
    return {tp: offset for topic in output_topics(settings) for tp, offset in end_offsets(settings, topic).items()}


def read_outputs(settings: Settings, since: dict[TopicPartition, int]) -> Outputs:
    """Every committed alert and dead letter written after `since`, up to the end now."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    outputs = Outputs()
    dead_letter_topic = topics.qualified(settings, topics.MANIFESTS_DLQ)
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        end = consumer.end_offsets(list(since))
        while any((consumer.position(tp) or 0) < end[tp] for tp in since):
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    outputs.newest_ms = max(outputs.newest_ms, record.timestamp)
                    if tp.topic == dead_letter_topic:
                        outputs.dead_letters.append(_dead_letter(record.key, record.headers))
                    else:
                        outputs.alerts.append(Alert.model_validate_json(record.value))
    finally:
        consumer.close()
    return outputs


def _dead_letter(key: bytes | None, headers: list[tuple[str, bytes]]) -> DeadLetter:
    decoded = decode_headers(headers)
    return DeadLetter(
        key=(key or b"<no key>").decode("utf-8", "replace"),
        reason=decoded.get("interdict.errors.reason", "?"),
        message=decoded.get("__connect.errors.exception.message", ""),
    )


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
