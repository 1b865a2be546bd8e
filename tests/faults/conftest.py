"""Fault tests run against a private stack of their own (broker and Redis on their own ports and
state dir), since they stop and kill its servers: the shared test stack is left alone."""

from __future__ import annotations

import random
import shutil
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from services.localstack import stack
from services.localstack.cluster import PORT_STEP
from services.localstack.ports import PORT_RANGE
from services.shared.redis_clients import RedisUser, stack_credentials, with_login
from services.shared.settings import Settings
from tests.support import free_ports


@pytest.fixture
def private_stack(tmp_path: Path) -> Iterator[Settings]:
    kafka, controller, tls, redis_port, *web = free_ports(10)
    settings = Settings().model_copy(
        update={
            "state_dir": tmp_path / "stack",
            "kafka_bootstrap": f"127.0.0.1:{kafka}",
            "kafka_controller_port": controller,
            "kafka_tls_port": tls,
            "kafka_credentials_file": None,  # the private stack's own, in its state dir
            "redis_url": f"redis://127.0.0.1:{redis_port}/0",
            "redis_credentials_file": None,  # its own, in its state dir (not the shared stack's)
            "topic_partitions": 2,
            "kafka_session_timeout_seconds": 6.0,
            "ingest_web_port": web[0],
            "matcher_web_port": web[1],
            "notifier_web_port": web[2],
            "ingest_metrics_port": web[3],
            "matcher_metrics_port": web[4],
            "notifier_metrics_port": web[5],
        }
    )
    _reuse_kafka_jars(settings)
    stack.up(settings, timeout_s=120, say=lambda _: None)
    settings = as_the_stack(settings)
    try:
        yield settings
    finally:
        stack.down(settings, timeout_s=60, say=lambda _: None)


@pytest.fixture
def private_cluster(tmp_path: Path) -> Iterator[Settings]:
    """Three KRaft brokers (each also a controller) and Redis of the test's own, topics with three
    replicas that take writes while two have them."""
    base = _free_port_block(2 * 3)
    redis_port, *web = free_ports(7)
    brokers = [base + PORT_STEP * node for node in range(3)]
    settings = Settings().model_copy(
        update={
            "state_dir": tmp_path / "cluster",
            "kafka_bootstrap": ",".join(f"127.0.0.1:{port}" for port in brokers),
            "kafka_controller_port": base + 1,
            "kafka_credentials_file": None,  # the private cluster's own, in its state dir
            "redis_url": f"redis://127.0.0.1:{redis_port}/0",
            "redis_credentials_file": None,  # its own, in its state dir (not the shared stack's)
            "topic_partitions": 2,
            "topic_replication": 3,
            "kafka_session_timeout_seconds": 6.0,
            "ingest_web_port": web[0],
            "matcher_web_port": web[1],
            "notifier_web_port": web[2],
            "ingest_metrics_port": web[3],
            "matcher_metrics_port": web[4],
            "notifier_metrics_port": web[5],
        }
    )
    _reuse_kafka_jars(settings)
    stack.up(settings, timeout_s=180, say=lambda _: None)
    settings = as_the_stack(settings)
    try:
        yield settings
    finally:
        stack.down(settings, timeout_s=60, say=lambda _: None)


def _free_port_block(count: int) -> int:
    """The first of `count` consecutive ports all free now (the cluster's layout is consecutive)."""
    while True:
        base = random.randint(PORT_RANGE[0], PORT_RANGE[1] - count)
        with ExitStack() as held:
            try:
                for port in range(base, base + count):
                    held.enter_context(socket.socket()).bind(("0.0.0.0", port))
            except OSError:
                continue
            return base


def as_the_stack(settings: Settings) -> Settings:
    """The tests set up and read any key as the stack's own Redis user, as on the shared stack."""
    credentials = stack_credentials(settings)
    assert credentials is not None, "stack up made no Redis users"
    password = credentials.passwords[RedisUser.STACK.value]
    return settings.model_copy(update={"redis_url": with_login(settings.redis_url, RedisUser.STACK.value, password)})


def _reuse_kafka_jars(settings: Settings) -> None:
    """Copy the jars the shared stack already fetched, rather than fetching them again."""
    shared = Settings().state_dir / "kafka" / "dist" / settings.kafka_version
    private = settings.state_dir / "kafka" / "dist" / settings.kafka_version
    if shared.is_dir() and not private.exists():
        shutil.copytree(shared, private)
