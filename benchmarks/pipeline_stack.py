"""The pipeline benchmark's private corner of the running stack, and the workers it runs there.

Each run of the benchmark (the pass-through, one worker per service, two) gets a namespace of its
own on the shared broker and Redis: its own topic prefix, Redis key prefix, consumer groups, state
dir and ports, as the tests' `isolated_settings` fixture does. Nothing it does can touch the demo's
topics or another run's, and everything it made is removed at the end, on failure too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from benchmarks import passthrough
from services.localstack.config import is_secured
from services.localstack.ports import free_ports
from services.localstack.redis_security import grant_namespace as grant_redis_namespace
from services.localstack.security import grant_namespace as grant_kafka_namespace
from services.localstack.security import revoke_namespace as revoke_kafka_namespace
from services.localstack.workers import start_worker, stop_worker
from services.shared.kafka_admin import delete_topics, ensure_topics
from services.shared.kafka_clients import kafka_admin
from services.shared.kafka_security import OPERATOR
from services.shared.models.watchlist import WatchlistEntry
from services.shared.redis_clients import RedisUser, credentials_path, stack_credentials, sync_client
from services.shared.settings import PROJECT_ROOT, Settings
from services.shared.topics import all_topics, group_id
from services.watchlist.writer import WatchlistWriter

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime and stime, fields 14 and 15


@dataclass
class Worker:
    service: str
    process: subprocess.Popen[bytes]
    log_path: Path
    metrics_port: int | None = None


@dataclass
class Namespace:
    """Settings naming a private set of topics, keys and groups, and the workers running on them."""

    label: str
    settings: Settings
    workers: list[Worker] = field(default_factory=list)

    @classmethod
    def create(cls, base: Settings, root: Path, label: str, partitions: int) -> Namespace:
        run = f"bench-{uuid.uuid4().hex[:10]}"
        settings = base.model_copy(
            update={
                "topic_prefix": f"{run}.",
                "topic_partitions": partitions,
                "redis_key_prefix": run,
                "app_id_prefix": run,
                "state_dir": root / label,
                # the stack's Redis users stay where the stack wrote them, whatever the state dir
                "redis_credentials_file": credentials_path(base).resolve(),
            }
        )
        if stack_credentials(settings) is not None:  # a Redis with the stack's ACL users
            with closing(sync_client(settings, RedisUser.STACK)) as client:
                grant_redis_namespace(client, run)
        namespace = cls(label, settings)
        if is_secured(settings):  # the services' rights on this namespace, as on the stack's own
            grant_kafka_namespace(settings)
        ensure_topics(settings, [*all_topics(settings), *passthrough.topics(settings)])
        return namespace

    @property
    def log_dir(self) -> Path:
        return self.settings.state_dir / "logs"

    def import_watchlist(self, entries: Sequence[WatchlistEntry]) -> None:
        """The demo's list, as `interdict demo` imports it, into this namespace's Redis keys."""
        client = sync_client(self.settings, RedisUser.STACK)
        try:
            WatchlistWriter(client, self.settings.redis_key_prefix).import_list(
                "ofac-sdn", entries, owner_country="US", title="OFAC SDN", actor="bench-pipeline"
            )
        finally:
            client.close()

    # -- workers ------------------------------------------------------------------------------------

    def start(self, service: str, count: int) -> None:
        """`count` workers of a service (or of the pass-through), each with its own ports."""
        for number in range(count):
            web_port, metrics_port = free_ports(2)
            log_path = self.log_dir / f"{service}-{number}.log"
            ports = ["--web-port", str(web_port), "--metrics-port", str(metrics_port)]
            if service == passthrough.SERVICE:
                process = self._start_passthrough(ports, log_path)
            else:
                process = start_worker(service, self.settings, log_path, ports)
            self.workers.append(Worker(service, process, log_path, metrics_port))

    def _start_passthrough(self, ports: list[str], log_path: Path) -> subprocess.Popen[bytes]:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "benchmarks.passthrough", *ports],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # the pass-through is the benchmark's own, no service: it acts as the operator
                env={**os.environ, **self.settings.as_environment(), "INTERDICT_KAFKA_USERNAME": OPERATOR},
                cwd=PROJECT_ROOT,
                start_new_session=True,  # a Ctrl-C meant for the benchmark must not kill it mid-batch
            )

    def pids(self, service: str) -> list[int]:
        return [worker.process.pid for worker in self.workers if worker.service == service]

    def exited(self) -> list[Worker]:
        return [worker for worker in self.workers if worker.process.poll() is not None]

    def wait_until_assigned(self, counts: dict[str, int], timeout_s: float = 180.0) -> None:
        """Until each service's group is stable with all its workers holding partitions.

        A worker joins its group only once it is ready to consume (the matcher after loading the
        watchlists), so this is also "every worker is ready", and no rebalance is left to happen
        while the benchmark measures."""
        groups = {group_id(self.settings, service): count for service, count in counts.items()}
        deadline = time.monotonic() + timeout_s
        admin = kafka_admin(self.settings, OPERATOR)
        try:
            while not _groups_settled(admin, groups):
                self._fail_if_exited()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.label}: workers not all assigned after {timeout_s:.0f}s")
                time.sleep(0.2)
        finally:
            admin.close()

    def _fail_if_exited(self) -> None:
        for worker in self.exited():
            code = worker.process.returncode
            raise RuntimeError(f"{worker.service} worker exited with {code}; see {worker.log_path}")

    def stop_workers(self) -> None:
        for worker in self.workers:
            stop_worker(worker.process)

    # -- cleaning up --------------------------------------------------------------------------------

    def destroy(self) -> None:
        """Stop the workers, delete the topics and the Redis keys: leave the stack as it was."""
        self.stop_workers()
        delete_topics(self.settings, [*all_topics(self.settings), *passthrough.topics(self.settings)])
        if is_secured(self.settings):
            revoke_kafka_namespace(self.settings)
        client = sync_client(self.settings, RedisUser.STACK)
        try:
            keys = list(client.scan_iter(match=f"{self.settings.redis_key_prefix}:*", count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
        finally:
            client.close()


def _groups_settled(admin: KafkaAdminClient, groups: dict[str, int]) -> bool:
    described = admin.describe_groups(list(groups))
    for group, count in groups.items():
        info = described.get(group) or {}
        members = info.get("members") or []
        if info.get("group_state") != "Stable" or len(members) != count:
            return False
        if not all(_assigned_partitions(member) for member in members):
            return False
    return True


def _assigned_partitions(member: dict[str, object]) -> int:
    assignment = member.get("member_assignment")
    if not isinstance(assignment, dict):
        return 0
    return sum(len(topic.get("partitions", ())) for topic in assignment.get("assigned_partitions", ()))


@dataclass
class BatchTotals:
    """A service's batch counters (its workers' Prometheus metrics, summed) at one moment."""

    batches: float = 0.0
    records: float = 0.0
    seconds: float = 0.0
    #: cumulative batch counts by `le` bound of interdict_processing_seconds
    seconds_buckets: dict[float, float] = field(default_factory=dict)

    def minus(self, earlier: BatchTotals) -> BatchTotals:
        before = earlier.seconds_buckets
        buckets = {bound: count - before.get(bound, 0.0) for bound, count in self.seconds_buckets.items()}
        return BatchTotals(
            self.batches - earlier.batches, self.records - earlier.records, self.seconds - earlier.seconds, buckets
        )

    def seconds_quantile(self, share: float) -> float | None:
        """The histogram bound under which `share` of the batches took their time."""
        for bound, count in sorted(self.seconds_buckets.items()):
            if self.batches and count >= share * self.batches:
                return bound
        return None


def batch_totals(workers: Sequence[Worker], service: str) -> BatchTotals:
    """Sum of the batch metrics of a service's workers (the stage counts them as it commits)."""
    totals = BatchTotals()
    for worker in workers:
        if worker.service == service and worker.metrics_port is not None:
            _add_scrape(totals, _scrape(worker.metrics_port))
    return totals


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


def _add_scrape(totals: BatchTotals, text: str) -> None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "interdict_batch_records_count":
                totals.batches += sample.value
            elif sample.name == "interdict_batch_records_sum":
                totals.records += sample.value
            elif sample.name == "interdict_processing_seconds_sum":
                totals.seconds += sample.value
            elif sample.name == "interdict_processing_seconds_bucket":
                bound = float(sample.labels["le"])
                totals.seconds_buckets[bound] = totals.seconds_buckets.get(bound, 0.0) + sample.value


def log_sizes(workers: Sequence[Worker]) -> dict[Path, int]:
    """How far each worker's log has got: what follows was written while the benchmark measured."""
    return {worker.log_path: worker.log_path.stat().st_size if worker.log_path.exists() else 0 for worker in workers}


def scan_logs(workers: Sequence[Worker], measured_from: dict[Path, int], limit: int = 6) -> tuple[int, list[str]]:
    """Lines of the workers' logs that report a problem: how many, and the first few distinct ones.

    Warnings while the workers start are left out (a group's first rebalance logs "Heartbeat failed
    ... because it is rebalancing"); errors count wherever they are."""
    problems: list[str] = []
    for worker in workers:
        try:
            text = worker.log_path.read_bytes().decode(errors="replace")
        except OSError:
            continue
        boundary = measured_from.get(worker.log_path, 0)
        start_up, measured = text[:boundary].splitlines(), text[boundary:].splitlines()
        problems += [f"{worker.log_path.name}: {line.strip()}" for line in start_up if _is_error(line)]
        problems += [f"{worker.log_path.name}: {line.strip()}" for line in measured if _is_problem(line)]
    distinct = list(dict.fromkeys(problems))
    return len(problems), distinct[:limit]


def _is_error(line: str) -> bool:
    return any(word in line for word in ("ERROR", "CRITICAL", "Traceback"))


def _is_problem(line: str) -> bool:
    return _is_error(line) or "WARNING" in line
