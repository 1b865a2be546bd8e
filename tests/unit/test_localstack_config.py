"""The local stack's configuration files and address parsing, checked without starting anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.localstack.config import (
    Endpoint,
    StackConfigError,
    controller_endpoint,
    kafka_endpoint,
    new_cluster_id,
    redis_endpoint,
    render_redis_conf,
    render_server_properties,
    stack_paths,
)
from services.shared.settings import Settings


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap": "127.0.0.1:29092",
        "kafka_controller_port": 29093,
        "redis_url": "redis://127.0.0.1:26379/0",
        "state_dir": tmp_path / "state",
        "topic_partitions": 6,
    }
    values.update(overrides)
    return Settings(**values)


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_server_properties_follow_the_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    props = _properties(render_server_properties(settings, stack_paths(settings)))

    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["log.dirs"] == str((tmp_path / "state" / "kafka" / "data").resolve())
    assert props["num.partitions"] == "6"
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_every_file_lives_under_the_state_dir(tmp_path: Path) -> None:
    paths = stack_paths(_settings(tmp_path, kafka_version="3.8.0"))
    state = (tmp_path / "state").resolve()
    for path in (paths.kafka_libs, paths.kafka_data, paths.kafka_pid, paths.kafka_log,
                 paths.redis_conf, paths.redis_pid, paths.redis_log, paths.lock_file):  # fmt: skip
        assert path.is_relative_to(state), path
    assert "3.8.0" in paths.kafka_libs.parts


@pytest.mark.parametrize(
    ("bootstrap", "expected"),
    [
        ("127.0.0.1:19092", Endpoint("127.0.0.1", 19092)),
        (" localhost:9092 ", Endpoint("localhost", 9092)),
        ("[::1]:9092", Endpoint("::1", 9092)),
    ],
)
def test_kafka_endpoint_parses_host_and_port(tmp_path: Path, bootstrap: str, expected: Endpoint) -> None:
    assert kafka_endpoint(_settings(tmp_path, kafka_bootstrap=bootstrap)) == expected


@pytest.mark.parametrize(
    ("bootstrap", "complaint"),
    [
        ("127.0.0.1", "host:port"),
        ("127.0.0.1:http", "not a number"),
        ("127.0.0.1:70000", "outside 1-65535"),
        ("127.0.0.1:1,127.0.0.1:2", "one broker expected"),
        ("kafka.example.org:9092", "not loopback"),
    ],
)
def test_kafka_endpoint_rejects_what_the_stack_cannot_run(
    tmp_path: Path, bootstrap: str, complaint: str
) -> None:
    with pytest.raises(StackConfigError, match=complaint):
        kafka_endpoint(_settings(tmp_path, kafka_bootstrap=bootstrap))


def test_controller_port_must_differ_from_broker_port(tmp_path: Path) -> None:
    with pytest.raises(StackConfigError, match="must differ"):
        controller_endpoint(_settings(tmp_path, kafka_controller_port=29092))


def test_redis_endpoint_and_conf(tmp_path: Path) -> None:
    settings = _settings(tmp_path, redis_url="redis://:s3cret@127.0.0.1:26380/2")
    endpoint = redis_endpoint(settings)
    assert (endpoint.host, endpoint.port, endpoint.password) == ("127.0.0.1", 26380, "s3cret")

    conf = render_redis_conf(settings, stack_paths(settings)).splitlines()
    assert "bind 127.0.0.1" in conf
    assert "port 26380" in conf
    assert f'dir "{(tmp_path / "state" / "redis").resolve()}"' in conf
    assert "appendonly yes" in conf
    assert 'requirepass "s3cret"' in conf


def test_redis_conf_without_password_sets_none(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    conf = render_redis_conf(settings, stack_paths(settings))
    assert "requirepass" not in conf


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("rediss://127.0.0.1:6380/0", "plain redis://"),
        ("redis://10.1.2.3:6379/0", "not loopback"),
        ("redis://127.0.0.1:99999/0", "out of range|outside"),
    ],
)
def test_redis_endpoint_rejects_unsupported_urls(tmp_path: Path, url: str, complaint: str) -> None:
    with pytest.raises(StackConfigError, match=complaint):
        redis_endpoint(_settings(tmp_path, redis_url=url))


def test_cluster_ids_look_like_kafka_uuids() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert set(cluster_id) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
