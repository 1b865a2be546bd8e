"""Reading the dead-letter topic: each record parsed into a `DeadLetter`, whatever its headers say.

Anyone allowed to write to the topic can write anything, so parsing never raises: a header that is
missing or garbage leaves its field None and adds a line to `problems`, and a record the Kafka
client itself cannot decode becomes a letter saying so. Reading takes the end offsets once and
stops there (read_committed: an aborted dead letter never shows, an open transaction is never
waited for), one partition at a time and one poll at a time, so neither a growing topic nor a
large one can make it hang or fill memory.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kafka import TopicPartition
from kafka.errors import CorruptRecordError

from services.shared import topics
from services.shared.dead_letter import HEADER_PREFIX
from services.shared.kafka_clients import kafka_consumer, topic_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.settings import Settings

#: A record header as the Kafka client gives it: a value may be null.
Header = tuple[str, bytes | None]

# What the stage writes (services/shared/dead_letter.py and services/shared/stage/runner.py).
SOURCE_TOPIC = f"{HEADER_PREFIX}topic"
SOURCE_PARTITION = f"{HEADER_PREFIX}partition"
SOURCE_OFFSET = f"{HEADER_PREFIX}offset"
ERROR_CLASS = f"{HEADER_PREFIX}exception.class.name"
ERROR_MESSAGE = f"{HEADER_PREFIX}exception.message"
SERVICE = "interdict.errors.service"
REASON = "interdict.errors.reason"
ORIGINAL_BYTES = "interdict.errors.original-bytes"
TRUNCATED = "interdict.errors.truncated"
ORIGINAL_SHA256 = "interdict.errors.original-sha256"
ORIGINAL_KEY_SHA256 = "interdict.errors.original-key-sha256"
#: Headers in these namespaces describe the rejection; every other header is the input's own.
ERROR_PREFIXES = (HEADER_PREFIX, "interdict.errors.")

# What a publisher of manifests.raw sets (the same names as services/ingest/formats/base.py).
FEED_HEADER = "interdict.feed"
FORMAT_HEADER = "interdict.format"
# What a replay adds (replay.py); a letter carrying them was replayed once and rejected again.
REPLAYED_FROM = "interdict.replayed-from"
REPLAYED_AT = "interdict.replayed-at"

_NUMBER = re.compile(r"[0-9]{1,19}")  # int() would also take "+1", " 1", "1_0" and other digits
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DURATION = re.compile(r"(?:[0-9]+[smhdw])+")
_DURATION_PART = re.compile(r"([0-9]+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of the dead-letter topic, as far as its headers can be trusted.

    Fields read from headers are None when the header is missing or unusable; `problems` says
    which, so the letter can still be shown as it is.
    """

    topic: str
    partition: int
    offset: int
    #: the record's timestamp: when the stage dead-lettered the input (None if it has none usable)
    dead_lettered_at: datetime | None
    reason: str | None
    service: str | None
    error_class: str | None
    message: str | None
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    feed: str | None
    format: str | None
    key: bytes | None
    value: bytes
    #: the size of the rejected input's value, as the stage recorded it
    original_bytes: int | None
    #: the value is only the first bytes of the input (too large to dead-letter whole)
    truncated: bool
    original_sha256: str | None
    #: set when the key too was cut: the digest of the whole key
    original_key_sha256: str | None
    #: the input's own headers (not the error ones), in order: what a replay sends again
    headers: tuple[Header, ...] = ()
    #: `<dlq topic>:<partition>:<offset>` of an earlier letter this input was replayed from
    replayed_from: str | None = None
    #: why the Kafka client could not decode the record, for a record it could not decode
    unreadable: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def source_position(self) -> str:
        parts = (self.source_topic, self.source_partition, self.source_offset)
        return ":".join("?" if part is None else str(part) for part in parts)

    @property
    def size(self) -> int:
        """The rejected input's size: what the stage recorded, else what the letter holds."""
        return self.original_bytes if self.original_bytes is not None else len(self.value)

    def incomplete(self) -> str | None:
        """Why this letter does not hold the whole input (so it cannot be sent again), or None."""
        if self.unreadable is not None:
            return "the record cannot be decoded"
        if self.truncated:
            return f"a truncated excerpt ({len(self.value)} of {self.size} bytes): the feed must send the message again"
        if self.original_key_sha256 is not None:
            return "its key was cut: the feed must send the message again"
        if self.original_bytes is not None and self.original_bytes != len(self.value):
            return f"it holds {len(self.value)} bytes of the {self.original_bytes} the input had"
        if self.original_sha256 is not None and hashlib.sha256(self.value).hexdigest() != self.original_sha256:
            return "its value does not match the input's recorded digest"
        return None


@dataclass(frozen=True, slots=True)
class Selection:
    """Which letters to show or replay: all of them unless narrowed."""

    reasons: frozenset[str] = frozenset()
    feed: str | None = None
    since: datetime | None = None

    def matches(self, letter: DeadLetter) -> bool:
        if self.reasons and letter.reason not in self.reasons:
            return False
        if self.feed is not None and letter.feed != self.feed:
            return False
        # a letter without a usable time cannot be said to be recent
        return self.since is None or (letter.dead_lettered_at is not None and letter.dead_lettered_at >= self.since)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`30m`, `2h`, `7d`, `1w`, `1h30m` (that long before now) or an ISO 8601 time (UTC if it names no zone).

    Raises ValueError with a message for the user.
    """
    spec = text.strip()
    now = now if now is not None else datetime.now(UTC)
    if _DURATION.fullmatch(spec):
        try:
            delta = sum(
                (timedelta(**{_UNITS[unit]: int(count)}) for count, unit in _DURATION_PART.findall(spec)),
                timedelta(),
            )
            return now - delta
        except OverflowError:
            raise ValueError(f"{text!r} is further back than a date can go") from None
    try:
        moment = datetime.fromisoformat(spec)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30m, 2h, 7d, 1w) nor an ISO 8601 time (2026-11-20T08:15:00Z)"
        ) from None
    # times on the broker are UTC, and so is what `show` prints
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_letter(
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int | None,
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[Header] | None,
) -> DeadLetter:
    """A dead letter from a record's parts; never raises, whatever the headers hold."""
    problems: list[str] = []
    errors: dict[str, list[bytes | None]] = {}
    own: list[Header] = []
    for name, raw in headers or ():
        if name.startswith(ERROR_PREFIXES):
            errors.setdefault(name, []).append(raw)
        else:
            own.append((name, raw))

    def error_text(name: str) -> str | None:
        values = errors.get(name)
        if not values:
            return None
        if len(set(values)) > 1:
            # the stage appends its headers after the input's own, so its are the last ones
            problems.append(f"{name} appears {len(values)} times; the last is used")
        return _text(name, values[-1], problems)

    def own_text(name: str) -> str | None:
        # the first, as the services read the input's headers (InputRecord.header)
        raw = next((raw for header, raw in own if header == name), None)
        if raw is None:
            return None
        return _text(name, raw, problems) or None

    def number(name: str, limit: int, required: bool) -> int | None:
        text = error_text(name)
        if text is None:
            if required:
                problems.append(f"no {name} header")
            return None
        if not _NUMBER.fullmatch(text) or int(text) > limit:
            problems.append(f"{name} is not a position or size: {text!r}")
            return None
        return int(text)

    def digest(name: str) -> str | None:
        text = error_text(name)
        if text is not None and not _SHA256.fullmatch(text.lower()):
            problems.append(f"{name} is not a SHA-256 digest: {text!r}")
        return text.lower() if text is not None else None

    reason = error_text(REASON)
    if reason is None:
        problems.append(f"no {REASON} header")
    source_topic = error_text(SOURCE_TOPIC)
    if source_topic is None:
        problems.append(f"no {SOURCE_TOPIC} header")
    truncated_text = error_text(TRUNCATED)
    truncated = truncated_text is not None and truncated_text != "false"
    if truncated_text not in (None, "true", "false"):
        # anything but a clear "false" may mean the value is not whole: never send it on as if it were
        problems.append(f"{TRUNCATED} is {truncated_text!r}, taken as true")
    if value is None:
        problems.append("the record has no value (null)")
    return DeadLetter(
        topic=topic,
        partition=partition,
        offset=offset,
        dead_lettered_at=_timestamp(timestamp_ms, problems),
        reason=reason,
        service=error_text(SERVICE),
        error_class=error_text(ERROR_CLASS),
        message=error_text(ERROR_MESSAGE),
        source_topic=source_topic,
        source_partition=number(SOURCE_PARTITION, _INT32_MAX, required=True),
        source_offset=number(SOURCE_OFFSET, _INT64_MAX, required=True),
        feed=own_text(FEED_HEADER) or _feed_of(key),
        format=own_text(FORMAT_HEADER),
        key=key,
        value=value or b"",
        original_bytes=number(ORIGINAL_BYTES, _INT64_MAX, required=False),
        truncated=truncated,
        original_sha256=digest(ORIGINAL_SHA256),
        original_key_sha256=digest(ORIGINAL_KEY_SHA256),
        headers=tuple(own),
        replayed_from=own_text(REPLAYED_FROM),
        problems=tuple(problems),
    )


def unreadable_letter(topic: str, partition: int, offset: int, error: BaseException) -> DeadLetter:
    """A record the Kafka client cannot decode: shown as a letter with nothing but where it is."""
    return DeadLetter(
        topic=topic,
        partition=partition,
        offset=offset,
        dead_lettered_at=None,
        reason=None,
        service=None,
        error_class=None,
        message=None,
        source_topic=None,
        source_partition=None,
        source_offset=None,
        feed=None,
        format=None,
        key=None,
        value=b"",
        original_bytes=None,
        truncated=False,
        original_sha256=None,
        original_key_sha256=None,
        unreadable=f"{type(error).__name__}: {error}",
        problems=(f"the Kafka client cannot decode the record batch from this offset on: {error}",),
    )


def _text(name: str, raw: bytes | None, problems: list[str]) -> str:
    if raw is None:
        problems.append(f"{name} has a null value")
        return ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{name} is not UTF-8 (shown with replacement characters)")
        return raw.decode("utf-8", "replace")


def _timestamp(timestamp_ms: int | None, problems: list[str]) -> datetime | None:
    # Kafka writes -1 for "no timestamp"; a producer may set any 64-bit value, most of which no
    # datetime can hold
    if timestamp_ms is None or timestamp_ms < 0:
        problems.append("the record has no timestamp")
        return None
    try:
        return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        problems.append(f"the record's timestamp {timestamp_ms} is not a representable time")
        return None


def _feed_of(key: bytes | None) -> str | None:
    """Keys are `feed:manifest_id` (services/feed/publish.py); a key in another shape names no feed."""
    if not key or b":" not in key:
        return None
    try:
        return key.split(b":", 1)[0].decode("utf-8") or None
    except UnicodeDecodeError:
        return None


# -- reading ---------------------------------------------------------------------------------


class DeadLetterTopicMissing(Exception):
    """The dead-letter topic is not on the broker."""


class ReadStalled(Exception):
    """Reading made no progress for too long (the broker is away, or a partition has no leader)."""


def dead_letter_topic(settings: Settings) -> str:
    return topics.qualified(settings, topics.MANIFESTS_DLQ)


class LetterReader:
    """Reads the dead-letter topic up to given end offsets; close it (or use `with`) when done."""

    def __init__(
        self, settings: Settings, *, stall_timeout_s: float = 60.0, poll_ms: int = 500, max_poll_records: int = 200
    ) -> None:
        self.topic = dead_letter_topic(settings)
        self._stall_timeout_s = stall_timeout_s
        self._poll_ms = poll_ms
        self._max_poll_records = max_poll_records
        self._consumer = kafka_consumer(
            settings,
            OPERATOR,
            group_id=None,  # an inspection: it must not move any service's committed offsets
            enable_auto_commit=False,
            # an aborted transaction's dead letter was never real (its batch was read again)
            isolation_level="read_committed",
            # offsets removed by retention while reading: carry on from the oldest one left
            auto_offset_reset="earliest",
            # the broker checked each batch's CRC when it was written; kafka-python checks it again
            # in pure Python unless the `crc32c` package is installed, which limits reading to a
            # few MB/s
            check_crcs=False,
            client_id="interdict-dlq",
        )

    def __enter__(self) -> LetterReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._consumer.close()

    def end_offsets(self) -> dict[TopicPartition, int]:
        """Where each partition ends now (its last stable offset): reading stops there."""
        partitions = topic_partitions(self._consumer, self.topic)
        if not partitions:
            raise DeadLetterTopicMissing(f"there is no topic {self.topic} (`interdict topics ensure` creates it)")
        return self._consumer.end_offsets(partitions)

    def letters(
        self, ends: Mapping[TopicPartition, int], selection: Selection | None = None
    ) -> Generator[DeadLetter, None, None]:
        """The selected letters below `ends`, partition by partition, oldest first within each."""
        selection = selection or Selection()
        starts = self._starts(ends, selection.since)
        for tp in sorted(ends, key=lambda tp: tp.partition):
            if starts[tp] < ends[tp]:
                yield from self._read_partition(tp, starts[tp], ends[tp], selection)

    def _starts(self, ends: Mapping[TopicPartition, int], since: datetime | None) -> dict[TopicPartition, int]:
        starts = self._consumer.beginning_offsets(list(ends))
        since_ms = int(since.timestamp() * 1000) if since is not None else 0
        if since_ms > 0:  # negative timestamps mean "latest" and "earliest" to the broker
            # the broker finds the first record at or after the time; nothing before it qualifies
            found = self._consumer.offsets_for_times({tp: since_ms for tp in ends})
            for tp, at in found.items():
                starts[tp] = max(starts[tp], at.offset) if at is not None else ends[tp]
        return starts

    def _read_partition(self, tp: TopicPartition, start: int, end: int, selection: Selection) -> Iterator[DeadLetter]:
        # One partition at a time: when the client fails to decode a record, the partition it is
        # on is then known, and the reader can step over it.
        consumer = self._consumer
        consumer.assign([tp])
        consumer.seek(tp, start)
        progress_at, reached = time.monotonic(), start
        while True:
            position = consumer.position(tp)
            if position is not None and position >= end:
                return
            if position is not None and position > reached:
                progress_at, reached = time.monotonic(), position
            elif time.monotonic() - progress_at > self._stall_timeout_s:
                raise ReadStalled(
                    f"no progress reading {tp.topic}:{tp.partition} at offset {reached} "
                    f"for {self._stall_timeout_s:.0f}s; is the broker up?"
                )
            try:
                fetched = consumer.poll(timeout_ms=self._poll_ms, max_records=self._max_poll_records)
            except CorruptRecordError as error:
                # e.g. a header name that is not UTF-8: kafka-python refuses the whole batch from
                # that record on, on every fetch; show each offset as unreadable and step past it
                bad = max(consumer.position(tp) or reached, reached)
                letter = unreadable_letter(tp.topic, tp.partition, bad, error)
                if selection.matches(letter):
                    yield letter
                consumer.seek(tp, bad + 1)
                continue
            for record in fetched.get(tp, []):
                if record.offset >= end:  # written after the start: not part of this reading
                    return
                letter = parse_letter(
                    tp.topic, tp.partition, record.offset, record.timestamp, record.key, record.value, record.headers
                )
                if selection.matches(letter):
                    yield letter


@dataclass
class ReasonCounts:
    """Letters per reason, with a bound on distinct reasons: a hostile topic can make every one unique."""

    limit: int = 1000
    counts: dict[str, int] = field(default_factory=dict)
    other: int = 0

    def add(self, letter: DeadLetter) -> None:
        reason = reason_label(letter)
        if reason in self.counts or len(self.counts) < self.limit:
            self.counts[reason] = self.counts.get(reason, 0) + 1
        else:
            self.other += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.other

    def most_common(self) -> list[tuple[str, int]]:
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return [*ranked, ("(other reasons)", self.other)] if self.other else ranked


def reason_label(letter: DeadLetter) -> str:
    if letter.unreadable is not None:
        return "(unreadable)"
    return letter.reason if letter.reason is not None else "(no reason)"
