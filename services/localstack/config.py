"""Where the local stack lives on disk and what its configuration files say.

Everything here is pure (settings in, paths and text out) so it can be checked without starting
anything. All files sit under settings.state_dir, which `make clean` removes.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from services.shared.settings import Settings

#: The stack only ever binds loopback: it is a developer and CI convenience, not a deployment.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

KAFKA_HEAP = "-Xmx512m"


class StackConfigError(ValueError):
    """The settings describe something the local stack cannot run."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class RedisEndpoint(Endpoint):
    password: str | None = None


def _checked_port(text: str, what: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise StackConfigError(f"{what}: port {text!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise StackConfigError(f"{what}: port {port} is outside 1-65535")
    return port


def _checked_host(host: str, what: str) -> str:
    if host not in LOOPBACK_HOSTS:
        raise StackConfigError(
            f"{what}: host {host!r} is not loopback; the local stack only runs on "
            f"{', '.join(sorted(LOOPBACK_HOSTS))} (point the settings at your own servers instead)"
        )
    return host


def broker_endpoints(settings: Settings) -> list[Endpoint]:
    """Every broker address in settings.kafka_bootstrap ('host:port,...'), in order."""
    what = f"INTERDICT_KAFKA_BOOTSTRAP={settings.kafka_bootstrap!r}"
    endpoints = []
    for server in (s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()):
        host, sep, port = server.rpartition(":")
        if not sep or not host:
            raise StackConfigError(f"{what}: expected host:port")
        host = host.removeprefix("[").removesuffix("]")
        endpoints.append(Endpoint(_checked_host(host, what), _checked_port(port, what)))
    if not endpoints:
        raise StackConfigError(f"{what}: no broker address")
    return endpoints


def kafka_endpoint(settings: Settings) -> Endpoint:
    """The single broker address in settings.kafka_bootstrap ('host:port')."""
    endpoints = broker_endpoints(settings)
    if len(endpoints) != 1:
        raise StackConfigError(
            f"INTERDICT_KAFKA_BOOTSTRAP={settings.kafka_bootstrap!r}: one broker expected here "
            "(a local cluster of several is services/localstack/cluster.py's)"
        )
    return endpoints[0]


def controller_endpoint(settings: Settings) -> Endpoint:
    broker = kafka_endpoint(settings)
    what = f"INTERDICT_KAFKA_CONTROLLER_PORT={settings.kafka_controller_port}"
    port = _checked_port(str(settings.kafka_controller_port), what)
    if port == broker.port:
        raise StackConfigError(f"{what}: must differ from the broker port {broker.port}")
    return Endpoint(broker.host, port)


def tls_endpoint(settings: Settings) -> Endpoint:
    """The broker's SASL_SSL listener, beside its SASL_PLAINTEXT one (INTERDICT_KAFKA_TLS_PORT)."""
    broker = kafka_endpoint(settings)
    what = f"INTERDICT_KAFKA_TLS_PORT={settings.kafka_tls_port}"
    port = _checked_port(str(settings.kafka_tls_port), what)
    if port in (broker.port, settings.kafka_controller_port):
        raise StackConfigError(f"{what}: must differ from the broker and controller ports")
    return Endpoint(broker.host, port)


def is_secured(settings: Settings) -> bool:
    """The stack authenticates and authorises unless the settings ask for an anonymous broker."""
    return settings.kafka_security_protocol != "PLAINTEXT"


def redis_endpoint(settings: Settings) -> RedisEndpoint:
    what = f"INTERDICT_REDIS_URL={settings.redis_url!r}"
    parts = urlsplit(settings.redis_url)
    if parts.scheme != "redis":
        raise StackConfigError(f"{what}: the local stack serves plain redis:// URLs only")
    if parts.username and parts.username not in ("default", "stack"):
        raise StackConfigError(f"{what}: the local stack's own users are default and stack")
    if not parts.hostname:
        raise StackConfigError(f"{what}: no host")
    try:
        port = parts.port or 6379  # redis:// URLs default to Redis's standard port
    except ValueError as error:
        raise StackConfigError(f"{what}: {error}") from None
    # requirepass is the default user's password; the stack's own user has its own (redis_security)
    default_user = parts.username in (None, "", "default")
    password = unquote(parts.password) if parts.password and default_user else None
    return RedisEndpoint(_checked_host(parts.hostname, what), _checked_port(str(port), what), password)


@dataclass(frozen=True)
class StackPaths:
    """The state directory's layout. Each server runs with its own directory as working directory,
    which is also how a pid file is matched to the process we started (see pidfile.py)."""

    state_dir: Path
    kafka_version: str

    @property
    def kafka_dir(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def kafka_dist(self) -> Path:
        # Jars are kept per version so changing settings.kafka_version never mixes jars.
        return self.kafka_dir / "dist" / self.kafka_version

    @property
    def kafka_libs(self) -> Path:
        return self.kafka_dist / "libs"

    @property
    def kafka_data(self) -> Path:
        return self.kafka_dir / "data"

    @property
    def server_properties(self) -> Path:
        return self.kafka_dir / "server.properties"

    @property
    def log4j_properties(self) -> Path:
        return self.kafka_dir / "log4j.properties"

    @property
    def kafka_tls_dir(self) -> Path:
        return self.kafka_dir / "tls"

    @property
    def kafka_ca(self) -> Path:
        """The CA clients trust to reach the TLS listener (INTERDICT_KAFKA_SSL_CAFILE)."""
        return self.kafka_tls_dir / "ca.pem"

    @property
    def kafka_log(self) -> Path:
        return self.kafka_dir / "broker.log"

    @property
    def kafka_pid(self) -> Path:
        return self.kafka_dir / "kafka.pid"

    @property
    def redis_dir(self) -> Path:
        return self.state_dir / "redis"

    @property
    def redis_conf(self) -> Path:
        return self.redis_dir / "redis.conf"

    @property
    def redis_log(self) -> Path:
        return self.redis_dir / "redis.log"

    @property
    def redis_pid(self) -> Path:
        return self.redis_dir / "redis.pid"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "stack.lock"


def stack_paths(settings: Settings) -> StackPaths:
    return StackPaths(Path(settings.state_dir).resolve(), settings.kafka_version)


def render_server_properties(settings: Settings, paths: StackPaths, security: dict[str, str] | None = None) -> str:
    """A single-node KRaft broker+controller on loopback, topics created only on request.

    `security` (services/localstack/security.py) replaces the listeners with authenticated ones."""
    broker = kafka_endpoint(settings)
    controller = controller_endpoint(settings)
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{controller}",
        "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{broker}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(paths.kafka_data),
        "num.partitions": str(settings.topic_partitions),
        "default.replication.factor": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        # Consumers in tests join one at a time; the default 3 s delay would slow every test.
        "group.initial.rebalance.delay.ms": "0",
        # A typo in a topic name must fail, not create a stray one-partition topic.
        "auto.create.topics.enable": "false",
    }
    lines |= security or {}
    header = "# Written by `interdict stack up` from settings; edits are overwritten.\n"
    return header + "".join(f"{key}={value}\n" for key, value in lines.items())


def render_log4j_properties() -> str:
    # Console only: the broker's stdout/stderr go to broker.log, so JVM crashes land there too.
    return (
        "log4j.rootLogger=INFO, stdout\n"
        "log4j.logger.kafka=INFO\n"
        "log4j.logger.org.apache.kafka=INFO\n"
        "log4j.logger.state.change.logger=WARN\n"
        "log4j.logger.kafka.request.logger=WARN\n"
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
    )


def render_redis_conf(settings: Settings, paths: StackPaths, acl_lines: Sequence[str] = ()) -> str:
    """Redis on loopback, persisted as an append-only file in the state dir, with its ACL users
    (redis_security.render_acl_lines).

    Kafka's log survives `stack down`/`up`, so the watchlists in Redis should too: otherwise a
    restarted stack would replay manifests against empty watchlists. `make clean` wipes both.
    """
    endpoint = redis_endpoint(settings)
    lines = [
        "# Written by `interdict stack up` from settings; edits are overwritten.",
        f"bind {endpoint.host}",
        f"port {endpoint.port}",
        "protected-mode yes",
        "daemonize no",
        f'dir "{paths.redis_dir}"',
        'logfile ""',
        'save ""',
        "appendonly yes",
        "appendfsync everysec",
    ]
    if endpoint.password:
        lines.append(f'requirepass "{endpoint.password}"')
    lines.extend(acl_lines)
    return "\n".join(lines) + "\n"


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, like Kafka's Uuid.

    Kafka refuses ids starting with '-' (they read as command-line flags), so draw again.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
