"""JSON: one manifest per message, in the contract's own shape; files are JSON Lines."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO

import orjson

from services.ingest.formats.base import Context, Document, FormatError, Message


class JsonFormat:
    name = "json"

    def sniff(self, head: bytes) -> bool:
        for line in head.lstrip(b"\xef\xbb\xbf").splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                return stripped[:1] in (b"{", b"[")  # an array is still JSON: refused as not_an_object
        return False

    def split(self, handle: IO[bytes]) -> Iterator[Message]:
        # Lines are sent exactly as written: a malformed line must reach the dead-letter topic
        # with its reason rather than vanish on the feed's side.
        for number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                yield Message(number, stripped, key_of(stripped))

    def decode(self, payload: bytes, context: Context) -> list[Document]:
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            raise FormatError("invalid_json", f"not JSON: {error}") from error
        if not isinstance(document, dict):
            raise FormatError("not_an_object", f"expected a JSON object, got {type(document).__name__}")
        return [document]

    def encode(self, documents: Sequence[Document]) -> bytes:
        return b"".join(orjson.dumps(document) + b"\n" for document in documents)


def key_of(line: bytes) -> bytes | None:
    """Keyed by feed and manifest id when the line says them, so versions of a manifest stay in order."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(document, dict) and document.get("feed") and document.get("manifest_id"):
        return f"{document['feed']}:{document['manifest_id']}".encode()
    return None


JSON_FORMAT = JsonFormat()
