"""deploy/docker-compose.yml describes a Kafka cluster that survives a broker: three KRaft nodes
that all vote, every topic (ours and Kafka's own) on three replicas taking writes while two have
them, clients told of all three brokers, and no published port in the kernel's ephemeral range."""

from __future__ import annotations

import re
from typing import Any

import yaml

from services.localstack.ephemeral import DEFAULT_RANGE
from services.shared.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "deploy" / "docker-compose.yml"


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def kafka_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in document["services"].items() if name.startswith("kafka-")}


def test_three_kafka_nodes_all_voting() -> None:
    nodes = kafka_services(compose())
    assert sorted(nodes) == ["kafka-1", "kafka-2", "kafka-3"]
    ids = {str(node["environment"]["KAFKA_NODE_ID"]) for node in nodes.values()}
    assert ids == {"1", "2", "3"}
    for name, node in nodes.items():
        environment = node["environment"]
        voters = environment["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert sorted(voter.split("@")[0] for voter in voters) == ["1", "2", "3"], name
        assert "controller" in environment["KAFKA_PROCESS_ROLES"], name
        assert f"kafka-{environment['KAFKA_NODE_ID']}-data" in " ".join(node["volumes"]), "a disk of its own"


def test_every_topic_three_replicas_writes_need_two() -> None:
    for name, node in kafka_services(compose()).items():
        environment = {key: str(value) for key, value in node["environment"].items()}
        for key in ("KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):  # fmt: skip
            assert environment[key] == "3", f"{name}: {key}"
        assert environment["KAFKA_MIN_INSYNC_REPLICAS"] == "2", name
        assert environment["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2", name
        assert environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", name


def test_services_create_topics_with_three_replicas_and_know_every_broker() -> None:
    document = compose()
    nodes = kafka_services(document)
    for name, service in document["services"].items():
        environment = service.get("environment") or {}
        if "INTERDICT_KAFKA_BOOTSTRAP" not in environment:
            continue
        assert str(environment["INTERDICT_TOPIC_REPLICATION"]) == "3", name
        hosts = {address.split(":")[0] for address in environment["INTERDICT_KAFKA_BOOTSTRAP"].split(",")}
        assert hosts == set(nodes), f"{name} must be able to bootstrap from any broker"


def test_published_ports_are_below_the_ephemeral_range() -> None:
    for name, service in compose()["services"].items():
        for mapping in service.get("ports", []):
            host_port = int(re.split(r":", str(mapping))[-2])
            assert host_port < DEFAULT_RANGE[0], f"{name} publishes {host_port}, inside the ephemeral range"
