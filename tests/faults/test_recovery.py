"""Faults with load in flight, each on a private stack: a broker of three SIGKILLed, the single
broker stopped and restarted, Redis SIGKILLed, each service's worker SIGKILLed. In every case the
services recover by themselves (none is restarted, but the killed worker), every expected alert
arrives, and no desk receives a version of an alert twice. Each test prints its recovery times
(the README's Reliability section quotes them)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from services.localstack import stack
from services.localstack.cluster import stack_servers
from services.localstack.config import stack_paths
from services.localstack.pidfile import process_alive, stop_process
from services.localstack.servers import Server
from services.shared.kafka_admin import admin_client
from services.shared.progress import wait_until_caught_up
from services.shared.settings import Settings
from services.shared.topics import all_topics
from tests.support.load import (
    SERVICES,
    check_delivered,
    kill_with_work_left,
    publish_load,
    records_committed_by_worker,
    stalled_services,
    under_way,
    wait_moving,
    wait_until_desks_see_everything,
)
from tests.support.pipeline import wait_for, workers

pytestmark = [pytest.mark.faults, pytest.mark.integration]


def server(settings: Settings, name: str) -> Server:
    return next(s for s in stack_servers(settings, stack_paths(settings)) if s.name == name)


def kill_server(settings: Settings, name: str) -> None:
    pid = server(settings, name).pid_file.running_pid()
    assert pid is not None, f"{name} is not running"
    os.kill(pid, signal.SIGKILL)
    # The signal is delivered asynchronously: until the process is gone, `stack up` sees it running.
    wait_for(lambda: not process_alive(pid), f"{name} (pid {pid}) to be gone", 30, poll_s=0.01)


def report(capsys: pytest.CaptureFixture[str], fault: str, **seconds: float) -> None:
    with capsys.disabled():
        timings = ", ".join(f"{what.replace('_', ' ')} {value:.1f} s" for what, value in seconds.items())
        print(f"\nrecovery | {fault}: {timings}")


def fault_settings(settings: Settings) -> Settings:
    # The copies share bills of lading and voyages: with suppression each copy would count on one
    # alert; without it each is an alert of its own, which is what delivery is checked on. Small
    # batches commit often, so a stage is seen part way through its input before it is done.
    return settings.model_copy(update={"suppression_window_seconds": 0, "batch_max_records": 200})


@pytest.mark.timeout(600)
def test_one_broker_of_three_sigkilled_mid_stream(
    private_cluster: Settings, demo_watchlist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = fault_settings(private_cluster)
    load = publish_load(settings, demo_watchlist, tmp_path)
    with workers(settings, tmp_path / "logs", *SERVICES) as running:
        under_way(settings)
        fault_ms, fault = time.time() * 1000, time.monotonic()
        kill_server(settings, "kafka-1")  # the first address of every client's bootstrap list
        moving = wait_moving(settings, fault)
        wait_until_caught_up(settings, timeout_s=300)
        # alerts a transaction of the dead broker's coordinator held back are visible again
        wait_until_desks_see_everything(settings)
        drained = time.monotonic() - fault
        assert all(running.alive(service) for service in SERVICES), "a worker gave up"
        result = check_delivered(load)
        # The node comes back, a broker of the cluster again, and catches up on every partition.
        assert under_replicated(settings), "no partition lost a replica: the kill proves nothing"
        stack.up(settings, timeout_s=180, say=lambda _: None)
        rejoined = time.monotonic() - fault
        wait_for(lambda: not under_replicated(settings), "every partition back to three in-sync replicas", 180, 0.5)
        in_sync = time.monotonic() - fault
    assert result.newest_ms > fault_ms, "every alert was out before the broker died: the kill proves nothing"
    report(
        capsys,
        "1 broker of 3 SIGKILLed",
        moving_again=moving,
        all_alerts=drained,
        node_back=rejoined,
        replicas_in_sync=in_sync,
    )


def under_replicated(settings: Settings) -> list[str]:
    """Partitions of the stack's topics with fewer in-sync replicas than replicas."""
    with admin_client(settings) as admin:
        described = admin.describe_topics(all_topics(settings))
    return [
        f"{topic['name']}[{partition['partition_index']}]"
        for topic in described
        for partition in topic["partitions"]
        if len(partition["isr_nodes"]) < len(partition["replica_nodes"])
    ]


@pytest.mark.timeout(600)
def test_single_broker_stopped_and_restarted_mid_stream(
    private_stack: Settings, demo_watchlist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = fault_settings(private_stack)
    load = publish_load(settings, demo_watchlist, tmp_path)
    with workers(settings, tmp_path / "logs", *SERVICES) as running:
        under_way(settings)
        fault_ms, fault = time.time() * 1000, time.monotonic()
        stop_process(server(settings, "kafka").pid_file, timeout_s=60)
        stopped = time.monotonic() - fault
        stack.up(settings, timeout_s=180, say=lambda _: None)
        back = time.monotonic()
        moving = wait_moving(settings, back)
        wait_until_caught_up(settings, timeout_s=300)
        drained = time.monotonic() - fault
        assert all(running.alive(service) for service in SERVICES), "a worker gave up while the broker was away"
        result = check_delivered(load)
    assert result.newest_ms > fault_ms, "every alert was out before the broker stopped: the stop proves nothing"
    report(
        capsys,
        "single broker stopped and restarted",
        stopping=stopped,
        broker_away=back - fault,
        moving_after_restart=moving,
        all_alerts=drained,
    )


@pytest.mark.timeout(600)
def test_redis_sigkilled_mid_stream(
    private_stack: Settings, demo_watchlist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = fault_settings(private_stack)
    load = publish_load(settings, demo_watchlist, tmp_path)
    with workers(settings, tmp_path / "logs", *SERVICES) as running:
        under_way(settings)
        fault_ms, fault = time.time() * 1000, time.monotonic()
        kill_server(settings, "redis")
        # Away until a stage feels it (a batch retried, the stall shown), then back from its AOF.
        stalled = wait_for(lambda: stalled_services(settings), "a stage to show the stall", 120, poll_s=0.1)
        stack.up(settings, timeout_s=60, say=lambda _: None)
        back = time.monotonic()
        moving = wait_moving(settings, fault)
        wait_until_caught_up(settings, timeout_s=300)
        drained = time.monotonic() - fault
        assert all(running.alive(service) for service in SERVICES), "a worker gave up while Redis was away"
        result = check_delivered(load)
    assert result.newest_ms > fault_ms, "every alert was out before Redis died: the kill proves nothing"
    assert stalled
    report(capsys, "Redis SIGKILLed", redis_away=back - fault, moving_again=moving, all_alerts=drained)


@pytest.mark.timeout(600)
def test_each_worker_sigkilled_mid_stream(
    private_stack: Settings, demo_watchlist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One load per kill, met by the service as a backlog, so that it is killed while it has work:
    the killed worker is started again at once (as a supervisor would), the others left alone."""
    settings = fault_settings(private_stack)
    timings: dict[str, float] = {}
    with workers(settings, tmp_path / "logs", *SERVICES) as running:
        for service in SERVICES:
            load, kill = kill_with_work_left(running, settings, demo_watchlist, tmp_path, service)
            running.start(service)
            # Moving again: the new worker has committed a batch (the old one can commit no more).
            wait_for(lambda: records_committed_by_worker(settings, service) > 0, f"the new {service} to commit", 300)  # noqa: B023
            timings[f"{service}_moving_again"] = time.monotonic() - kill.at
            wait_until_caught_up(settings, timeout_s=300)
            timings[f"{service}_all_alerts"] = time.monotonic() - kill.at
            result = check_delivered(load)
            assert result.newest_ms > kill.at_ms, f"every alert was out before {service} died: the kill proves nothing"
    assert set(running.kills) == set(SERVICES)
    report(capsys, "each worker SIGKILLed (restarted at once)", **timings)
