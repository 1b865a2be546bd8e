"""The stage on the real broker: outputs too large to produce, and dead letters too large to send
whole, never cost an input; the counters add up."""

from __future__ import annotations

import asyncio
import hashlib

import orjson
import pytest
from prometheus_client import REGISTRY

from services.shared import topics
from services.shared.dead_letter import decode_headers
from services.shared.kafka_clients import kafka_consumer, kafka_producer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.settings import Settings
from services.shared.stage import KafkaTransport, Stage, StageConfig
from services.shared.worker import kafka_options
from tests.fakes import ingest_handler

pytestmark = pytest.mark.integration

LIMIT = 32 * 1024


def manifest(manifest_id: str, containers: int) -> bytes:
    """Containers grow once normalised (each gets its seal and size type, null): a manifest just
    under the size limit comes out over it."""
    return orjson.dumps(
        {
            "kind": "shipment",
            "manifest_id": manifest_id,
            "feed": "test-feed",
            "reported_at": "2026-11-20T08:15:00Z",
            "bill_of_lading": f"BL-{manifest_id}",
            "port_of_loading": "COBUN",
            "port_of_discharge": "MXZLO",
            "parties": [{"role": "consignee", "name": "Party Trading", "kind": "organization", "country": "CO"}],
            "containers": [{"number": "MSCU1234566"} for _ in range(containers)],
        }
    )


def publish(settings: Settings, values: list[bytes]) -> None:
    producer = kafka_producer(settings, OPERATOR, max_request_size=4 * 1024 * 1024)
    for value in values:
        producer.send(topics.qualified(settings, topics.MANIFESTS_RAW), value=value, key=b"k")
    producer.flush()
    producer.close()


def read_all(settings: Settings, base: str) -> list[tuple[bytes, dict[str, str]]]:
    consumer = kafka_consumer(
        settings,
        OPERATOR,
        isolation_level="read_committed",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    name = topics.qualified(settings, base)
    partitions = required_partitions(consumer, name)
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    end = consumer.end_offsets(partitions)
    found: list[tuple[bytes, dict[str, str]]] = []
    while any((consumer.position(tp) or 0) < end[tp] for tp in partitions):
        for records in consumer.poll(timeout_ms=500).values():
            found += [(record.value, decode_headers(record.headers)) for record in records]
    consumer.close()
    return found


def counter(name: str, service: str, **labels: str) -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if sample.name == name
        and sample.labels.get("service") == service
        and all(sample.labels.get(key) == value for key, value in labels.items())
    )


async def run_until_committed(stage: Stage, transport: KafkaTransport, inputs: int) -> None:
    await transport.start()
    try:
        done = 0
        async with asyncio.timeout(60):
            while done < inputs:
                done += await stage.run_once()
    finally:
        await transport.stop()


def test_outputs_and_dead_letters_too_large_never_cost_an_input(isolated_settings: Settings) -> None:
    # a stage under a group of its own (ingest-<namespace>): as the operator, not as the ingest service
    settings = isolated_settings.model_copy(update={"max_message_bytes": LIMIT, "kafka_username": OPERATOR})
    small, grows_too_large = manifest("OK-1", 2), manifest("BIG-1", 1000)
    hostile = b'{"kind": "shipment", "padding": "' + b"x" * (3 * LIMIT) + b'"}'
    assert len(grows_too_large) < LIMIT  # it only outgrows the limit once normalised
    publish(settings, [small, grows_too_large, hostile])

    service = f"ingest-{settings.app_id_prefix}"
    transport = KafkaTransport(kafka_options(settings, service), [topics.qualified(settings, topics.MANIFESTS_RAW)])
    dlq = topics.qualified(settings, topics.MANIFESTS_DLQ)
    stage = Stage(
        StageConfig(service, dlq), transport, ingest_handler(topics.qualified(settings, topics.MANIFESTS_VALID))
    )
    asyncio.run(run_until_committed(stage, transport, 3))

    valid = read_all(settings, topics.MANIFESTS_VALID)
    assert [orjson.loads(value)["manifest_id"] for value, _ in valid] == ["OK-1"]
    letters = {
        headers["interdict.errors.reason"]: (value, headers)
        for value, headers in read_all(settings, topics.MANIFESTS_DLQ)
    }
    assert set(letters) == {"output_too_large", "schema_violation"}

    value, headers = letters["output_too_large"]
    assert value == grows_too_large  # the input, untouched
    assert f"over the limit of {LIMIT} bytes" in headers["__connect.errors.exception.message"]

    value, headers = letters["schema_violation"]  # too large to dead-letter whole: an excerpt
    assert headers["interdict.errors.truncated"] == "true"
    assert headers["interdict.errors.original-sha256"] == hashlib.sha256(hostile).hexdigest()
    assert headers["interdict.errors.original-bytes"] == str(len(hostile))
    assert hostile.startswith(value) and 0 < len(value) <= LIMIT // 2

    assert counter("interdict_messages_in_total", service) == 3
    assert counter("interdict_messages_processed_total", service) == 1
    assert counter("interdict_messages_rejected_total", service) == 2
