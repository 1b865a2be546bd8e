"""Fault tests run against a private stack of their own (broker and Redis on their own ports and
state dir), since they stop and kill its servers: the shared test stack is left alone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.localstack import stack
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
    try:
        yield settings
    finally:
        stack.down(settings, timeout_s=60, say=lambda _: None)


def _reuse_kafka_jars(settings: Settings) -> None:
    """Copy the jars the shared stack already fetched, rather than fetching them again."""
    shared = Settings().state_dir / "kafka" / "dist" / settings.kafka_version
    private = settings.state_dir / "kafka" / "dist" / settings.kafka_version
    if shared.is_dir() and not private.exists():
        shutil.copytree(shared, private)
