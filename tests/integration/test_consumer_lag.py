"""Consumer lag read from the real broker: by LagReader directly, and as the gauge a running
worker exports on its metrics port, both while it is stuck and once it has caught up."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client.parser import text_string_to_metric_families

from services.feed.publish import publish_file
from services.shared import topics
from services.shared.kafka_clients import kafka_consumer, kafka_producer
from services.shared.kafka_security import OPERATOR
from services.shared.lag import LagReader, total
from services.shared.settings import PROJECT_ROOT, Settings
from tests.support import free_port
from tests.support.pipeline import wait_for, workers

pytestmark = pytest.mark.integration

SAMPLE_FEED = PROJECT_ROOT / "feeds" / "sample-manifests.jsonl"


def produce(settings: Settings, topic: str, per_partition: dict[int, int]) -> None:
    producer = kafka_producer(settings, OPERATOR)
    for partition, count in per_partition.items():
        for number in range(count):
            producer.send(topic, f"record {number}".encode(), partition=partition)
    producer.flush()
    producer.close()


def commit(settings: Settings, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = kafka_consumer(settings, OPERATOR, group_id=group, enable_auto_commit=False)
    consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()})
    consumer.close()


def test_lag_is_end_minus_committed_per_partition(isolated_settings: Settings) -> None:
    settings = isolated_settings
    topic = topics.qualified(settings, topics.MATCHES)
    group = f"{settings.app_id_prefix}-lag-test"
    produce(settings, topic, {0: 5, 1: 3})
    with LagReader(settings) as reader:
        never_committed = reader.measure([group], [topic])
        assert [(r.partition, r.committed, r.lag) for r in never_committed] == [(0, None, 5), (1, None, 3)]
        commit(settings, group, {TopicPartition(topic, 0): 4, TopicPartition(topic, 1): 3})
        readings = reader.measure([group], [topic])
    assert [(r.group, r.partition, r.end, r.committed, r.lag) for r in readings] == [
        (group, 0, 5, 4, 1),
        (group, 1, 3, 3, 0),
    ]
    assert total(readings) == 1


def exported_lag(port: int) -> dict[tuple[str, str, str], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (s.labels["group"], s.labels["topic"], s.labels["partition"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "interdict_consumer_lag"
        for s in family.samples
    }


def lag_reading(port: int, expected_total: float) -> dict[tuple[str, str, str], float] | None:
    try:
        lag = exported_lag(port)
    except OSError:
        return None  # not listening yet
    return lag if len(lag) == 2 and sum(lag.values()) == expected_total else None


def test_a_worker_exports_its_groups_lag_stuck_and_caught_up(isolated_settings: Settings, tmp_path: Path) -> None:
    raw = topics.qualified(isolated_settings, topics.MANIFESTS_RAW)
    group = topics.group_id(isolated_settings, "ingest")
    settings = isolated_settings.model_copy(update={"lag_interval_seconds": 0.5})
    published = publish_file(SAMPLE_FEED, settings)
    port = settings.ingest_metrics_port

    # Without Redis, ingest fetches but cannot finish a batch: everything published is lag.
    stuck = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with workers(stuck, tmp_path / "stuck", "ingest"):
        lag = wait_for(lambda: lag_reading(port, published), f"a lag of {published} exported", timeout_s=60)
    assert {(g, t) for g, t, _ in lag} == {(group, raw)} and {p for _, _, p in lag} == {"0", "1"}

    with workers(settings, tmp_path / "working", "ingest"):
        wait_for(lambda: lag_reading(port, 0), "a lag of 0 once ingest caught up", timeout_s=90)
