"""The broker dies mid-stream and comes back: the workers wait it out quietly and cheaply, carry
on by themselves, and lose or repeat nothing."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from services.localstack import stack
from services.localstack.config import stack_paths
from services.localstack.pidfile import PidFile
from services.shared.progress import wait_until_caught_up
from services.shared.settings import Settings
from tests.e2e.test_pipeline import (
    assert_each_alert_once,
    expected_alerts,
    import_watchlist,
    many_copies,
    publish,
)
from tests.support.pipeline import Workers, input_progress, marks, read_outputs, wait_for, workers

pytestmark = [pytest.mark.faults, pytest.mark.integration]

OUTAGE_S = 15.0
SERVICES = ("ingest", "matcher", "notifier")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def log_lines(running: Workers) -> int:
    return sum(len(running.log(service).splitlines()) for service in SERVICES)


@pytest.mark.timeout(600)
def test_broker_killed_mid_stream_workers_wait_quietly_and_lose_nothing(
    private_stack: Settings, demo_watchlist: Path, tmp_path: Path
) -> None:
    # Each copy an alert of its own, as in the kill test: the copies share bills of lading and voyages.
    settings = private_stack.model_copy(update={"suppression_window_seconds": 0})
    import_watchlist(settings, demo_watchlist)
    feed, suffixes = many_copies(tmp_path / "feed.jsonl", copies=800)
    start = marks(settings)
    publish(settings, feed)
    with workers(settings, tmp_path / "logs", *SERVICES) as running:
        wait_for(lambda: input_progress(settings, "matcher")[0] > 0, "the matcher to be under way", 120)
        paths = stack_paths(settings)
        kafka_pid = PidFile(paths.kafka_pid, paths.kafka_dir).running_pid()
        assert kafka_pid is not None
        pids = {service: running.pid(service) for service in SERVICES}
        cpu_before = {service: cpu_seconds(pid) for service, pid in pids.items()}
        lines_before = log_lines(running)
        killed_ms = time.time() * 1000
        os.kill(kafka_pid, signal.SIGKILL)
        time.sleep(OUTAGE_S)  # the outage itself: how long the broker stays away
        cpu_used = {service: cpu_seconds(pid) - cpu_before[service] for service, pid in pids.items()}
        lines_written = log_lines(running) - lines_before
        stack.up(settings, timeout_s=120, say=lambda _: None)
        assert all(running.alive(service) for service in SERVICES), "a worker gave up while the broker was away"
        wait_until_caught_up(settings, timeout_s=300)
        result = read_outputs(settings, start)

    # Waiting is cheap and quiet: a back-off, not a busy loop, and one log line per state change.
    for service, seconds in cpu_used.items():
        assert seconds < 0.25 * OUTAGE_S, f"{service} used {seconds:.1f} CPU seconds in a {OUTAGE_S:.0f}s outage"
    assert lines_written < 200, f"{lines_written} log lines in a {OUTAGE_S:.0f}s outage"
    assert result.newest_ms > killed_ms, "every alert was out before the broker died: the outage proves nothing"
    assert set(result.alert_keys()) == expected_alerts(suffixes)  # nothing lost
    # A batch whose commit was in doubt when the broker died is not published again (the notifier
    # settles the transaction before reading on; see KafkaTransport._settled_batches).
    assert_each_alert_once(result)
