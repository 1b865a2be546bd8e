"""What every feed format provides: recognising it, cutting a file into messages, decoding one.

A format turns a feed's own bytes into documents in the shape of the JSON contract (the
pydantic models in services/shared/models); checking those documents, codes included, is the
same for every format and happens after decoding (services/ingest/checks.py). A decoder only
refuses what it cannot read, with a reason and, where it has one, the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import IO, Any, Protocol

#: Headers a publisher sets on `manifests.raw`: which format the bytes are in, and which feed sent them.
FORMAT_HEADER = "interdict.format"
FEED_HEADER = "interdict.feed"

Document = dict[str, Any]

#: An encoder's refusal: the document holds what the format cannot carry.
UNSUPPORTED_DOCUMENT = "unsupported_document"


class FormatError(Exception):
    """The bytes cannot be read as this format. `reason` is a short code for metrics and the DLQ."""

    def __init__(self, reason: str, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.reason = reason
        self.message = str(self)
        self.line = line


@dataclass(frozen=True)
class Context:
    """What a decoder knows besides the bytes: the feed (header or configuration) and when it arrived."""

    feed: str | None
    received_at: datetime


@dataclass(frozen=True)
class Message:
    """One message cut from a feed's file, ready to publish: where it starts, its bytes, its key."""

    line: int
    payload: bytes
    key: bytes | None = None


class Format(Protocol):
    name: str

    def sniff(self, head: bytes) -> bool:
        """Whether a file or message starting with `head` (its first few KiB) is in this format."""
        ...

    def split(self, handle: IO[bytes]) -> Iterator[Message]:
        """Cut a file into messages, one per manifest (or per AIS message), each decodable alone.

        Raises FormatError (with the line) for what cannot be framed at all; content errors are
        left to `decode`, so they reach the dead-letter topic with their reason.
        """
        ...

    def decode(self, payload: bytes, context: Context) -> list[Document]:
        """The documents one message holds: manifests (kind shipment or vessel), or for AIS also
        vessel positions (kind position). Raises FormatError for what it cannot read."""
        ...

    def encode(self, documents: Sequence[Document]) -> bytes:
        """Documents in the JSON contract's shape, written in this format (for the generator and
        for round-trip tests): `decode` of each message `split` from the result gives them back."""
        ...


# -- for encoders ----------------------------------------------------------------------------------


def require_fields(value: Any, fields: Iterable[str], what: str, format_name: str) -> None:
    """A part of a document must be an object with only fields the format carries: dropping one
    would make the round trip silently lossy."""
    if not isinstance(value, dict):
        raise FormatError(UNSUPPORTED_DOCUMENT, f"a {what} must be an object, got {type(value).__name__}")
    unknown = set(value) - set(fields)
    if unknown:
        listed = ", ".join(sorted(unknown))
        raise FormatError(UNSUPPORTED_DOCUMENT, f"the {what} has field(s) {format_name} does not carry: {listed}")


def plain_text(value: Any) -> str | None:
    """A value as text when it is text already (None is empty, an enum its value); else None."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    return value if isinstance(value, str) else None
