"""`interdict desk ...`: the interdiction desks' commands."""

from __future__ import annotations

import typer

from services.desk.watch import watch_alerts
from services.shared.settings import PARTNER_COUNTRIES

desk_app = typer.Typer(no_args_is_help=True, help="For interdiction desks: read alerts.")


@desk_app.command("watch")
def watch(
    country: str = typer.Option(..., "--country", "-c", help="the desk's ISO 3166 alpha-2 code, e.g. mx"),
    json_output: bool = typer.Option(False, "--json", help="one alert per line, as JSON, for machines"),
    from_beginning: bool = typer.Option(True, "--from-beginning/--new-only", help="replay past alerts first"),
    group: str | None = typer.Option(None, help="consumer group, to resume where this desk left off"),
    idle_timeout: float | None = typer.Option(None, help="stop after this many seconds without an alert"),
    max_alerts: int | None = typer.Option(None, help="stop after this many alerts"),
) -> None:
    """Print the desk's alerts as they arrive."""
    desk = country.upper()
    if desk not in PARTNER_COUNTRIES:
        raise typer.BadParameter(f"{country!r} is not a partner desk; one of {', '.join(PARTNER_COUNTRIES).lower()}")
    watch_alerts(desk, json_output, from_beginning, group, idle_timeout, max_alerts)
