"""Dead-letter headers in the style of Kafka Connect's error reporting (KIP-298).

The record keeps the original key and value bytes untouched; the headers say where it came from
and why it was rejected, so a feed operator can fix and replay it.
"""

from __future__ import annotations

from typing import Protocol

HEADER_PREFIX = "__connect.errors."


class SourceRecord(Protocol):
    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...


def dead_letter_headers(
    source: SourceRecord, error_class: str, error_message: str, service: str, reason: str
) -> dict[str, bytes]:
    return {
        f"{HEADER_PREFIX}topic": source.topic.encode(),
        f"{HEADER_PREFIX}partition": str(source.partition).encode(),
        f"{HEADER_PREFIX}offset": str(source.offset).encode(),
        f"{HEADER_PREFIX}exception.class.name": error_class.encode(),
        f"{HEADER_PREFIX}exception.message": error_message.encode(),
        f"{HEADER_PREFIX}stage": b"VALUE_CONVERTER",
        "interdict.errors.service": service.encode(),
        "interdict.errors.reason": reason.encode(),
    }


def decode_headers(headers: list[tuple[str, bytes]] | dict[str, bytes] | None) -> dict[str, str]:
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    return {name: (value or b"").decode("utf-8", "replace") for name, value in items}
