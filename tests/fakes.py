"""In-memory stand-ins for the unit tests: a Redis for the notifier's alert book, another
(synchronous, with transactions) for the watchlist reader and writer, ingest's manifest history and
vessel sightings, a scripted stage handler, and the checks that every input of a stage run is
accounted for exactly once.

No Kafka and no Redis: the stage runs on `MemoryTransport`, the alert book on `FakeRedis`, the
watchlists on `MemoryRedis`.
"""

from __future__ import annotations

import fnmatch
import functools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, cast

import pytest
import redis.exceptions
from prometheus_client import REGISTRY

from services.desk.case_store import CaseRecord
from services.desk.store import DeskStore, StoreRecord
from services.ingest.app import IngestHandler, IngestTopics
from services.ingest.decoding import MessageDecoder
from services.ingest.history import Verdict, VersionRequest
from services.ingest.sightings import Previous, Sighting
from services.shared.backoff import Backoff
from services.shared.dead_letter import HEADER_PREFIX
from services.shared.models.case import CaseEvent
from services.shared.settings import Settings
from services.shared.stage import InputRecord, MemoryTransport, Outcome, Output
from services.shared.stage import runner as stage_runner

if TYPE_CHECKING:
    from redis.typing import (
        AnyKeyT,
        EncodableT,
        ExpiryT,
        FieldT,
        KeyT,
        PatternT,
        StreamIdT,
        StreamRangeResponse,
        ZScoreBoundT,
    )

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


# -- a synchronous Redis for the watchlist reader and writer ---------------------------------

R = TypeVar("R")
P = ParamSpec("P")


def _bytes(value: object) -> bytes:
    """What redis-py sends for a key, field or value."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str | int | float):
        return str(value).encode()
    raise TypeError(f"Redis takes no {type(value).__name__}")


def _stream_id(value: object) -> tuple[int, int]:
    millis, _, sequence = _bytes(value).decode().partition("-")
    return int(millis), int(sequence or 0)


class MemoryKeyspace:
    """The data behind `MemoryRedis`: hashes, sorted sets and streams, with a write count per key
    for WATCH. Replies are bytes, as from a client that does not decode."""

    def __init__(self) -> None:
        self.hashes: dict[bytes, dict[bytes, bytes]] = {}
        self.zsets: dict[bytes, dict[bytes, float]] = {}
        self.streams: dict[bytes, list[tuple[bytes, dict[bytes, bytes]]]] = {}
        self.expiring: set[bytes] = set()
        self.writes: Counter[bytes] = Counter()
        self._last_id = (0, 0)

    def keys(self) -> set[bytes]:
        return {*self.hashes, *self.zsets, *self.streams}

    def _written(self, name: object) -> bytes:
        key = _bytes(name)
        self.writes[key] += 1
        return key

    # hashes

    def hget(self, name: KeyT, key: FieldT) -> bytes | None:
        return self.hashes.get(_bytes(name), {}).get(_bytes(key))

    def hgetall(self, name: KeyT) -> dict[bytes | str, bytes | str]:
        return {field: value for field, value in self.hashes.get(_bytes(name), {}).items()}

    def hkeys(self, name: KeyT) -> list[bytes | str]:
        return [*self.hashes.get(_bytes(name), {})]

    def hvals(self, name: KeyT) -> list[bytes | str]:
        return [*self.hashes.get(_bytes(name), {}).values()]

    def hmget(self, name: KeyT, keys: FieldT | Iterable[FieldT], *args: FieldT) -> list[bytes | str | None]:
        if isinstance(keys, bytes | bytearray | memoryview | str | int | float):
            keys = [keys]
        return [self.hget(name, field) for field in [*keys, *args]]

    def hexists(self, name: KeyT, key: FieldT) -> bool:
        return self.hget(name, key) is not None

    def hset(
        self,
        name: KeyT,
        key: FieldT | None = None,
        value: EncodableT | None = None,
        mapping: Mapping[FieldT, EncodableT] | None = None,
    ) -> int:
        items = {**({key: value} if key is not None else {}), **(mapping or {})}
        fields = self.hashes.setdefault(self._written(name), {})
        added = sum(_bytes(field) not in fields for field in items)
        fields.update({_bytes(field): _bytes(item) for field, item in items.items()})
        return added

    def hdel(self, name: KeyT, *keys: FieldT) -> int:
        key = self._written(name)
        fields = self.hashes.get(key, {})
        removed = sum(fields.pop(_bytes(field), None) is not None for field in keys)
        if not fields:
            self.hashes.pop(key, None)
        return removed

    # sorted sets

    def _ranked(self, name: KeyT) -> list[tuple[float, bytes]]:
        return sorted((score, member) for member, score in self.zsets.get(_bytes(name), {}).items())

    def zadd(self, name: KeyT, mapping: Mapping[AnyKeyT, EncodableT]) -> int:
        members = self.zsets.setdefault(self._written(name), {})
        added = sum(_bytes(member) not in members for member in mapping)
        members.update({_bytes(member): float(_bytes(score)) for member, score in mapping.items()})
        return added

    def zrem(self, name: KeyT, *values: FieldT) -> int:
        key = self._written(name)
        members = self.zsets.get(key, {})
        removed = sum(members.pop(_bytes(member), None) is not None for member in values)
        if not members:
            self.zsets.pop(key, None)
        return removed

    def zrange(self, name: KeyT, start: EncodableT, end: EncodableT) -> list[bytes | str]:
        last = int(_bytes(end))
        ranked = self._ranked(name)[int(_bytes(start)) : None if last == -1 else last + 1]
        return [member for _score, member in ranked]

    def zrangebyscore(self, name: KeyT, min: ZScoreBoundT, max: ZScoreBoundT) -> list[bytes | str]:
        low, high = float(_bytes(min)), float(_bytes(max))
        return [member for score, member in self._ranked(name) if low <= score <= high]

    # streams

    def xadd(self, name: KeyT, fields: dict[FieldT, EncodableT]) -> bytes:
        millis = max(int(time.time() * 1000), self._last_id[0])
        self._last_id = (millis, self._last_id[1] + 1 if millis == self._last_id[0] else 0)
        event_id = f"{self._last_id[0]}-{self._last_id[1]}".encode()
        event = {_bytes(field): _bytes(value) for field, value in fields.items()}
        self.streams.setdefault(self._written(name), []).append((event_id, event))
        return event_id

    def xlen(self, name: KeyT) -> int:
        return len(self.streams.get(_bytes(name), []))

    def xrevrange(
        self, name: KeyT, max: StreamIdT = "+", min: StreamIdT = "-", count: int | None = None
    ) -> StreamRangeResponse | None:
        if (max, min) != ("+", "-"):
            raise NotImplementedError("MemoryKeyspace reads a whole stream backwards only")
        events = self.streams.get(_bytes(name), [])[::-1][:count]
        return [(event_id, {field: value for field, value in fields.items()}) for event_id, fields in events]

    def xread(self, streams: dict[KeyT, StreamIdT], count: int | None = None) -> list[list[Any]]:
        answer: list[list[Any]] = []
        for name, cursor in streams.items():
            after = [event for event in self.streams.get(_bytes(name), []) if _stream_id(event[0]) > _stream_id(cursor)]
            if after[:count]:
                answer.append([_bytes(name), after[:count]])
        return answer

    def xinfo_stream(self, name: KeyT) -> dict[str, Any]:
        if _bytes(name) not in self.streams:
            raise redis.exceptions.ResponseError("no such key")
        events = self.streams[_bytes(name)]
        # Nothing is ever trimmed here: MemoryRedis runs no Lua, which the trim needs.
        return {"length": len(events), "max-deleted-entry-id": b"0-0"}

    # keys

    def rename(self, src: KeyT, dst: KeyT) -> bool:
        source, target = self._written(src), self._written(dst)
        if source not in self.hashes:
            raise redis.exceptions.ResponseError("no such key")
        self.hashes[target] = self.hashes.pop(source)
        if source in self.expiring:
            self.expiring.discard(source)
            self.expiring.add(target)
        return True

    def persist(self, name: KeyT) -> bool:
        key = self._written(name)
        was_expiring = key in self.expiring
        self.expiring.discard(key)
        return was_expiring

    def expire(self, name: KeyT, time: ExpiryT) -> bool:
        key = self._written(name)
        if key not in self.keys():
            return False
        self.expiring.add(key)  # the time itself is not kept: nothing here lives that long
        return True

    def delete(self, *names: KeyT) -> int:
        deleted = 0
        for name in names:
            key = self._written(name)
            found = [store.pop(key, None) for store in (self.hashes, self.zsets, self.streams)]
            self.expiring.discard(key)
            deleted += any(value is not None for value in found)
        return deleted


class _MemoryCommands:
    """The commands of `MemoryKeyspace` as a client or a pipeline offers them; `_run` decides
    whether a command runs now or waits for EXEC."""

    _keyspace: MemoryKeyspace

    def _run(self, command: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        raise NotImplementedError

    def hget(self, name: KeyT, key: FieldT) -> bytes | str | None:
        return self._run(self._keyspace.hget, name, key)

    def hgetall(self, name: KeyT) -> dict[bytes | str, bytes | str]:
        return self._run(self._keyspace.hgetall, name)

    def hkeys(self, name: KeyT) -> list[bytes | str]:
        return self._run(self._keyspace.hkeys, name)

    def hvals(self, name: KeyT) -> list[bytes | str]:
        return self._run(self._keyspace.hvals, name)

    def hmget(self, name: KeyT, keys: FieldT | Iterable[FieldT], *args: FieldT) -> list[bytes | str | None]:
        return self._run(self._keyspace.hmget, name, keys, *args)

    def hexists(self, name: KeyT, key: FieldT) -> bool:
        return self._run(self._keyspace.hexists, name, key)

    def hset(
        self,
        name: KeyT,
        key: FieldT | None = None,
        value: EncodableT | None = None,
        mapping: Mapping[FieldT, EncodableT] | None = None,
    ) -> int:
        return self._run(self._keyspace.hset, name, key, value, mapping)

    def hdel(self, name: KeyT, *keys: FieldT) -> int:
        return self._run(self._keyspace.hdel, name, *keys)

    def zadd(self, name: KeyT, mapping: Mapping[AnyKeyT, EncodableT]) -> int:
        return self._run(self._keyspace.zadd, name, mapping)

    def zrem(self, name: KeyT, *values: FieldT) -> int:
        return self._run(self._keyspace.zrem, name, *values)

    def zrange(self, name: KeyT, start: EncodableT, end: EncodableT) -> list[bytes | str]:
        return self._run(self._keyspace.zrange, name, start, end)

    def zrangebyscore(self, name: KeyT, min: ZScoreBoundT, max: ZScoreBoundT) -> list[bytes | str]:
        return self._run(self._keyspace.zrangebyscore, name, min, max)

    def xadd(self, name: KeyT, fields: dict[FieldT, EncodableT]) -> bytes:
        return self._run(self._keyspace.xadd, name, fields)

    def xlen(self, name: KeyT) -> int:
        return self._run(self._keyspace.xlen, name)

    def xrevrange(
        self, name: KeyT, max: StreamIdT = "+", min: StreamIdT = "-", count: int | None = None
    ) -> StreamRangeResponse | None:
        return self._run(self._keyspace.xrevrange, name, max, min, count)

    def rename(self, src: KeyT, dst: KeyT) -> bool:
        return self._run(self._keyspace.rename, src, dst)

    def persist(self, name: KeyT) -> bool:
        return self._run(self._keyspace.persist, name)

    def expire(self, name: KeyT, time: ExpiryT) -> bool:
        return self._run(self._keyspace.expire, name, time)

    def delete(self, *names: KeyT) -> int:
        return self._run(self._keyspace.delete, *names)


class MemoryRedis(_MemoryCommands):
    """The part of the synchronous redis.Redis the watchlist reader and writer use (`WriterClient`),
    in memory. Transactions behave as Redis's do: commands after WATCH answer at once, after MULTI
    they wait for EXEC, which fails with WatchError if a watched key was written meanwhile. No Lua:
    `eval` (the change feed's trim, only run past 600,000 events) raises NotImplementedError.
    """

    def __init__(self) -> None:
        self._keyspace = MemoryKeyspace()

    @property
    def keyspace(self) -> MemoryKeyspace:
        return self._keyspace

    def _run(self, command: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return command(*args, **kwargs)

    def pipeline(self, transaction: bool = True) -> MemoryPipeline:
        return MemoryPipeline(self._keyspace)

    def xread(
        self, streams: dict[KeyT, StreamIdT], count: int | None = None, block: int | None = None
    ) -> list[list[Any]]:
        return self._keyspace.xread(streams, count)  # nothing can arrive while a test waits: no blocking

    def xinfo_stream(self, name: KeyT, full: bool = False) -> dict[str, Any]:
        return self._keyspace.xinfo_stream(name)

    def eval(self, script: str, numkeys: int, *keys_and_args: KeyT | EncodableT) -> Any:
        raise NotImplementedError("MemoryRedis runs no Lua scripts")

    def scan_iter(self, match: PatternT | None = None, count: int | None = None) -> Iterator[bytes | str]:
        pattern = _bytes(match or "*").decode()
        return iter([key for key in sorted(self._keyspace.keys()) if fnmatch.fnmatchcase(key.decode(), pattern)])


class MemoryPipeline(_MemoryCommands):
    def __init__(self, keyspace: MemoryKeyspace) -> None:
        self._keyspace = keyspace
        self._watched: dict[bytes, int] = {}
        self._immediate = False
        self._queued: list[Callable[[], object]] = []

    def _run(self, command: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        if self._immediate:
            return command(*args, **kwargs)
        self._queued.append(functools.partial(command, *args, **kwargs))
        # As redis-py: a queued command answers with the pipeline (its reply comes from execute).
        return cast(R, self)

    def watch(self, *names: KeyT) -> bool:
        self._watched.update({_bytes(name): self._keyspace.writes[_bytes(name)] for name in names})
        self._immediate = True
        return True

    def multi(self) -> None:
        self._immediate = False

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            if any(self._keyspace.writes[key] != seen for key, seen in self._watched.items()):
                raise redis.exceptions.WatchError("Watched variable changed.")
            return [command() for command in self._queued]
        finally:
            self.reset()

    def reset(self) -> None:
        self._watched, self._immediate, self._queued = {}, False, []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc_value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.reset()


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


class MemoryCasesTopic:
    """The `cases` topic in memory, one partition, for case operations on real desk stores: publishing
    appends; `sync(store)` applies what the store has not read, and reads a case's earlier events back
    for an invited desk as the materialiser does."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes]] = []  # (case id, event)

    def publish(self, event: CaseEvent) -> None:
        self.records.append((event.case_id, event.model_dump_json().encode()))

    def events(self) -> list[CaseEvent]:
        return [CaseEvent.model_validate_json(value) for _, value in self.records]

    def earlier(self, case_id: str, partition: int, before: int) -> list[CaseRecord]:
        return [CaseRecord(0, offset, value) for offset, (key, value) in enumerate(self.records[:before])
                if key == case_id]

    def sync(self, store: DeskStore) -> None:
        records = [StoreRecord("cases", 0, offset, value, "case") for offset, (_, value) in enumerate(self.records)]
        store.apply(records, self.earlier)
