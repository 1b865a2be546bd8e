"""`make run`: the whole system end to end on the local stack, then a per-desk summary.

Steps: topics ensured, OFAC SDN imported into Redis, one worker of each service started, the sample
feed published, and once every service has caught up, the alerts each desk received and the
dead-lettered messages are printed; the workers are stopped on the way out, on failure too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import redis
from kafka import KafkaConsumer, TopicPartition
from rich.console import Console
from rich.table import Table

from services.feed.publish import publish_file
from services.shared import topics
from services.shared.dead_letter import decode_headers
from services.shared.kafka_admin import ensure_topics
from services.shared.models import Alert
from services.shared.progress import end_offsets, group_lag
from services.shared.settings import PARTNER_COUNTRIES, PROJECT_ROOT, Settings
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from services.watchlist.store import WatchlistStore

SAMPLE_FEED = PROJECT_ROOT / "feeds" / "sample-manifests.jsonl"
OFAC_DIR = PROJECT_ROOT.parent / "shared" / "data" / "ofac-sdn"
SERVICES = ("ingest", "matcher", "notifier")
CATCH_UP_TIMEOUT_S = 120.0

console = Console()


@dataclass(frozen=True)
class DeadLetter:
    key: str
    reason: str
    message: str


@dataclass
class RunResult:
    alerts: dict[str, list[Alert]]
    dead_letters: list[DeadLetter]


def run_demo(settings: Settings, feed: Path = SAMPLE_FEED, ofac_dir: Path = OFAC_DIR) -> int:
    console.rule("[bold]Interdiction alerting demo")
    created = ensure_topics(settings)
    console.print(f"topics ready ({len(created)} created)")
    client = redis.Redis.from_url(settings.redis_url)
    report = WatchlistStore(client, settings).import_list(
        "ofac-sdn", parse_ofac_sdn(ofac_dir), owner_country="US", title="OFAC SDN", actor="demo"
    )
    console.print(
        f"OFAC SDN from {ofac_dir}: version {report.version}, {len(report.added)} added, "
        f"{len(report.changed)} changed, {len(report.removed)} removed, {len(report.unchanged)} unchanged"
    )
    forget_deliveries(client, settings)
    with ExitStack() as stack:
        for service in SERVICES:
            stack.enter_context(running_service(service, settings))
        result = publish_and_collect(settings, feed)
    print_summary(result)
    return 0


def forget_deliveries(client: redis.Redis, settings: Settings) -> None:
    """The notifier sends each alert to a desk once; the demo re-sends the same manifests, so it
    forgets past deliveries to show the alerts again. Never do this on a real deployment."""
    for key in client.scan_iter(match=f"{settings.redis_key_prefix}:delivered:*", count=1000):
        client.delete(key)


@contextmanager
def running_service(service: str, settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    log_path = settings.state_dir / "logs" / f"{service}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services", service, "--loglevel", "WARNING"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **settings.as_environment()},
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )
        console.print(f"started {service} (pid {process.pid}, log {log_path})")
        try:
            yield process
        finally:
            stop_process(process)
            console.print(f"stopped {service}")


def stop_process(process: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def publish_and_collect(settings: Settings, feed: Path) -> RunResult:
    watched = [topics.desk_topic(settings, desk) for desk in PARTNER_COUNTRIES]
    watched.append(topics.qualified(settings, topics.MANIFESTS_DLQ))
    wait_for_pipeline(settings)  # a backlog from an earlier, interrupted run is not this run's output
    start = {partition: offset for topic in watched for partition, offset in end_offsets(settings, topic).items()}
    count = publish_file(feed, settings)
    console.print(f"published {count} messages from {feed.name}; waiting for the services to catch up")
    wait_for_pipeline(settings)
    return read_since(settings, start)


def wait_for_pipeline(settings: Settings, timeout_s: float = CATCH_UP_TIMEOUT_S) -> None:
    """Done when every service has committed everything on its input topic."""
    stages = [
        (f"{settings.app_id_prefix}-ingest", topics.qualified(settings, topics.MANIFESTS_RAW)),
        (f"{settings.app_id_prefix}-matcher", topics.qualified(settings, topics.MANIFESTS_VALID)),
        (f"{settings.app_id_prefix}-notifier", topics.qualified(settings, topics.MATCHES)),
    ]
    deadline = time.monotonic() + timeout_s
    for group, topic in stages:
        while (lag := group_lag(settings, group, topic)) != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{group} still has {lag} records of {topic} to process after {timeout_s:.0f}s")
            time.sleep(0.5)


def read_since(settings: Settings, start: dict[TopicPartition, int]) -> RunResult:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    alerts: dict[str, list[Alert]] = defaultdict(list)
    dead_letters: list[DeadLetter] = []
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        end = consumer.end_offsets(list(start))
        while any(consumer.position(partition) < end[partition] for partition in start):
            for partition, records in consumer.poll(timeout_ms=1000).items():
                for record in records:
                    if partition.topic.endswith(topics.MANIFESTS_DLQ):
                        dead_letters.append(_dead_letter(record.key, record.headers))
                    else:
                        alert = Alert.model_validate_json(record.value)
                        alerts[alert.desk_country].append(alert)
    finally:
        consumer.close()
    return RunResult(dict(alerts), dead_letters)


def _dead_letter(key: bytes | None, headers: list[tuple[str, bytes]]) -> DeadLetter:
    decoded = decode_headers(headers)
    return DeadLetter(
        key=(key or b"<no key>").decode("utf-8", "replace"),
        reason=decoded.get("interdict.errors.reason", "?"),
        message=decoded.get("__connect.errors.exception.message", ""),
    )


def print_summary(result: RunResult) -> None:
    table = Table(title="Alerts by desk", show_lines=True)
    for column in ("desk", "alerts", "severity", "manifest", "matched entry", "score"):
        table.add_column(column)
    for desk in PARTNER_COUNTRIES:
        received = sorted(result.alerts.get(desk, []), key=lambda alert: (alert.manifest.manifest_id, alert.entry.entry_id))
        if not received:
            table.add_row(desk, "0", "", "", "", "")
        for index, alert in enumerate(received):
            table.add_row(
                desk if index == 0 else "",
                str(len(received)) if index == 0 else "",
                alert.severity.value,
                alert.manifest.manifest_id,
                f"{alert.entry.primary_name} ({alert.entry.entry_id})",
                f"{alert.score:.2f}",
            )
    console.print(table)
    dead = Table(title=f"Dead-lettered messages: {len(result.dead_letters)}")
    for column in ("key", "reason", "why"):
        dead.add_column(column)
    for letter in result.dead_letters:
        dead.add_row(letter.key, letter.reason, letter.message)
    console.print(dead)
    total = sum(len(alerts) for alerts in result.alerts.values())
    console.print(f"[bold]{total} alerts on {len(result.alerts)} desks, {len(result.dead_letters)} dead-lettered messages")
