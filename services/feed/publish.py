"""`interdict feed publish FILE`: how a data feed puts manifests on `manifests.raw`.

The file is cut into messages by its format (services/ingest/formats); validating is ingest's job.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from services.ingest.formats.json import JSON_FORMAT
from services.shared import topics
from services.shared.kafka_clients import make_producer
from services.shared.settings import Settings, get_settings

feed_app = typer.Typer(no_args_is_help=True, help="For data feeds: publish manifests.")
console = Console(stderr=True)


def publish_file(path: Path, settings: Settings) -> int:
    producer = make_producer(settings)
    topic = topics.qualified(settings, topics.MANIFESTS_RAW)
    try:
        with path.open("rb") as handle:
            pending = [producer.send(topic, value=m.payload, key=m.key) for m in JSON_FORMAT.split(handle)]
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
