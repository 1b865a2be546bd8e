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
BROKER_TEMPLATE = PROJECT_ROOT / "deploy" / "kafka" / "server.properties"


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def broker_properties() -> dict[str, str]:
    """The brokers' shared configuration (start.sh fills in each node's ${...} from its environment)."""
    lines = (line.strip() for line in BROKER_TEMPLATE.read_text().splitlines())
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def kafka_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in document["services"].items() if re.fullmatch(r"kafka-\d+", name)}


def test_three_kafka_nodes_all_voting() -> None:
    nodes = kafka_services(compose())
    assert sorted(nodes) == ["kafka-1", "kafka-2", "kafka-3"]
    ids = {str(node["environment"]["NODE_ID"]) for node in nodes.values()}
    assert ids == {"1", "2", "3"}
    properties = broker_properties()
    voters = properties["controller.quorum.voters"].split(",")
    hosts_by_id = {str(node["environment"]["NODE_ID"]): node["environment"]["HOST"] for node in nodes.values()}
    assert {voter.split("@")[0]: voter.split("@")[1].split(":")[0] for voter in voters} == hosts_by_id
    assert "controller" in properties["process.roles"]
    for name, node in nodes.items():
        assert node["environment"]["HOST"] == name, "the name the other nodes reach it by"
        assert f"{name}-data" in " ".join(node["volumes"]), "a disk of its own"


def test_every_topic_three_replicas_writes_need_two() -> None:
    properties = broker_properties()
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor"):  # fmt: skip
        assert properties[key] == "3", key
    assert properties["min.insync.replicas"] == "2"
    assert properties["transaction.state.log.min.isr"] == "2"
    assert properties["auto.create.topics.enable"] == "false"


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
