"""Load with known expected alerts, for the fault tests: the sample feed repeated with distinct
manifest ids (a few thousand manifests), published before the fault, and the check that every
expected alert reached its desk and no version of an alert reached it twice.

Recovery is measured from the broker's point of view (the consumer groups' committed offsets):
the pipeline moves again when every stage that still had work at the fault has committed more.
"""

from __future__ import annotations

import re
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from kafka import TopicPartition
from kafka.errors import KafkaError

from services.shared.kafka_clients import kafka_consumer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.outputs import output_topics
from services.shared.progress import wait_until_caught_up
from services.shared.settings import Settings
from tests.e2e.test_pipeline import (
    SAMPLE_FEED,
    assert_each_alert_once,
    expected_alerts,
    import_watchlist,
    publish,
)
from tests.support.pipeline import (
    Kill,
    Outputs,
    ProgressReader,
    Workers,
    input_progress,
    kill_when_committed,
    marks,
    read_outputs,
    wait_for,
)

SERVICES = ("ingest", "matcher", "notifier")
#: Copies of the sample feed: each is 14 messages (10 manifests), 20 expected deliveries.
COPIES = 500


@dataclass
class Load:
    settings: Settings
    expected: set[tuple[str, str, str]]
    start: dict[TopicPartition, int]
    timings: dict[str, float] = field(default_factory=dict)


def copies_of_sample(path: Path, copies: int, tag: str) -> list[str]:
    """The sample feed repeated with manifest ids made distinct by `tag` and a copy number (the
    invalid lines as they are, to be dead-lettered); returns the suffixes added."""
    lines = [line for line in SAMPLE_FEED.read_bytes().splitlines() if line.strip() and not line.startswith(b"#")]
    suffixes = [f"-{tag}{index:04d}" for index in range(copies)]
    with path.open("wb") as out:
        for suffix in suffixes:
            for line in lines:
                try:
                    document = orjson.loads(line)
                except orjson.JSONDecodeError:
                    out.write(line + b"\n")
                    continue
                document["manifest_id"] = str(document.get("manifest_id", "")) + suffix
                out.write(orjson.dumps(document) + b"\n")
    return suffixes


def publish_load(settings: Settings, watchlist: Path, work_dir: Path, copies: int = COPIES, tag: str = "f") -> Load:
    """Import the watchlist, publish the copies and return what must come out of them."""
    import_watchlist(settings, watchlist)
    feed = work_dir / f"feed-{tag}.jsonl"
    suffixes = copies_of_sample(feed, copies, tag)
    start = marks(settings)
    publish(settings, feed)
    return Load(settings, expected_alerts(suffixes), start)


def wait_until_desks_see_everything(settings: Settings, timeout_s: float = 120) -> None:
    """Wait until no open transaction hides records of the desk and dead-letter topics from their
    read-committed readers: each partition's last stable offset has reached its end. A transaction
    whose coordinator was on a SIGKILLed broker is completed or aborted by the coordinator that takes
    over, within the transaction timeout; until then the alerts written after it on the same
    partitions are hidden from the desks, not lost."""
    committed = kafka_consumer(settings, OPERATOR, enable_auto_commit=False, isolation_level="read_committed")
    written = kafka_consumer(settings, OPERATOR, enable_auto_commit=False, isolation_level="read_uncommitted")
    partitions = [tp for topic in output_topics(settings) for tp in required_partitions(committed, topic)]

    def hidden() -> list[TopicPartition] | None:
        try:
            stable, ends = committed.end_offsets(partitions), written.end_offsets(partitions)
        except KafkaError:
            return None  # a leader moving: ask again
        return [tp for tp in partitions if stable[tp] < ends[tp]]

    try:
        wait_for(lambda: (left := hidden()) is not None and not left, "every desk topic stable", timeout_s, 0.2)
    finally:
        committed.close()
        written.close()


def check_delivered(load: Load) -> Outputs:
    """Every expected alert arrived on its desk, nothing else did, and no version twice."""
    wait_until_desks_see_everything(load.settings)
    result = read_outputs(load.settings, load.start)
    arrived = set(result.alert_keys())
    missing = load.expected - arrived
    assert not missing, f"{len(missing)} expected alerts never arrived, e.g. {sorted(missing)[:3]}"
    assert arrived == load.expected, f"unexpected alerts, e.g. {sorted(arrived - load.expected)[:3]}"
    assert_each_alert_once(result)
    return result


def committed(settings: Settings) -> dict[str, tuple[int, int]] | None:
    """(committed, total) of each stage's input; None while the broker cannot say."""
    try:
        return {service: input_progress(settings, service) for service in SERVICES}
    except (KafkaError, OSError):
        return None


def kill_with_work_left(
    running: Workers, settings: Settings, watchlist: Path, work_dir: Path, service: str, attempts: int = 3
) -> tuple[Load, Kill]:
    """Stop `service`, publish a load it meets as a backlog, start it again and SIGKILL it once it
    has committed part of that load. A worker quick enough to finish the load before the kill lands
    has proved nothing: that load is let through, and another tried."""
    for attempt in range(attempts):
        running.stop(service)
        load = publish_load(settings, watchlist, work_dir, copies=300, tag=f"{service[0]}{attempt}")
        running.start(service)
        kill = kill_when_committed(running, settings, service)
        if kill.mid_stream:
            return load, kill
        running.start(service)
        wait_until_caught_up(settings, timeout_s=300)
    raise AssertionError(f"{service} finished each of {attempts} loads before it could be killed")


def under_way(settings: Settings, service: str = "matcher") -> None:
    """Wait until `service` has committed part of its input but not all: a fault now falls
    mid-stream."""
    with ProgressReader(settings) as progress:

        def mid_stream() -> bool:
            seen = progress.of(service)
            return seen is not None and 0 < seen[0] < seen[1]

        wait_for(mid_stream, f"{service} to be part way through its input", 180, poll_s=0.05)


def metrics_text(settings: Settings, service: str) -> str | None:
    """The Prometheus page of the service's worker, or None while nothing answers on its port."""
    port = getattr(settings, f"{service}_metrics_port")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return None


def stalled_services(settings: Settings) -> list[str]:
    """The stages whose metrics say a batch waits on Redis or Kafka (interdict_stage_stalled 1)."""
    stalled = re.compile(r"^interdict_stage_stalled\{[^}]*\} 1\.0$", re.MULTILINE)
    return [service for service in SERVICES if stalled.search(metrics_text(settings, service) or "")]


def records_committed_by_worker(settings: Settings, service: str) -> float:
    """Input records the worker now on the service's metrics port has committed since it started
    (interdict_messages_in_total counts them when their batch commits)."""
    counted = re.compile(r"^interdict_messages_in_total\{[^}]*\} (\S+)$", re.MULTILINE)
    return sum(float(value) for value in counted.findall(metrics_text(settings, service) or ""))


def wait_moving(
    settings: Settings, since: float, services: tuple[str, ...] = SERVICES, timeout_s: float = 300
) -> float:
    """Seconds from `since` (time.monotonic, the fault) until every stage among `services` that
    has work left now has committed more than now: call it after the fault, once the broker can
    answer. A stage that commits between the fault and this call makes the wait longer, never
    shorter, so the time is an upper bound."""
    before = wait_for(lambda: committed(settings), "the broker to say what each group has committed", timeout_s)

    def moved() -> bool:
        now = committed(settings)
        return now is not None and all(
            now[service][0] > before[service][0] for service in services if before[service][0] < before[service][1]
        )

    wait_for(moved, f"{', '.join(services)} to commit more", timeout_s, poll_s=0.1)
    return time.monotonic() - since
