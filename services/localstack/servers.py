"""The two servers of the local stack: a single-node KRaft Kafka broker and Redis.

Each knows how to prepare its files, start itself in the background, and say whether it is
healthy. Lifecycle decisions (what to start, when to give up) belong to stack.py.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import redis

from services.localstack.config import (
    KAFKA_HEAP,
    Endpoint,
    StackPaths,
    controller_endpoint,
    is_secured,
    kafka_endpoint,
    new_cluster_id,
    redis_endpoint,
    render_log4j_properties,
    render_redis_conf,
    render_server_properties,
    tls_endpoint,
)
from services.localstack.pidfile import PidFile
from services.localstack.redis_security import ensure_credentials as ensure_redis_credentials
from services.localstack.redis_security import render_acl_lines
from services.localstack.security import (
    SUPERUSER,
    broker_properties,
    ensure_credentials,
    make_tls_files,
    storage_format_arguments,
)
from services.shared.kafka_admin import probe_kafka
from services.shared.redis_clients import RedisUser, credentials_path, login
from services.shared.settings import Settings

Say = Callable[[str], None]


class StackError(RuntimeError):
    """The stack could not be brought to the requested state; the message says why."""


def port_in_use(endpoint: Endpoint, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s):
            return True
    except OSError:
        return False


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def _rotate(log_path: Path) -> None:
    # One previous run is kept for post-mortems; older ones would only grow the state dir.
    if log_path.exists():
        log_path.replace(log_path.with_name(log_path.name + ".1"))


class Server:
    name: str
    workdir: Path
    log_path: Path
    pid_file: PidFile

    def address(self) -> str:
        raise NotImplementedError

    def ports(self) -> list[Endpoint]:
        raise NotImplementedError

    def programs_needed(self) -> list[str]:
        raise NotImplementedError

    def prepare(self, say: Say) -> None:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def probe(self) -> str | None:
        """None when healthy, otherwise the reason it is not."""
        raise NotImplementedError

    def data_paths(self) -> list[Path]:
        """What the server keeps (records, metadata), as opposed to its jars, settings and logs."""
        raise NotImplementedError

    def start(self) -> subprocess.Popen[bytes]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        _rotate(self.log_path)
        with self.log_path.open("wb") as log:
            # A new session: Ctrl-C in the terminal that ran `stack up` must not reach the servers.
            process = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write(process.pid)
        return process


class KafkaBroker(Server):
    name = "kafka"

    def __init__(self, settings: Settings, paths: StackPaths) -> None:
        self.settings = settings
        self.paths = paths
        self.broker = kafka_endpoint(settings)
        self.controller = controller_endpoint(settings)
        self.secured = is_secured(settings)
        self.tls = tls_endpoint(settings) if self.secured else None
        self.workdir = paths.kafka_dir
        self.log_path = paths.kafka_log
        self.pid_file = PidFile(paths.kafka_pid, paths.kafka_dir)

    def address(self) -> str:
        tls = f", TLS {self.tls.port}" if self.tls else ""
        return f"{self.broker} (controller {self.controller.port}{tls})"

    def ports(self) -> list[Endpoint]:
        return [self.broker, self.controller, *([self.tls] if self.tls else [])]

    def jars_ready(self) -> bool:
        return (self.paths.kafka_libs / ".complete").exists()

    def programs_needed(self) -> list[str]:
        needed = ["java"] if self.jars_ready() else ["java", "mvn"]
        return needed + (["openssl"] if self.secured else [])

    @property
    def properties(self) -> Path:
        return self.paths.server_properties

    @property
    def data_dir(self) -> Path:
        return self.paths.kafka_data

    def data_paths(self) -> list[Path]:
        return [self.data_dir]

    @property
    def secured_marker(self) -> Path:
        """Written at format time: a storage without it was formatted before the stack had
        security, so it knows no SCRAM user and nobody could log in."""
        return self.data_dir / "interdict-secured"

    def render_properties(self, security: dict[str, str] | None) -> str:
        return render_server_properties(self.settings, self.paths, security)

    def cluster_id(self) -> str:
        return new_cluster_id()

    def prepare(self, say: Say) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        formatted = (self.data_dir / "meta.properties").exists()
        if self.secured and formatted and not self.secured_marker.exists():
            raise StackError(
                f"{self.data_dir} was formatted before the stack had authentication: its broker "
                "knows no user. Delete it (`make clean`) and start again"
            )
        security = self._security() if self.secured else None
        self.properties.write_text(self.render_properties(security))
        self.paths.log4j_properties.write_text(render_log4j_properties())
        if not self.jars_ready():
            say(f"fetching Kafka {self.settings.kafka_version} jars from Maven Central (first run only)")
            fetch_kafka_jars(self.paths, self.settings.kafka_version)
        if not formatted:
            say(f"formatting KRaft storage of {self.name} in {self.data_dir}")
            self._format_storage()

    def _security(self) -> dict[str, str]:
        password = ensure_credentials(self.settings, [SUPERUSER])[SUPERUSER]
        if self.tls is not None:
            make_tls_files(self.paths.kafka_tls_dir, [self.broker.host, "localhost"])
        tls = str(self.tls) if self.tls else None
        return broker_properties(str(self.broker), tls, str(self.controller), self.paths.kafka_tls_dir, password)

    def _java(self, main_class: str, *arguments: str) -> list[str]:
        return [
            "java",
            KAFKA_HEAP,
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{self.paths.log4j_properties}",
            "-cp",
            f"{self.paths.kafka_libs}/*",
            main_class,
            *arguments,
        ]

    def _format_storage(self) -> None:
        scram = []
        if self.secured:  # the super user must be in the metadata before anybody can log in
            scram = storage_format_arguments(ensure_credentials(self.settings, [SUPERUSER])[SUPERUSER])
        command = self._java("kafka.tools.StorageTool", "format", "-t", self.cluster_id(), "-c", str(self.properties),
                             *scram)  # fmt: skip
        result = subprocess.run(command, cwd=self.workdir, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage of {self.name} failed:\n{result.stdout}{result.stderr}")
        if self.secured:
            self.secured_marker.write_text("formatted with the SCRAM super user\n")

    def command(self) -> list[str]:
        return self._java("kafka.Kafka", str(self.properties))

    def probe(self) -> str | None:
        # the super user exists from the start; the others only once `up` has provisioned them
        return probe_kafka(self.settings, timeout_ms=2000, principal=SUPERUSER)


def fetch_kafka_jars(paths: StackPaths, version: str) -> None:
    """Copy kafka_2.13:<version> and its runtime dependencies into paths.kafka_libs via Maven.

    Downloads go to a scratch directory renamed into place at the end, so an interrupted fetch
    never leaves a half-filled libs directory that looks complete.
    """
    paths.kafka_dist.mkdir(parents=True, exist_ok=True)
    pom = paths.kafka_dist / "pom.xml"
    pom.write_text(resources.files("services.localstack").joinpath("kafka-pom.xml").read_text())
    scratch = paths.kafka_dist / "libs.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    command = [
        "mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-DoutputDirectory={scratch}", "-DincludeScope=runtime", f"-Dkafka.version={version}",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=paths.kafka_dist, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise StackError(f"Maven could not fetch Kafka {version} (exit {result.returncode}):\n{tail}")
    if not (scratch / f"kafka_2.13-{version}.jar").exists():
        raise StackError(f"Maven finished but kafka_2.13-{version}.jar is not in {scratch}")
    (scratch / ".complete").write_text(f"kafka_2.13 {version}\n")
    shutil.rmtree(paths.kafka_libs, ignore_errors=True)
    scratch.rename(paths.kafka_libs)


class RedisServer(Server):
    name = "redis"

    def __init__(self, settings: Settings, paths: StackPaths) -> None:
        self.settings = settings
        self.paths = paths
        self.endpoint = redis_endpoint(settings)
        self.workdir = paths.redis_dir
        self.log_path = paths.redis_log
        self.pid_file = PidFile(paths.redis_pid, paths.redis_dir)

    def address(self) -> str:
        return str(self.endpoint)

    def ports(self) -> list[Endpoint]:
        return [self.endpoint]

    def programs_needed(self) -> list[str]:
        return ["redis-server"]

    def prepare(self, say: Say) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        credentials = ensure_redis_credentials(self.settings)
        acl = render_acl_lines(credentials, self.settings.redis_key_prefix)
        self.paths.redis_conf.write_text(render_redis_conf(self.settings, self.paths, acl))
        self.paths.redis_conf.chmod(0o600)
        say(f"redis: ACL users {', '.join(credentials.passwords)}; passwords in {credentials_path(self.settings)}")

    def command(self) -> list[str]:
        return ["redis-server", str(self.paths.redis_conf)]

    def data_paths(self) -> list[Path]:
        # its append-only files (redis.conf turns RDB snapshots off; one left from before is data too)
        return [self.paths.redis_dir / "appendonlydir", self.paths.redis_dir / "dump.rdb"]

    def probe(self) -> str | None:
        # As the stack's own user where the stack made its users, else as the URL says.
        found = login(self.settings, RedisUser.STACK)
        username, password = found if found else (None, self.endpoint.password)
        client = redis.Redis(
            host=self.endpoint.host,
            port=self.endpoint.port,
            username=username,
            password=password,
            socket_timeout=1,
            socket_connect_timeout=1,
        )
        try:
            client.ping()
        except redis.RedisError as error:
            return f"{type(error).__name__}: {error}"
        finally:
            client.close()
        return None


def servers(settings: Settings, paths: StackPaths) -> list[Server]:
    """In start order; stopped in reverse, so Kafka goes before the Redis it does not need."""
    return [RedisServer(settings, paths), KafkaBroker(settings, paths)]
