"""`interdict feed publish FILE`: how a data feed puts manifests on `manifests.raw`.

Lines are sent exactly as written: validating is ingest's job, and a feed's malformed line must
reach the dead-letter topic with its reason rather than vanish on the feed's side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import typer
from rich.console import Console

from services.shared import topics
from services.shared.kafka_clients import make_producer
from services.shared.settings import Settings, get_settings

feed_app = typer.Typer(no_args_is_help=True, help="For data feeds: publish manifests.")
console = Console(stderr=True)


def manifest_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                yield number, stripped


def key_of(line: bytes) -> bytes | None:
    """Key by feed and manifest id when the line says them, so versions of a manifest stay in order."""
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(document, dict) and document.get("feed") and document.get("manifest_id"):
        return f"{document['feed']}:{document['manifest_id']}".encode()
    return None


def publish_file(path: Path, settings: Settings) -> int:
    producer = make_producer(settings)
    topic = topics.qualified(settings, topics.MANIFESTS_RAW)
    try:
        pending = [producer.send(topic, value=line, key=key_of(line)) for _, line in manifest_lines(path)]
        for future in pending:
            future.get(timeout=30)
    finally:
        producer.close()
    return len(pending)


@feed_app.command("publish")
def publish(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON Lines, one manifest a line"),
) -> None:
    """Publish every line of FILE to manifests.raw, and wait until the broker has them all."""
    settings = get_settings()
    count = publish_file(file, settings)
    console.print(f"published {count} messages to {topics.qualified(settings, topics.MANIFESTS_RAW)}")
