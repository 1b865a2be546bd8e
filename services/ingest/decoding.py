"""One raw record to what it holds: which format, which feed, then decoded, validated and checked.

The format comes from the record's `interdict.format` header (set by `interdict feed publish`),
else from the feed's configuration, else from the content itself. Anything that cannot be read
is an InvalidManifest with its reason, never an exception of another kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from services.ingest.checks import CodeBook, check_manifest
from services.ingest.errors import InvalidManifest
from services.ingest.feeds import FeedDirectory, load_feeds
from services.ingest.formats.base import FEED_HEADER, FORMAT_HEADER, Context, Document, Format, FormatError
from services.ingest.formats.registry import FORMATS, detect
from services.ingest.validation import describe_validation_error, validate_document
from services.shared.codes.ports import port_directory
from services.shared.models.ais import AisReport
from services.shared.models.ingest import CodeWarning
from services.shared.models.manifest import ShipmentManifest, VesselManifest
from services.shared.settings import Settings
from services.shared.stage import InputRecord

Manifest = ShipmentManifest | VesselManifest


@dataclass
class Decoded:
    format: str
    feed_owner: str | None
    received_at: datetime
    manifests: list[Manifest] = field(default_factory=list)
    #: per manifest, in the same order
    warnings: list[list[CodeWarning]] = field(default_factory=list)
    reports: list[AisReport] = field(default_factory=list)


class MessageDecoder:
    def __init__(self, feeds: FeedDirectory, book: CodeBook, max_bytes: int, clock: Callable[[], datetime]) -> None:
        self._feeds = feeds
        self._book = book
        self._max_bytes = max_bytes
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, clock: Callable[[], datetime] | None = None) -> MessageDecoder:
        feeds = load_feeds(settings.feeds_file)
        book = CodeBook(ports=port_directory(settings.unlocode_file))
        return cls(feeds, book, settings.max_message_bytes, clock=clock or (lambda: datetime.now(UTC)))

    @property
    def book(self) -> CodeBook:
        """The reference data the checks use."""
        return self._book

    def decode(self, record: InputRecord) -> Decoded:
        value = record.value or b""
        if not value.strip():
            raise InvalidManifest("empty_message", "the message is empty")
        if len(value) > self._max_bytes:
            raise InvalidManifest("too_large", f"message of {len(value)} bytes exceeds {self._max_bytes}")
        headers = _text_headers(record)
        feed_name = headers.get(FEED_HEADER) or None
        feed = self._feeds.get(feed_name)
        chosen = self._format_of(headers.get(FORMAT_HEADER), feed.format if feed else None, value)
        # Dates are judged against ingest's own clock: a record's timestamp is the producer's to set.
        now = self._clock()
        try:
            documents = chosen.decode(value, Context(feed=feed_name, received_at=_published_at(record, now)))
        except FormatError as error:
            raise InvalidManifest(error.reason, error.message, error) from error
        decoded = Decoded(chosen.name, feed.owner if feed else None, now)
        for document in documents:
            self._add(decoded, document, feed_name)
        if not decoded.manifests and not decoded.reports:
            raise InvalidManifest("empty_message", f"the {chosen.name} message holds no manifest")
        return decoded

    def _format_of(self, header: str | None, configured: str | None, value: bytes) -> Format:
        if header:
            if header not in FORMATS:
                raise InvalidManifest(
                    "unknown_format", f"header {FORMAT_HEADER} names {header!r}, not one of {', '.join(FORMATS)}"
                )
            return FORMATS[header]
        if configured:
            return FORMATS[configured]
        found = detect(value[:4096])
        if found is None:
            raise InvalidManifest(
                "unrecognised_format", "not JSON, CSV, CUSCAR nor AIS NMEA; set the interdict.format header"
            )
        return found

    def _add(self, decoded: Decoded, document: Document, feed_name: str | None) -> None:
        if document.get("kind") == "ais_report":
            try:
                decoded.reports.append(AisReport.model_validate(document))
            except ValidationError as error:
                raise InvalidManifest("schema_violation", describe_validation_error(error), error) from error
            return
        manifest = validate_document(document)
        if feed_name and manifest.feed != feed_name:
            raise InvalidManifest(
                "feed_mismatch", f"the manifest says feed {manifest.feed!r}, its header {feed_name!r}"
            )
        checked, warnings = check_manifest(manifest, self._book, decoded.received_at)
        configured = self._feeds.get(manifest.feed)
        if configured is None and len(self._feeds):
            warnings = [*warnings, _unconfigured(manifest.feed)]
        if decoded.feed_owner is None and configured is not None:
            decoded.feed_owner = configured.owner
        decoded.manifests.append(checked)
        decoded.warnings.append(warnings)


def _unconfigured(feed: str) -> CodeWarning:
    return CodeWarning(
        field="feed", code="unconfigured_feed", value=feed, message=f"feed {feed!r} is not in the feeds file"
    )


def _text_headers(record: InputRecord) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in record.headers:
        try:
            headers[name] = (value or b"").decode("utf-8")
        except UnicodeDecodeError:
            continue  # a header we set is ASCII; garbage in another one is not ours to judge
    return headers


def _published_at(record: InputRecord, now: datetime) -> datetime:
    """When the feed published the record: the time of an AIS report that carries none of its own."""
    if record.timestamp_ms > 0:
        return min(datetime.fromtimestamp(record.timestamp_ms / 1000, UTC), now)
    return now
