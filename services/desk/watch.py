"""`interdict desk watch`: a desk's alerts read from its topic as they arrive."""

from __future__ import annotations

import sys

from pydantic import ValidationError
from rich.console import Console

from services.desk.render import render_alert
from services.shared import topics
from services.shared.kafka_clients import make_consumer
from services.shared.models import Alert
from services.shared.settings import get_settings


def watch_alerts(
    desk: str,
    json_output: bool,
    from_beginning: bool,
    group: str | None,
    idle_timeout: float | None,
    max_alerts: int | None,
) -> None:
    """Print the desk's alerts as they arrive."""
    settings = get_settings()
    timeout_ms = int(idle_timeout * 1000) if idle_timeout is not None else None
    consumer = make_consumer(settings, [topics.desk_topic(settings, desk)], group, from_beginning, timeout_ms)
    console = Console()
    seen = 0
    try:
        for record in consumer:
            if json_output:
                sys.stdout.write(record.value.decode() + "\n")
                sys.stdout.flush()
            else:
                _print_readable(console, record.value)
            seen += 1
            if max_alerts is not None and seen >= max_alerts:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


def _print_readable(console: Console, value: bytes) -> None:
    try:
        console.print(render_alert(Alert.model_validate_json(value)))
    except ValidationError as error:
        console.print(f"[red]unreadable alert ({error.error_count()} schema errors):[/] {value[:200]!r}")
