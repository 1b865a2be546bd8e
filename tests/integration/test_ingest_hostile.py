"""Hostile input at ingest on the real broker: whatever the bytes and headers, ingest never
crashes, and every input ends valid (its manifests out) or dead-lettered, with its reason.

Hypothesis builds the batches: random bytes, valid messages of every format truncated or with
bytes flipped, wrong format headers, deep nesting, invalid UTF-8, oversized fields. The expected
fate of each input is what the same handler decides in memory; on the broker the run must reach
exactly that, record for record.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.feed.generate import FORMAT_KINDS, ManifestGenerator, as_sent, load_demo_watchlist
from services.ingest.formats.base import FEED_HEADER, FORMAT_HEADER
from services.ingest.formats.registry import FORMATS
from services.shared import topics
from services.shared.kafka_admin import delete_topics, ensure_topics
from services.shared.kafka_clients import kafka_producer
from services.shared.kafka_security import OPERATOR
from services.shared.settings import Settings
from services.shared.stage import InputRecord, KafkaTransport, Stage, StageConfig
from services.shared.topics import all_topics
from services.shared.worker import kafka_options
from tests.fakes import ingest_handler
from tests.integration.test_stage_kafka import read_all, run_until_committed

pytestmark = pytest.mark.integration


def _valid_messages() -> list[tuple[str, bytes]]:
    generator = ManifestGenerator(load_demo_watchlist(), hit_rate=0.2, seed=5)
    messages: list[tuple[str, bytes]] = []
    for name, chosen in FORMATS.items():
        for manifest in generator.generate(3, start=100 * len(messages), kinds=FORMAT_KINDS[name]):
            messages.append((name, chosen.encode([as_sent(manifest.document, name)])))
    return messages


VALID = _valid_messages()
FORMAT_NAMES = [*FORMATS, "xml", "\udcff"]  # a name nobody reads, and one that is not UTF-8


@st.composite
def hostile_record(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, bytes]]]:
    fmt, valid = draw(st.sampled_from(VALID))
    recipe = draw(st.sampled_from(["valid", "truncated", "flipped", "random", "nested", "utf8", "huge field"]))
    if recipe == "valid":
        value = valid
    elif recipe == "truncated":
        value = valid[: draw(st.integers(0, max(0, len(valid) - 1)))]
    elif recipe == "flipped":
        data = bytearray(valid)
        for index in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=5)):
            data[index] = draw(st.integers(0, 255))
        value = bytes(data)
    elif recipe == "random":
        value = draw(st.binary(max_size=300))
    elif recipe == "nested":
        depth = draw(st.integers(1, 5000))
        value = b'{"a":' * depth + b"1" + b"}" * depth
    elif recipe == "utf8":
        value = valid.replace(b"A", b"\xc3\x28", 3)
    else:
        value = valid + b"x" * draw(st.integers(5000, 300_000))
    headers: list[tuple[str, bytes]] = []
    if draw(st.booleans()):
        name = draw(st.sampled_from([fmt, *FORMAT_NAMES]))
        headers.append((FORMAT_HEADER, name.encode("utf-8", "surrogateescape")))
    if draw(st.booleans()):
        headers.append((FEED_HEADER, draw(st.sampled_from([b"customs-anam-mx", b"ais-caribbean", b"\xff\xfe"]))))
    return value, headers


def expected_fates(records: list[tuple[bytes, list[tuple[str, bytes]]]]) -> list[str | int]:
    """Per input: its dead-letter reason, or how many records it puts out (in memory)."""
    inputs = [
        InputRecord("raw", 0, offset, None, value, tuple(headers)) for offset, (value, headers) in enumerate(records)
    ]
    outcomes = asyncio.run(ingest_handler().handle(inputs))
    return [o.rejection.reason if o.rejection else len(o.outputs) for o in outcomes]


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(records=st.lists(hostile_record(), min_size=5, max_size=40))
def test_hostile_input_on_the_broker_ends_valid_or_dead_lettered(
    stack_settings: Settings, records: list[tuple[bytes, list[tuple[str, bytes]]]]
) -> None:
    run = uuid.uuid4().hex[:10]
    config = stack_settings.model_copy(
        # a stage of its own, under a group of its own: run as the operator, not as the ingest service
        update={
            "topic_prefix": f"hostile-{run}.",
            "topic_partitions": 1,
            "app_id_prefix": f"hostile-{run}",
            "kafka_username": OPERATOR,
        }
    )
    ensure_topics(config)
    try:
        fates = expected_fates(records)
        producer = kafka_producer(config, OPERATOR, max_request_size=4 * 1024 * 1024)
        raw = topics.qualified(config, topics.MANIFESTS_RAW)
        for value, headers in records:
            producer.send(raw, value=value, headers=headers)
        producer.flush()
        producer.close()

        service = f"ingest-{run}"
        transport = KafkaTransport(kafka_options(config, service), [raw])
        dlq = topics.qualified(config, topics.MANIFESTS_DLQ)
        valid, ais = topics.qualified(config, topics.MANIFESTS_VALID), topics.qualified(config, topics.VESSELS_AIS)
        stage = Stage(StageConfig(service, dlq), transport, ingest_handler(valid, ais))
        asyncio.run(run_until_committed(stage, transport, len(records)))

        letters = {
            int(headers["__connect.errors.offset"]): headers["interdict.errors.reason"]
            for _, headers in read_all(config, topics.MANIFESTS_DLQ)
        }
        outputs = len(read_all(config, topics.MANIFESTS_VALID)) + len(read_all(config, topics.VESSELS_AIS))
        expected_letters = {offset: fate for offset, fate in enumerate(fates) if isinstance(fate, str)}
        assert letters == expected_letters
        assert outputs == sum(fate for fate in fates if isinstance(fate, int))
    finally:
        delete_topics(config, all_topics(config))
