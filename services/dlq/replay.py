"""Re-publishing dead letters to the topic they came from, once what rejected them is fixed.

A letter goes back with its original key, value and headers (the error headers dropped) and two
more: `interdict.replayed-from` (which letter) and `interdict.replayed-at`. Only whole inputs go
back: an excerpt of an input too large to dead-letter whole would be a different, cut message, so
it is skipped, and so is a letter naming a source topic that is not one of the pipeline's inputs
(anyone able to write to the dead-letter topic could otherwise make us publish anywhere).

Every send is acknowledged by all in-sync replicas before it counts as replayed; a failed send is
reported by letter, never silently dropped. Sends are pipelined in a window bounded in records and
bytes, so a large replay neither waits for each acknowledgement in turn nor holds every record in
memory.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, cast

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from services.dlq.letters import REPLAYED_AT, REPLAYED_FROM, DeadLetter, Header
from services.shared import topics
from services.shared.kafka_clients import kafka_producer
from services.shared.kafka_security import OPERATOR
from services.shared.settings import Settings

#: Why a letter is skipped, as counted in the report (the letter's particulars go with each notice).
UNREADABLE = "unreadable record"
TRUNCATED = "truncated excerpt: the feed must send the message again"
INCOMPLETE = "value not whole"
NO_SOURCE = "no source topic"
FOREIGN_SOURCE = "source topic is not a pipeline input"

#: Failures the report keeps for its summary (every one is also a Notice, printed as it happens).
FAILURES_LISTED = 20

Kind = Literal["replayed", "would replay", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class Skip:
    why: str  # the same for every letter skipped for the same cause: what the report counts
    detail: str  # this letter's particulars


@dataclass(frozen=True, slots=True)
class Notice:
    """What happened to one letter, for the command to print as it goes."""

    kind: Kind
    letter: str  # the letter's position on the dead-letter topic
    topic: str | None
    detail: str = ""


@dataclass
class ReplayReport:
    replayed: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    #: the first failures, `<letter>: <error>`, for the summary
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


def replay_targets(settings: Settings) -> frozenset[str]:
    """The topics a letter may go back to: the inputs of the services that dead-letter."""
    return frozenset(topics.qualified(settings, base) for base in topics.SERVICE_INPUTS.values())


def skip_reason(letter: DeadLetter, targets: frozenset[str]) -> Skip | None:
    """Why this letter cannot be replayed, or None if it can."""
    incomplete = letter.incomplete()
    if letter.unreadable is not None:
        return Skip(UNREADABLE, letter.unreadable)
    if incomplete is not None:
        cut = letter.truncated or letter.original_key_sha256 is not None
        return Skip(TRUNCATED if cut else INCOMPLETE, incomplete)
    if letter.source_topic is None:
        return Skip(NO_SOURCE, "no __connect.errors.topic header: it does not say where it came from")
    if letter.source_topic not in targets:
        return Skip(FOREIGN_SOURCE, f"{letter.source_topic!r} is not one of {', '.join(sorted(targets))}")
    return None


def replay_headers(letter: DeadLetter, now: datetime) -> list[Header]:
    """The input's own headers, with where and when it was replayed from (replacing an earlier replay's)."""
    own = [(name, value) for name, value in letter.headers if name not in (REPLAYED_FROM, REPLAYED_AT)]
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds")
    return [*own, (REPLAYED_FROM, letter.position.encode()), (REPLAYED_AT, stamp.encode())]


def make_replay_producer(settings: Settings) -> KafkaProducer:
    return kafka_producer(
        settings,
        OPERATOR,
        client_id="interdict-dlq-replay",
        acks="all",
        # no duplicate from the client's own retries; order kept per partition
        enable_idempotence=True,
        delivery_timeout_ms=60_000,
        linger_ms=5,
        # a letter holds at most what a stage may produce, plus headers; the broker has the last word
        max_request_size=max(2 * settings.max_message_bytes, 1024 * 1024),
        # only existing pipeline topics are written to; a missing one is a failure, not a new topic
        allow_auto_create_topics=False,
    )


class Replayer:
    """Sends letters back and accounts for each: replayed (acknowledged), skipped, or failed.

    Call `offer` for every selected letter, then `finish` for the report. With `dry_run`, nothing
    is sent (and no producer is needed): the report says what would be.
    """

    def __init__(
        self,
        settings: Settings,
        notify: Callable[[Notice], None],
        *,
        dry_run: bool = False,
        producer: KafkaProducer | None = None,
        window: int = 1000,
        window_bytes: int = 16 * 1024 * 1024,
        ack_timeout_s: float = 90.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.report = ReplayReport()
        self._targets = replay_targets(settings)
        self._notify = notify
        self._dry_run = dry_run
        self._producer = producer if producer is not None or dry_run else make_replay_producer(settings)
        self._owns_producer = producer is None
        self._window = window
        self._window_bytes = window_bytes
        self._pending_bytes = 0
        self._ack_timeout_s = ack_timeout_s
        self._now = now
        self._pending: deque[tuple[str, str, int, FutureRecordMetadata]] = deque()

    def offer(self, letter: DeadLetter) -> None:
        skip = skip_reason(letter, self._targets)
        if skip is not None:
            self.report.skipped[skip.why] += 1
            self._notify(Notice("skipped", letter.position, letter.source_topic, skip.detail))
            return
        topic = cast(str, letter.source_topic)  # skip_reason refused a letter without one
        if self._dry_run or self._producer is None:
            self._acknowledged(letter.position, topic, "would replay")
            return
        try:
            future = self._producer.send(
                topic,
                key=letter.key,
                value=letter.value,
                # kafka-python sends a null header value as null; its stubs only say bytes
                headers=cast(Sequence[tuple[str, bytes]], replay_headers(letter, self._now())),
            )
        except Exception as error:  # refused before sending (too large, no metadata): this letter only
            self._failed(letter.position, topic, error)
            return
        size = len(letter.key or b"") + len(letter.value)
        self._pending.append((letter.position, topic, size, future))
        self._pending_bytes += size
        # sent records are held until acknowledged: bound them in number and in bytes
        while len(self._pending) > self._window or self._pending_bytes > self._window_bytes:
            self._settle_oldest()

    def finish(self) -> ReplayReport:
        """Wait for every acknowledgement (or failure) still due; close the producer if it is ours."""
        try:
            while self._pending:
                self._settle_oldest()
        finally:
            if self._producer is not None and self._owns_producer:
                self._producer.close(timeout=10)
        return self.report

    def _settle_oldest(self) -> None:
        position, topic, size, future = self._pending.popleft()
        self._pending_bytes -= size
        try:
            future.get(timeout=self._ack_timeout_s)
        except Exception as error:  # whatever the cause, this letter is not replayed; the rest still count
            self._failed(position, topic, error)
        else:
            self._acknowledged(position, topic, "replayed")

    def _acknowledged(self, position: str, topic: str, kind: Kind) -> None:
        self.report.replayed += 1
        self.report.by_topic[topic] += 1
        self._notify(Notice(kind, position, topic))

    def _failed(self, position: str, topic: str, error: BaseException) -> None:
        detail = f"{type(error).__name__}: {error}"
        self.report.failed += 1
        if len(self.report.failures) < FAILURES_LISTED:
            self.report.failures.append(f"{position}: {detail}")
        self._notify(Notice("failed", position, topic, detail))
