"""A local Kafka cluster of several KRaft nodes on loopback, for tests of what survives a broker.

Each node is broker and controller at once (all of them vote, so the quorum survives one node
down) and runs from its own directory under the state dir (`kafka/node-<id>`: its data,
server.properties, log and pid file), sharing the jars of the single-broker stack. Node i listens
on the i-th address of INTERDICT_KAFKA_BOOTSTRAP and has its controller on
INTERDICT_KAFKA_CONTROLLER_PORT + 2·i (beside its broker in the default layout: 19092/19093,
19094/19095, 19096/19097). `interdict stack up --brokers 3` fills in the bootstrap list from the
first address the same way (port + 2·i) when the settings name one broker only.

Topics are created with three replicas on three brokers or more, and every topic takes writes
only while two of them have it (min.insync.replicas=2, see kafka_admin.topic_configs), so one
broker may die without losing an acknowledged record or stopping the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kafka.errors import KafkaError

from services.localstack.config import (
    Endpoint,
    StackConfigError,
    StackPaths,
    broker_endpoints,
    is_secured,
    new_cluster_id,
)
from services.localstack.pidfile import PidFile
from services.localstack.security import SUPERUSER
from services.localstack.servers import KafkaBroker, RedisServer, Server, servers
from services.shared.kafka_admin import admin_client
from services.shared.settings import Settings

#: Replicas of every topic, and of Kafka's own, on a cluster of at least this many brokers.
CLUSTER_REPLICATION = 3
#: Ports of node i are the first node's + PORT_STEP·i: a broker and its controller side by side.
PORT_STEP = 2


@dataclass(frozen=True)
class Node:
    node_id: int  # from 1, as Kafka's node.id
    broker: Endpoint
    controller: Endpoint


def cluster_nodes(settings: Settings) -> list[Node]:
    """One node per address of INTERDICT_KAFKA_BOOTSTRAP; refuses a port used twice."""
    brokers = broker_endpoints(settings)
    nodes = [
        Node(index + 1, broker, Endpoint(broker.host, settings.kafka_controller_port + PORT_STEP * index))
        for index, broker in enumerate(brokers)
    ]
    ports = [port for node in nodes for port in (node.broker.port, node.controller.port)]
    clashing = sorted({port for port in ports if ports.count(port) > 1})
    if clashing or max(ports) > 65535:
        raise StackConfigError(
            f"INTERDICT_KAFKA_BOOTSTRAP={settings.kafka_bootstrap!r} with controllers from "
            f"INTERDICT_KAFKA_CONTROLLER_PORT={settings.kafka_controller_port} (+{PORT_STEP} per node): "
            f"ports {clashing or [max(ports)]} clash or are out of range; choose other ports"
        )
    return nodes


def with_brokers(settings: Settings, count: int) -> Settings:
    """The settings of a stack of `count` brokers: the bootstrap list names every one of them.

    A bootstrap naming one broker is extended from its port (+2 per node); one naming another
    number than `count` is refused, since clients would then be told of brokers that do not exist.
    """
    brokers = broker_endpoints(settings)
    if count < 1:
        raise StackConfigError(f"--brokers {count}: at least one broker")
    if len(brokers) == count:
        return settings
    if len(brokers) != 1:
        raise StackConfigError(
            f"INTERDICT_KAFKA_BOOTSTRAP={settings.kafka_bootstrap!r} names {len(brokers)} brokers, "
            f"--brokers says {count}: name all {count} or one (the others then follow its port)"
        )
    first = brokers[0]
    listed = [Endpoint(first.host, first.port + PORT_STEP * index) for index in range(count)]
    return settings.model_copy(update={"kafka_bootstrap": ",".join(str(endpoint) for endpoint in listed)})


def brokers_in_state(paths: StackPaths) -> int:
    """How many cluster nodes the state dir has been set up for (0: a single-broker stack)."""
    return len(list(paths.kafka_dir.glob("node-*/server.properties")))


def topic_settings(settings: Settings) -> Settings:
    """The settings the stack creates its topics with: three replicas on a cluster of three or
    more brokers, whatever INTERDICT_TOPIC_REPLICATION says (its default, 1, is for one broker)."""
    brokers = len(broker_endpoints(settings))
    replication = max(settings.topic_replication, min(brokers, CLUSTER_REPLICATION))
    if replication > brokers:
        raise StackConfigError(
            f"INTERDICT_TOPIC_REPLICATION={settings.topic_replication}: more replicas than the "
            f"{brokers} broker(s) of the stack"
        )
    return settings.model_copy(update={"topic_replication": replication})


def render_node_properties(settings: Settings, node: Node, nodes: list[Node], data_dir: Path) -> str:
    """One combined broker+controller node of the cluster, Kafka's own topics replicated like ours."""
    replication = min(len(nodes), CLUSTER_REPLICATION)
    min_insync = max(1, replication - 1)
    lines = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": ",".join(f"{n.node_id}@{n.controller}" for n in nodes),
        "listeners": f"PLAINTEXT://{node.broker},CONTROLLER://{node.controller}",
        "advertised.listeners": f"PLAINTEXT://{node.broker}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": str(settings.topic_partitions),
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_insync),
        "offsets.topic.replication.factor": str(replication),
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_insync),
        # Consumers in tests join one at a time; the default 3 s delay would slow every test.
        "group.initial.rebalance.delay.ms": "0",
        # A typo in a topic name must fail, not create a stray topic.
        "auto.create.topics.enable": "false",
        # A node back from a crash takes its leaderships back, so the load spreads again.
        "auto.leader.rebalance.enable": "true",
    }
    header = "# Written by `interdict stack up --brokers N` from settings; edits are overwritten.\n"
    return header + "".join(f"{key}={value}\n" for key, value in lines.items())


class ClusterNode(KafkaBroker):
    """One node of the local cluster: a KafkaBroker with its own directory, id and quorum, and no
    TLS listener (the single broker's TLS port lies among the nodes' ports; TLS is the single
    broker's and deploy/'s)."""

    def __init__(self, settings: Settings, paths: StackPaths, node: Node, nodes: list[Node]) -> None:
        self.settings = settings
        self.paths = paths
        self.node = node
        self.nodes = nodes
        self.name = f"kafka-{node.node_id}"
        self.workdir = paths.kafka_dir / f"node-{node.node_id}"
        self.log_path = self.workdir / "broker.log"
        self.pid_file = PidFile(self.workdir / "kafka.pid", self.workdir)
        self.broker = node.broker
        self.controller = node.controller
        self.secured = is_secured(settings)
        self.tls = None

    @property
    def properties(self) -> Path:
        return self.workdir / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def cluster_id_file(self) -> Path:
        # Every node must be formatted with the same cluster id, or they refuse each other.
        return self.paths.kafka_dir / "cluster.id"

    def render_properties(self, security: dict[str, str] | None) -> str:
        return render_node_properties(self.settings, self.node, self.nodes, self.data_dir) + "".join(
            f"{key}={value}\n" for key, value in (security or {}).items()
        )

    def cluster_id(self) -> str:
        if not self.cluster_id_file.exists():
            self.cluster_id_file.parent.mkdir(parents=True, exist_ok=True)
            self.cluster_id_file.write_text(new_cluster_id() + "\n")
        return self.cluster_id_file.read_text().strip()

    def probe(self) -> str | None:
        """None once this node answers and the cluster counts it among its live brokers."""
        alone = self.settings.model_copy(update={"kafka_bootstrap": str(self.broker)})
        try:  # as the super user: the other principals exist only once `up` has provisioned them
            with admin_client(alone, timeout_ms=2000, principal=SUPERUSER) as admin:
                cluster = admin.describe_cluster()
        except (KafkaError, OSError) as error:
            return str(error) or type(error).__name__
        if cluster.get("cluster_id") != self.cluster_id():
            # e.g. the single-broker stack on the first node's port: not a node of this cluster
            return f"another Kafka cluster ({cluster.get('cluster_id')}) answers on {self.broker}"
        # DescribeCluster lists fenced brokers too (kafka-python asks for them): not yet serving.
        live = {broker["broker_id"] for broker in cluster.get("brokers", []) if not broker.get("is_fenced")}
        return None if self.node.node_id in live else f"node {self.node.node_id} not yet among the live brokers"


def stack_servers(settings: Settings, paths: StackPaths) -> list[Server]:
    """The stack's servers in start order: Redis, then one broker or every node of the cluster."""
    if len(broker_endpoints(settings)) == 1:
        return servers(settings, paths)
    nodes = cluster_nodes(settings)
    return [RedisServer(settings, paths), *(ClusterNode(settings, paths, node, nodes) for node in nodes)]
