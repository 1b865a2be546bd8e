"""What flows through a stage: input records, the outputs a handler asks for, and rejections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

Headers = Sequence[tuple[str, bytes]]

#: Set by the first stage from the feed's publish time and carried unchanged by every later
#: stage, so the notifier (and a desk) can measure feed-to-desk latency.
PUBLISHED_AT_HEADER = "interdict.published-at-ms"


class TopicPartition(NamedTuple):
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One record read from the stage's source topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int = 0

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    @property
    def position(self) -> str:
        """Where this record sits, as text: tells a redelivery of this record from a copy of it."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def published_at_ms(self) -> int:
        """When the feed published the manifest this record derives from (its own time if first)."""
        carried = self.header(PUBLISHED_AT_HEADER)
        if carried is not None:
            try:
                return int(carried)
            except ValueError:
                pass
        return self.timestamp_ms


@dataclass(frozen=True, slots=True)
class Output:
    """A record the handler wants produced for one input."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()

    @property
    def size(self) -> int:
        """Bytes the record takes in a produce request, near enough to compare with size limits."""
        header_bytes = sum(len(name) + len(value or b"") + 8 for name, value in self.headers)
        return len(self.key or b"") + len(self.value) + header_bytes + 64


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an input cannot be processed: it goes to the dead-letter topic with this reason."""

    reason: str
    message: str
    error_class: str = "Rejected"


@dataclass(slots=True)
class Outcome:
    """What a handler decided for one input: outputs to produce, or a rejection."""

    outputs: list[Output] = field(default_factory=list)
    rejection: Rejection | None = None

    @classmethod
    def rejected(cls, reason: str, message: str, error_class: str = "Rejected") -> Outcome:
        return cls(rejection=Rejection(reason, message, error_class))
