"""`interdict status [--json] [--check]`: see services/status/__init__.py."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from services.shared.settings import get_settings

#: --check's exit status when something is down, not ready or out of reach.
EXIT_UNHEALTHY = 1


def status(
    as_json: bool = typer.Option(False, "--json", help="one JSON document instead of tables"),
    check: bool = typer.Option(
        False, "--check", help=f"exit {EXIT_UNHEALTHY} if a service is down or not ready, or Kafka or Redis is away"
    ),
    sample: float = typer.Option(
        1.0, "--sample", min=0, help="seconds between the two broker readings that rates are measured over; 0: none"
    ),
) -> None:
    """The whole pipeline on one screen: services, lag and rates, dead letters, desks, watchlists."""
    from services.status.render import render
    from services.status.report import as_json as report_json
    from services.status.report import collect, problems

    report = collect(get_settings(), sample)
    if as_json:
        sys.stdout.buffer.write(report_json(report) + b"\n")
    else:
        render(report, Console())
    if check and problems(report):
        raise typer.Exit(EXIT_UNHEALTHY)
