"""`interdict feed publish` and `interdict feed validate`: how a data feed puts manifests on `manifests.raw`.

The file is cut into messages by its format (services/ingest/formats): a JSON line, a CSV bill of
lading, a CUSCAR message, an AIS message with all its fragments. Each message is sent as its
bytes, with headers naming the format and the feed; validating is ingest's job, and a message it
rejects reaches the dead-letter topic with its reason. Only what ingest could never receive is
stopped here: a message over the size limit goes straight to the dead-letter topic (an excerpt,
its size and digest), and the command names its line and carries on with the rest.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import typer
from kafka.errors import KafkaError
from rich.console import Console

from services.ingest.decoding import MessageDecoder
from services.ingest.errors import InvalidManifest
from services.ingest.feeds import load_feeds
from services.ingest.formats.base import FEED_HEADER, FORMAT_HEADER, Format, FormatError, Message
from services.ingest.formats.registry import FORMATS, detect
from services.shared import topics
from services.shared.dead_letter import dead_letter_headers
from services.shared.kafka_clients import make_producer
from services.shared.kafka_security import feed_principal
from services.shared.settings import Settings, get_settings
from services.shared.stage import InputRecord

feed_app = typer.Typer(no_args_is_help=True, help="For data feeds: publish, validate and generate manifests.")
console = Console(stderr=True)

#: What a dead letter keeps of a message too large to send (as the stages do).
EXCERPT_BYTES = 64 * 1024
SNIFF_BYTES = 4096
SEND_TIMEOUT_S = 60


class PublishRefused(Exception):
    """The file cannot be published at all (unknown format, a message that cannot be framed)."""


@dataclass
class PublishReport:
    sent: int = 0
    too_large: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.too_large and not self.failed


@dataclass(frozen=True)
class _Source:
    format: Format
    feed: str | None


def choose_format(handle: IO[bytes], given: str | None, feed: str | None, settings: Settings) -> Format:
    if given:
        return FORMATS[given]
    configured = load_feeds(settings.feeds_file).get(feed)
    if configured is not None:
        return FORMATS[configured.format]
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    found = detect(head)
    if found is None:
        raise PublishRefused("cannot tell the format (not JSON, CSV, CUSCAR nor AIS NMEA): give --format")
    return found


def frame(handle: IO[bytes], chosen: Format) -> list[Message]:
    """Every message of the file, or PublishRefused before anything is sent."""
    try:
        return list(chosen.split(handle))
    except FormatError as error:
        raise PublishRefused(f"not valid {chosen.name}: {error.message}; nothing was published") from error


def publish_file(path: Path, settings: Settings, format_name: str | None = None, feed: str | None = None) -> int:
    """Publish a file (the demo and tests); raise PublishRefused when any message could not be sent."""
    with path.open("rb") as handle:
        report = publish_handle(handle, settings, format_name, feed)
    if not report.ok:
        raise PublishRefused(f"{path}: {len(report.too_large)} too large, {len(report.failed)} not sent")
    return report.sent


def publish_handle(handle: IO[bytes], settings: Settings, format_name: str | None, feed: str | None) -> PublishReport:
    chosen = choose_format(handle, format_name, feed, settings)
    messages = frame(handle, chosen)
    raw_topic = topics.qualified(settings, topics.MANIFESTS_RAW)
    headers = [(FORMAT_HEADER, chosen.name.encode())] + ([(FEED_HEADER, feed.encode())] if feed else [])
    report = PublishReport()
    producer = make_producer(settings, feed_principal(feed))
    pending = []
    try:
        for message in messages:
            if len(message.payload) > settings.max_message_bytes:
                report.too_large.append(message.line)
                letter = _too_large_letter(message, raw_topic, settings.max_message_bytes, headers)
                dlq = topics.qualified(settings, topics.MANIFESTS_DLQ)
                pending.append((message.line, False, producer.send(dlq, **letter)))
                continue
            future = producer.send(raw_topic, value=message.payload, key=message.key, headers=headers)
            pending.append((message.line, True, future))
        for line, published, future in pending:
            try:
                future.get(timeout=SEND_TIMEOUT_S)
            except KafkaError as error:
                report.failed.append((line, f"{type(error).__name__}: {error}"))
            else:
                report.sent += published
    finally:
        producer.close()
    return report


def _too_large_letter(message: Message, raw_topic: str, limit: int, headers: list[tuple[str, bytes]]) -> dict[str, Any]:
    reason = f"message of {len(message.payload)} bytes exceeds the limit of {limit} bytes"
    source = _FileSource(raw_topic)
    letter_headers = [
        *headers,
        *dead_letter_headers(source, "MessageSizeTooLarge", reason, "feed-publish", "too_large").items(),
        ("interdict.errors.source-line", str(message.line).encode()),
        ("interdict.errors.original-bytes", str(len(message.payload)).encode()),
        ("interdict.errors.truncated", b"true"),
        ("interdict.errors.original-sha256", hashlib.sha256(message.payload).hexdigest().encode()),
    ]
    key = message.key[:1024] if message.key else None
    return {"key": key, "value": message.payload[:EXCERPT_BYTES], "headers": letter_headers}


@dataclass(frozen=True)
class _FileSource:
    """A dead letter from the publisher has no position on the raw topic: it never got there."""

    topic: str
    partition: int = -1
    offset: int = -1


@contextmanager
def _opened(file: str) -> Iterator[IO[bytes]]:
    """The file, or standard input spooled to a temporary file (formats are detected, then re-read)."""
    if file != "-":
        path = Path(file)
        if not path.is_file():
            raise typer.BadParameter(f"{file}: no such file", param_hint="FILE")
        with path.open("rb") as handle:
            yield handle
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.seek(0)
        yield spool


@contextmanager
def _refusal_exits(file: str) -> Iterator[None]:
    """A file that cannot be published at all: say why, exit with status 2."""
    try:
        yield
    except PublishRefused as refused:
        console.print(f"[red]refused:[/] {file}: {refused}")
        raise typer.Exit(2) from refused


FormatOption = typer.Option(None, "--format", help="json, csv, cuscar or ais; detected from the content if not given")
FeedOption = typer.Option(None, "--feed", help="the feed's name (feeds/feeds.toml): sets its format and owner")


@feed_app.command("publish")
def publish(
    file: str = typer.Argument(..., help="the file, or - for standard input"),
    format_name: str | None = FormatOption,
    feed: str | None = FeedOption,
) -> None:
    """Publish FILE's messages to manifests.raw, and wait until the broker has them all."""
    _check_format_name(format_name)
    settings = get_settings()
    with _opened(file) as handle, _refusal_exits(file):
        report = publish_handle(handle, settings, format_name, feed)
    topic = topics.qualified(settings, topics.MANIFESTS_RAW)
    console.print(f"published {report.sent} messages to {topic}")
    for line in report.too_large:
        console.print(f"[red]line {line}:[/] over {settings.max_message_bytes} bytes: not published, dead-lettered")
    for line, why in report.failed:
        console.print(f"[red]line {line}:[/] not sent: {why}")
    if not report.ok:
        raise typer.Exit(1)


@feed_app.command("validate")
def validate(
    file: str = typer.Argument(..., help="the file, or - for standard input"),
    format_name: str | None = FormatOption,
    feed: str | None = FeedOption,
) -> None:
    """Check FILE as ingest would (format, models, codes) without publishing anything."""
    _check_format_name(format_name)
    settings = get_settings()
    decoder = MessageDecoder.from_settings(settings)
    rejected = 0
    with _opened(file) as handle, _refusal_exits(file):
        chosen = choose_format(handle, format_name, feed, settings)
        messages = frame(handle, chosen)
    headers = [(FORMAT_HEADER, chosen.name.encode())] + ([(FEED_HEADER, feed.encode())] if feed else [])
    for message in messages:
        record = InputRecord(file, 0, message.line, message.key, message.payload, headers)
        try:
            decoded = decoder.decode(record)
        except InvalidManifest as problem:
            rejected += 1
            console.print(f"[red]line {message.line}:[/] {problem.reason}: {problem.message}")
            continue
        for manifest, warnings in zip(decoded.manifests, decoded.warnings, strict=True):
            for warning in warnings:
                console.print(
                    f"[yellow]line {message.line}:[/] {manifest.manifest_id}: {warning.field}: {warning.message}"
                )
    console.print(f"{len(messages)} {chosen.name} messages: {len(messages) - rejected} valid, {rejected} rejected")
    if rejected:
        raise typer.Exit(1)


def _check_format_name(format_name: str | None) -> None:
    if format_name is not None and format_name not in FORMATS:
        raise typer.BadParameter(f"{format_name!r}: one of {', '.join(FORMATS)}", param_hint="--format")
