"""`interdict dlq show` and `interdict dlq replay` on the real broker, under a private topic prefix."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from typer.testing import CliRunner, Result

from services.dlq.cli import dlq_app
from services.shared import topics
from services.shared.dead_letter import dead_letter_headers, decode_headers
from services.shared.kafka_clients import kafka_admin, kafka_consumer, kafka_producer
from services.shared.kafka_security import OPERATOR
from services.shared.settings import Settings, get_settings

pytestmark = pytest.mark.integration

Header = tuple[str, bytes]


@dataclass(frozen=True)
class Source:
    topic: str
    partition: int
    offset: int


@pytest.fixture
def settings(isolated_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The commands read get_settings(): point it at the private prefix through the environment."""
    for name, value in isolated_settings.as_environment().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield isolated_settings
    get_settings.cache_clear()


def run(*arguments: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(dlq_app, list(arguments), input=stdin, env={"COLUMNS": "220"})


def stage_letter(
    settings: Settings,
    value: bytes,
    key: bytes | None,
    reason: str,
    own: list[Header] | None = None,
    source_base: str = topics.MANIFESTS_RAW,
    service: str = "ingest",
    source_offset: int = 0,
) -> tuple[bytes | None, bytes, list[Header]]:
    """A dead letter as the stage writes it (services/shared/stage/runner.py, _dead_letter)."""
    source = Source(topics.qualified(settings, source_base), 1, source_offset)
    errors = dead_letter_headers(source, "ValidationError", f"{reason}: at line 1", service, reason)
    return key, value, [*(own or []), *errors.items(), ("interdict.errors.original-bytes", str(len(value)).encode())]


def excerpt_letter(settings: Settings, original: bytes, key: bytes) -> tuple[bytes | None, bytes, list[Header]]:
    """A dead letter too large to send whole, as the stage cuts it (runner._excerpt): own headers dropped."""
    source = Source(topics.qualified(settings, topics.MANIFESTS_RAW), 0, 99)
    errors = dead_letter_headers(source, "OutputTooLarge", "too large", "ingest", "output_too_large")
    headers = [
        *errors.items(),
        ("interdict.errors.original-bytes", str(len(original)).encode()),
        ("interdict.errors.truncated", b"true"),
        ("interdict.errors.original-sha256", hashlib.sha256(original).hexdigest().encode()),
    ]
    return key, original[:4096], headers


def produce(
    settings: Settings, letters: list[tuple[bytes | None, bytes, list[Header]]], partition: int = 0, **extra: Any
) -> None:
    producer = kafka_producer(settings, OPERATOR, acks="all")
    dlq = topics.qualified(settings, topics.MANIFESTS_DLQ)
    for key, value, headers in letters:
        producer.send(dlq, key=key, value=value, headers=headers, partition=partition, **extra).get(timeout=30)
    producer.close()


def produce_aborted(settings: Settings, letter: tuple[bytes | None, bytes, list[Header]], partition: int) -> None:
    producer = kafka_producer(settings, OPERATOR, transactional_id=f"dlq-test-{uuid.uuid4()}")
    producer.init_transactions()
    producer.begin_transaction()
    key, value, headers = letter
    producer.send(
        topics.qualified(settings, topics.MANIFESTS_DLQ), key=key, value=value, headers=headers, partition=partition
    )
    producer.flush()
    producer.abort_transaction()
    producer.close()


def read_topic(settings: Settings, base: str) -> list[tuple[bytes | None, bytes, list[Header]]]:
    consumer = kafka_consumer(settings, OPERATOR, isolation_level="read_committed", enable_auto_commit=False)
    name = topics.qualified(settings, base)
    partitions = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    end = consumer.end_offsets(partitions)
    found: list[tuple[bytes | None, bytes, list[Header]]] = []
    deadline = time.monotonic() + 30
    while any((consumer.position(tp) or 0) < end[tp] for tp in partitions):
        assert time.monotonic() < deadline, f"{name} not read to its end in 30s"
        for records in consumer.poll(timeout_ms=500).values():
            found += [(record.key, record.value, list(record.headers)) for record in records]
    consumer.close()
    return found


def json_lines(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout.splitlines()]


MANIFEST = b'{"kind": "shipment", "manifest_id": "M-1", "feed": "acme"}'
OWN: list[Header] = [
    ("interdict.format", b"jsonl"),
    ("interdict.feed", b"acme"),
    ("interdict.published-at-ms", b"1795000000000"),
]


@pytest.fixture
def letters(settings: Settings) -> dict[str, Any]:
    """Partition 0: three stage letters, a truncated excerpt, one from a foreign topic, an old one.
    Partition 1: a matcher letter, then an aborted one (last: reading must still reach the end)."""
    huge = b'{"kind": "shipment", "padding": "' + b"x" * 200_000 + b'"}'
    produce(
        settings,
        [
            stage_letter(settings, MANIFEST, b"acme:M-1", "schema_violation", OWN, source_offset=10),
            stage_letter(settings, b"{not json", b"acme:M-2", "invalid_json", OWN[:2], source_offset=11),
            stage_letter(settings, b"\xff\xfe binary", b"portco:M-3", "invalid_json", source_offset=12),
            excerpt_letter(settings, huge, b"acme:M-4"),
            stage_letter(settings, MANIFEST, b"acme:M-5", "schema_violation", source_base="elsewhere"),
        ],
    )
    three_days_ago_ms = int((time.time() - 3 * 86400) * 1000)
    produce(settings, [stage_letter(settings, MANIFEST, b"acme:M-0", "unknown_port")], timestamp_ms=three_days_ago_ms)
    produce(
        settings,
        [
            stage_letter(
                settings, b'{"manifest": 1}', b"acme:M-6", "processing_error", OWN, topics.MANIFESTS_VALID, "matcher"
            )
        ],
        partition=1,
    )
    produce_aborted(settings, stage_letter(settings, b"aborted", b"acme:M-7", "schema_violation"), partition=1)
    return {"huge": huge}


def test_show_json_lists_committed_letters_with_their_fields(settings: Settings, letters: dict[str, Any]) -> None:
    result = run("show", "--json")
    shown = json_lines(result)
    assert [(row["partition"], row["offset"]) for row in shown] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (0, 5),
        (1, 0),
    ]
    assert all(row["key"] != "acme:M-7" for row in shown)  # the aborted one never shows
    first = shown[0]
    raw = topics.qualified(settings, topics.MANIFESTS_RAW)
    assert first["dlq_topic"] == topics.qualified(settings, topics.MANIFESTS_DLQ)
    assert (first["reason"], first["service"], first["error_class"]) == (
        "schema_violation",
        "ingest",
        "ValidationError",
    )
    assert first["message"] == "schema_violation: at line 1"
    assert (first["source_topic"], first["source_partition"], first["source_offset"]) == (raw, 1, 10)
    assert (first["feed"], first["format"], first["key"]) == ("acme", "jsonl", "acme:M-1")
    assert (first["value"], first["value_encoding"]) == (MANIFEST.decode(), "utf-8")
    assert first["original_bytes"] == len(MANIFEST) and not first["truncated"] and first["problems"] == []
    assert [header["name"] for header in first["headers"]] == [name for name, _ in OWN]
    assert first["dead_lettered_at"].endswith("+00:00")

    binary = shown[2]
    assert binary["value_encoding"] == "base64" and binary["feed"] == "portco" and binary["format"] is None
    excerpt = shown[3]
    assert excerpt["truncated"] and excerpt["original_bytes"] == len(letters["huge"])
    assert excerpt["original_sha256"] == hashlib.sha256(letters["huge"]).hexdigest()
    assert (shown[6]["service"], shown[6]["source_topic"]) == ("matcher", topics.qualified(settings, "manifests.valid"))
    # stdout holds the letters alone; the counts go to stderr
    assert "7 dead letters" in result.stderr and "schema_violation" in result.stderr


def test_show_filters(settings: Settings, letters: dict[str, Any]) -> None:
    def keys(*arguments: str) -> list[str]:
        return [row["key"] for row in json_lines(run("show", "--json", *arguments))]

    assert keys("--reason", "invalid_json") == ["acme:M-2", "portco:M-3"]
    assert keys("--reason", "invalid_json", "--reason", "unknown_port") == ["acme:M-2", "portco:M-3", "acme:M-0"]
    assert keys("--feed", "portco") == ["portco:M-3"]
    assert keys("--feed", "acme", "--reason", "schema_violation") == ["acme:M-1", "acme:M-5"]
    assert keys("--since", "1d") == ["acme:M-1", "acme:M-2", "portco:M-3", "acme:M-4", "acme:M-5", "acme:M-6"]
    assert keys("--since", "4d")[-2:] == ["acme:M-0", "acme:M-6"]
    assert keys("--since", "2999-01-01T00:00:00Z") == []
    assert keys("--limit", "2") == ["acme:M-1", "acme:M-2"]
    refused = run("show", "--since", "yesterday")
    assert refused.exit_code == 2 and "neither a duration" in refused.output


def test_show_table_and_counts(settings: Settings, letters: dict[str, Any]) -> None:
    result = run("show")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    first = next(row for row in rows if row[2:3] == ["0:0"])
    # time, letter, reason, feed, service, source (without the prefix), size, message
    assert first[2:7] == ["0:0", "schema_violation", "acme", "ingest", "manifests.raw:1:10"]
    assert first[7:9] == ["58", "B"] and " ".join(first[9:]) == "schema_violation: at line 1"
    excerpt = next(row for row in rows if row[2:3] == ["0:3"])
    assert excerpt[7:9] == ["195.3", "KiB*"]  # the input's size, marked as cut
    assert "7 dead letters on " + topics.qualified(settings, topics.MANIFESTS_DLQ) in result.stdout
    counts = {row[0]: int(row[1]) for row in rows[-8:] if len(row) == 2 and row[1].isdigit()}
    assert counts == {
        "schema_violation": 2,
        "invalid_json": 2,
        "output_too_large": 1,
        "processing_error": 1,
        "unknown_port": 1,
    }


def test_replay_sends_whole_letters_back_and_skips_the_rest(settings: Settings, letters: dict[str, Any]) -> None:
    result = run("replay", "--yes")
    assert result.exit_code == 0, result.output
    dlq = topics.qualified(settings, topics.MANIFESTS_DLQ)
    assert f"skipped {dlq}:0:3: a truncated excerpt" in result.stdout
    assert "the feed must send the message again" in result.stdout
    assert f"skipped {dlq}:0:4: '{topics.qualified(settings, 'elsewhere')}' is not one of" in result.stdout

    raw = read_topic(settings, topics.MANIFESTS_RAW)
    assert sorted(key for key, _, _ in raw if key) == [b"acme:M-0", b"acme:M-1", b"acme:M-2", b"portco:M-3"]
    _, value, headers = next(record for record in raw if record[0] == b"acme:M-1")
    assert value == MANIFEST
    assert headers[:3] == OWN  # the input's own headers, in order
    decoded = decode_headers(headers)
    assert decoded["interdict.replayed-from"] == f"{dlq}:0:0"
    assert decoded["interdict.replayed-at"].endswith("+00:00")
    assert not [name for name in decoded if "errors" in name]
    binary = next(record for record in raw if record[0] == b"portco:M-3")
    assert binary[1] == b"\xff\xfe binary"

    valid = read_topic(settings, topics.MANIFESTS_VALID)
    assert [(key, value) for key, value, _ in valid] == [(b"acme:M-6", b'{"manifest": 1}')]
    assert decode_headers(valid[0][2])["interdict.replayed-from"] == f"{dlq}:1:0"

    # again: the same letters are published again (ingest's content digest makes that harmless)
    assert run("replay", "--yes", "--reason", "invalid_json").exit_code == 0
    assert len(read_topic(settings, topics.MANIFESTS_RAW)) == len(raw) + 2


def test_dry_run_and_declined_confirmation_send_nothing(settings: Settings, letters: dict[str, Any]) -> None:
    dry = run("replay", "--dry-run", "--feed", "acme")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.count("would replay") == 4  # M-1, M-2, M-0 and the matcher's M-6
    declined = run("replay", "--reason", "schema_violation", stdin="n\n")
    assert declined.exit_code == 1 and "Replay 1 dead letter(s)?" in declined.output
    assert read_topic(settings, topics.MANIFESTS_RAW) == [] and read_topic(settings, topics.MANIFESTS_VALID) == []
    accepted = run("replay", "--reason", "schema_violation", stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert [key for key, _, _ in read_topic(settings, topics.MANIFESTS_RAW)] == [b"acme:M-1"]


def test_a_refused_send_fails_the_command_naming_the_letter(settings: Settings) -> None:
    big = b'{"kind": "shipment", "padding": "' + b"y" * 4000 + b'"}'
    produce(
        settings,
        [
            stage_letter(settings, MANIFEST, b"acme:M-1", "schema_violation"),
            stage_letter(settings, big, b"acme:M-2", "schema_violation"),
        ],
    )
    admin = kafka_admin(settings, OPERATOR)
    raw = topics.qualified(settings, topics.MANIFESTS_RAW)
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, raw, configs={"max.message.bytes": "2048"})])
    admin.close()
    result = run("replay", "--yes")
    dlq = topics.qualified(settings, topics.MANIFESTS_DLQ)
    assert result.exit_code == 1, result.output
    assert f"not replayed {dlq}:0:1" in result.stderr and "1 dead letter(s) not replayed" in result.stderr
    assert [key for key, _, _ in read_topic(settings, topics.MANIFESTS_RAW)] == [b"acme:M-1"]


def test_an_undecodable_record_is_shown_and_skipped_not_fatal(settings: Settings) -> None:
    class RawName(str):
        """A header name kafka-python would never write: not UTF-8 (other clients can)."""

        __slots__ = ()

        def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
            return b"bad\xffname"

    produce(settings, [stage_letter(settings, MANIFEST, b"acme:M-1", "schema_violation")], partition=0)
    key, value, headers = stage_letter(settings, MANIFEST, b"acme:M-2", "schema_violation")
    produce(settings, [(key, value, [*headers, (RawName("x"), b"v")])], partition=1)
    shown = json_lines(run("show", "--json"))
    assert [row["key"] for row in shown] == ["acme:M-1", None]
    assert shown[1]["unreadable"] and shown[1]["offset"] == 0
    replayed = run("replay", "--yes")
    assert replayed.exit_code == 0 and "unreadable record" in replayed.stdout
