"""In-memory stand-ins for the unit tests: a Redis for the notifier's alert book, ingest's manifest
history and vessel sightings, a scripted stage handler, and the checks that every input of a
stage run is accounted for exactly once.

No Kafka and no Redis: the stage runs on `MemoryTransport`, the alert book on `FakeRedis`.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.exceptions
from prometheus_client import REGISTRY

from services.ingest.app import IngestHandler, IngestTopics
from services.ingest.decoding import MessageDecoder
from services.ingest.history import Verdict, VersionRequest
from services.ingest.sightings import Previous, Sighting
from services.shared.backoff import Backoff
from services.shared.dead_letter import HEADER_PREFIX
from services.shared.settings import Settings
from services.shared.stage import InputRecord, MemoryTransport, Outcome, Output
from services.shared.stage import runner as stage_runner

SOURCE = "in"
OUT = "out"
DLQ = "dlq"


# -- Redis ------------------------------------------------------------------------------------


class FakeRedis:
    """The part of redis.asyncio.Redis the notifier's alert book uses (`BookClient`), as a dict.

    `eval` runs the book's one script, COMPARE_AND_SET, by its documented meaning (the script
    itself is run on the real Redis by tests/integration/test_alert_book.py, with the same cases).
    `down = True` makes every call fail the way redis-py does when the server is away;
    `fail_next(n)` fails only the next n calls. `error` chooses the exception class raised.
    """

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.ttls: dict[str, int | None] = {}
        self.down = False
        self.error: type[redis.exceptions.RedisError] = redis.exceptions.ConnectionError
        self.calls = 0
        self._failures_left = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures_left = times

    def _call(self) -> None:
        self.calls += 1
        if self.down or self._failures_left > 0:
            self._failures_left = max(0, self._failures_left - 1)
            raise self.error("Error 111 connecting to localhost:6379. Connection refused.")

    async def mget(self, keys: Sequence[str]) -> list[bytes | str | None]:
        self._call()
        return [self.values.get(key) for key in keys]

    async def eval(self, script: str, numkeys: int, *keys_and_args: str | bytes | int) -> object:
        from services.notifier.book import COMPARE_AND_SET

        assert script == COMPARE_AND_SET, "FakeRedis runs only the alert book's compare-and-set"
        self._call()
        keys = [str(key) for key in keys_and_args[:numkeys]]
        args = keys_and_args[numkeys:]
        for index, key in enumerate(keys):
            expected = _as_bytes(args[3 * index])
            if self.values.get(key, b"") != expected:
                return 0
        for index, key in enumerate(keys):
            self.values[key] = _as_bytes(args[3 * index + 1])
            self.ttls[key] = int(args[3 * index + 2])
        return 1


def _as_bytes(value: str | bytes | int) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# -- a scripted handler -----------------------------------------------------------------------


@dataclass
class EchoHandler:
    """One output per record on `out`, keyed by the record's position, with the record's value.

    What a record's value says decides what happens to it:
    b"reject..." is rejected (reason `not_wanted`); b"crash" makes any batch holding it raise
    ValueError; b"big:N" gives an output of N bytes. The first `transient` calls raise `error`.
    """

    out: str = OUT
    transient: int = 0
    error: Callable[[], BaseException] = lambda: ConnectionError("connection refused")
    headers: Sequence[tuple[str, bytes]] = ()
    calls: list[list[str]] = field(default_factory=list)

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        self.calls.append([record.position for record in records])
        if self.transient > 0:
            self.transient -= 1
            raise self.error()
        if any(record.value == b"crash" for record in records):
            raise ValueError("cannot handle this one")
        return [self._one(record) for record in records]

    def _one(self, record: InputRecord) -> Outcome:
        value = record.value or b""
        if value.startswith(b"reject"):
            return Outcome.rejected("not_wanted", "the test rejects it", "TestRejection")
        if value.startswith(b"big:"):
            value = b"x" * int(value.removeprefix(b"big:"))
        return Outcome([Output(self.out, record.position.encode(), value, tuple(self.headers))])


# -- metrics ----------------------------------------------------------------------------------


def unique_service() -> str:
    """A service name no other test uses, so the process-wide counters start at zero for it."""
    return f"test-{uuid.uuid4().hex[:12]}"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def total(name: str, service: str) -> float:
    """A counter summed over its other labels (topic, reason) for one service."""
    return sum(
        found.value
        for family in REGISTRY.collect()
        for found in family.samples
        if found.name == name and found.labels.get("service") == service
    )


def rejected_by_reason(service: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for family in REGISTRY.collect():
        for found in family.samples:
            if found.name == "interdict_messages_rejected_total" and found.labels.get("service") == service:
                counts[found.labels["reason"]] += int(found.value)
    return +counts


# -- accounting -------------------------------------------------------------------------------


def headers_of(output: Output) -> dict[str, bytes]:
    """The headers as a dict (a later header of the same name wins, as the stage appends its own)."""
    return {name: value or b"" for name, value in output.headers}


def dead_letter_position(letter: Output) -> str:
    headers = headers_of(letter)
    parts = (headers[f"{HEADER_PREFIX}{name}"].decode() for name in ("topic", "partition", "offset"))
    return ":".join(parts)


def reason_of(letter: Output) -> str:
    return headers_of(letter)["interdict.errors.reason"].decode()


def all_inputs(transport: MemoryTransport) -> list[InputRecord]:
    return [record for records in transport.inputs.values() for record in records]


def assert_accounted(
    transport: MemoryTransport,
    service: str,
    position_of: Callable[[Output], str] = lambda output: (output.key or b"").decode(),
    dead_letter_topic: str = DLQ,
) -> None:
    """Every input committed, and either dead-lettered once or with its outputs visible, never both;
    and the stage's counters agree: in = processed + rejected, for exactly these inputs."""
    inputs = {record.position for record in all_inputs(transport)}
    assert transport.remaining() == 0, "inputs left uncommitted"
    letters = transport.topics[dead_letter_topic]
    dead = Counter(dead_letter_position(letter) for letter in letters)
    produced = Counter(
        position_of(output)
        for topic, outputs in transport.topics.items()
        if topic != dead_letter_topic
        for output in outputs
    )
    assert all(count == 1 for count in dead.values()), f"dead-lettered twice: {dead}"
    assert all(count == 1 for count in produced.values()), f"outputs published twice: {produced}"
    assert not dead.keys() & produced.keys(), "inputs both dead-lettered and with outputs"
    assert dead.keys() | produced.keys() == inputs, "inputs neither dead-lettered nor with outputs"

    messages_in = total("interdict_messages_in_total", service)
    processed = total("interdict_messages_processed_total", service)
    rejected = total("interdict_messages_rejected_total", service)
    assert messages_in == processed + rejected, f"in {messages_in} != processed {processed} + rejected {rejected}"
    counted, actual = (int(messages_in), int(processed), int(rejected)), (len(inputs), len(produced), len(dead))
    assert counted == actual, f"counters (in, processed, rejected) say {counted}, the topics {actual}"
    assert rejected_by_reason(service) == Counter(reason_of(letter) for letter in letters)


# -- time -------------------------------------------------------------------------------------


def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries of the stage wait a millisecond instead of up to seconds."""
    monkeypatch.setattr(stage_runner, "Backoff", functools.partial(Backoff, first=0.0005, ceiling=0.001))


def fast_backoff_context() -> Iterator[None]:
    """`fast_backoff` for a whole module (hypothesis tests cannot take function-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        fast_backoff(patch)
        yield


class MemoryManifestHistory:
    """services.ingest.history's Redis script, in memory: a verdict per input position, versions by digest."""

    def __init__(self) -> None:
        self.manifests: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail_next = 0

    async def record(self, requests: Sequence[VersionRequest]) -> list[Verdict]:
        if self.fail_next:
            self.fail_next -= 1
            raise redis.exceptions.ConnectionError("fake Redis is away")
        return [self._one(request) for request in requests]

    def _one(self, request: VersionRequest) -> Verdict:
        state = self.manifests.setdefault(
            (request.feed, request.manifest_id), {"version": 0, "at": {}, "summaries": {}}
        )
        if request.position not in state["at"]:
            if state.get("digest") == request.digest:
                state["at"][request.position] = (state["version"], True)
            else:
                state["version"] += 1
                state["digest"] = request.digest
                state["summaries"][state["version"]] = request.summary
                state["at"][request.position] = (state["version"], False)
        version, duplicate = state["at"][request.position]
        return Verdict(version, duplicate, state["summaries"].get(version - 1))


class MemorySightingLog:
    """services.ingest.sightings's Redis script, in memory."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, Any]] = {}

    async def sight(self, sightings: Sequence[tuple[Sighting, str]]) -> list[Previous]:
        return [self._one(sighting, position) for sighting, position in sightings]

    def _one(self, sighting: Sighting, position: str) -> Previous:
        known: list[Sighting | None] = []
        keys = ([f"imo:{sighting.imo}"] if sighting.imo else []) + ([f"mmsi:{sighting.mmsi}"] if sighting.mmsi else [])
        for key in keys:
            slot = self.keys.setdefault(key, {})
            if slot.get("at") == position:
                known.append(slot.get("before"))
            else:
                known.append(slot.get("latest"))
                if slot.get("latest") is not None:
                    slot["before"] = slot["latest"]
                slot.update(at=position, latest=sighting)
        by_imo = known.pop(0) if sighting.imo else None
        by_mmsi = known.pop(0) if sighting.mmsi else None
        return Previous(by_imo, by_mmsi)


#: The unit tests' "now" for ingest's date checks, so that they mean the same in any year.
INGEST_NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def ingest_handler(
    valid_topic: str = "manifests.valid",
    ais_topic: str = "vessels.ais",
    history: MemoryManifestHistory | None = None,
    sightings: MemorySightingLog | None = None,
    feeds_file: Path | None = None,
) -> IngestHandler:
    """Ingest's handler on in-memory state, with the project's feeds file unless told otherwise."""
    settings = Settings(feeds_file=feeds_file) if feeds_file is not None else Settings()
    return IngestHandler(
        IngestTopics(valid_topic, ais_topic),
        MessageDecoder.from_settings(settings, clock=lambda: INGEST_NOW),
        history or MemoryManifestHistory(),
        sightings or MemorySightingLog(),
    )
