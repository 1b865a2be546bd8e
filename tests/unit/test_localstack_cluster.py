"""The local cluster's layout and files, and the refusal of ephemeral ports, checked without
starting anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.localstack import stack
from services.localstack.cluster import (
    ClusterNode,
    brokers_in_state,
    cluster_nodes,
    render_node_properties,
    stack_servers,
    topic_settings,
    with_brokers,
)
from services.localstack.config import StackConfigError, stack_paths
from services.localstack.ephemeral import DEFAULT_RANGE, ephemeral_range, refuse_ephemeral_ports
from services.localstack.ports import PORT_RANGE
from services.shared.kafka_admin import topic_configs
from services.shared.settings import Settings

THREE = "127.0.0.1:22092,127.0.0.1:22094,127.0.0.1:22096"


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap": THREE,
        "kafka_controller_port": 22093,
        "redis_url": "redis://127.0.0.1:22379/0",
        "state_dir": tmp_path / "state",
    }
    values.update(overrides)
    return Settings(**values)


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_three_brokers_each_with_its_controller_beside_it(tmp_path: Path) -> None:
    nodes = cluster_nodes(_settings(tmp_path))
    assert [(n.node_id, n.broker.port, n.controller.port) for n in nodes] == [
        (1, 22092, 22093),
        (2, 22094, 22095),
        (3, 22096, 22097),
    ]


def test_node_properties_replicate_everything_three_times_and_write_to_two(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    nodes = cluster_nodes(settings)
    props = _properties(render_node_properties(settings, nodes[1], nodes, tmp_path / "data"))
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:22093,2@127.0.0.1:22095,3@127.0.0.1:22097"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:22094,CONTROLLER://127.0.0.1:22095"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:22094"
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor"):  # fmt: skip
        assert props[key] == "3", key
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert props["auto.create.topics.enable"] == "false"


def test_each_node_has_its_own_directory_and_pid_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    servers = stack_servers(settings, stack_paths(settings))
    assert [server.name for server in servers] == ["redis", "kafka-1", "kafka-2", "kafka-3"]
    nodes = [server for server in servers if isinstance(server, ClusterNode)]
    assert len({node.workdir for node in nodes}) == 3
    assert all(node.pid_file.owner_dir == node.workdir for node in nodes)
    assert all(node.workdir.parent == stack_paths(settings).kafka_dir for node in nodes)


def test_one_broker_keeps_the_single_broker_stack(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_bootstrap="127.0.0.1:22092")
    assert [server.name for server in stack_servers(settings, stack_paths(settings))] == ["redis", "kafka"]


def test_brokers_option_extends_one_address_by_the_port_step(tmp_path: Path) -> None:
    one = _settings(tmp_path, kafka_bootstrap="127.0.0.1:22092")
    assert with_brokers(one, 3).kafka_bootstrap == THREE
    assert with_brokers(one, 1) is one
    with pytest.raises(StackConfigError, match="names 3 brokers, --brokers says 2"):
        with_brokers(_settings(tmp_path), 2)


def test_state_dir_remembers_how_many_nodes_it_holds(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    paths = stack_paths(settings)
    assert brokers_in_state(paths) == 0
    for node in (1, 2, 3):
        (paths.kafka_dir / f"node-{node}").mkdir(parents=True)
        (paths.kafka_dir / f"node-{node}" / "server.properties").write_text("")
    assert brokers_in_state(paths) == 3


def test_clashing_ports_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StackConfigError, match="clash"):
        cluster_nodes(_settings(tmp_path, kafka_controller_port=22094))


def test_topics_of_a_cluster_have_three_replicas_and_take_writes_from_two(tmp_path: Path) -> None:
    settings = topic_settings(_settings(tmp_path))
    assert settings.topic_replication == 3
    assert topic_configs(settings, "matches")["min.insync.replicas"] == "2"
    single = topic_settings(_settings(tmp_path, kafka_bootstrap="127.0.0.1:22092"))
    assert single.topic_replication == 1
    assert topic_configs(single, "matches")["min.insync.replicas"] == "1"
    with pytest.raises(StackConfigError, match="more replicas than"):
        topic_settings(_settings(tmp_path, kafka_bootstrap="127.0.0.1:22092", topic_replication=3))


def test_ephemeral_range_is_read_from_the_kernel(tmp_path: Path) -> None:
    range_file = tmp_path / "ip_local_port_range"
    range_file.write_text("40000\t50000\n")
    assert ephemeral_range(range_file) == (40000, 50000)
    assert ephemeral_range(tmp_path / "missing") == DEFAULT_RANGE


def test_ports_inside_the_ephemeral_range_are_refused_with_the_range_and_a_way_out() -> None:
    refuse_ephemeral_ports([("kafka", 19092), ("redis", 16379)], (32768, 60999))
    with pytest.raises(StackConfigError) as refused:
        refuse_ephemeral_ports([("kafka", 19092), ("kafka-2", 39092), ("redis", 60999)], (32768, 60999))
    message = str(refused.value)
    assert "kafka-2 port 39092" in message and "redis port 60999" in message and "19092" not in message
    assert "32768-60999" in message and "below 32768" in message


def test_stack_up_refuses_an_ephemeral_port_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack, "ephemeral_range", lambda: (32768, 60999))
    settings = _settings(tmp_path, kafka_bootstrap="127.0.0.1:45092", kafka_controller_port=45093)
    started: list[str] = []
    with pytest.raises(StackConfigError, match="45092"):
        stack.up(settings, timeout_s=1, say=started.append)
    assert started == []
    assert not (tmp_path / "state").exists()


def test_defaults_and_test_ports_are_below_linux_default_ephemeral_range() -> None:
    fields = Settings.model_fields
    defaults = [fields["kafka_controller_port"].default, 19092, 16379, PORT_RANGE[1]]
    assert "19092" in str(fields["kafka_bootstrap"].default) and "16379" in str(fields["redis_url"].default)
    assert max(defaults) < DEFAULT_RANGE[0]


def test_status_lists_each_broker_of_the_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from services.localstack.cli import stack_app
    from services.shared.settings import get_settings

    for name, value in {
        "STATE_DIR": str(tmp_path / "state"),
        "KAFKA_BOOTSTRAP": "127.0.0.1:22192",
        "KAFKA_CONTROLLER_PORT": "22193",
        "REDIS_URL": "redis://127.0.0.1:22479/0",
    }.items():
        monkeypatch.setenv(f"INTERDICT_{name}", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(stack_app, ["status", "--brokers", "3"], env={"COLUMNS": "200"})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    for node, (broker, controller) in enumerate([(22192, 22193), (22194, 22195), (22196, 22197)], start=1):
        assert f"kafka-{node}" in result.output and f"127.0.0.1:{broker} (controller {controller})" in result.output


def test_status_warns_of_a_port_in_the_ephemeral_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "ephemeral_range", lambda: (32768, 60999))
    assert stack.ephemeral_warning(_settings(tmp_path)) is None
    warning = stack.ephemeral_warning(_settings(tmp_path, redis_url="redis://127.0.0.1:45379/0"))
    assert warning is not None and "redis port 45379" in warning
