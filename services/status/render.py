"""The status report on a terminal: one table per part, problems last, in red."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table

from services.status.broker import BrokerState
from services.status.report import StatusReport, problems
from services.status.services import ServiceState
from services.status.watchlists import WatchlistsState


def render(report: StatusReport, console: Console) -> None:
    console.print(f"[bold]interdict status[/bold] at {report.at.isoformat(timespec='seconds')}")
    console.print(_services(report.services))
    _broker(report.broker, console)
    _watchlists(report.watchlists, console)
    for problem in problems(report):
        console.print(f"[red]problem:[/red] {problem}", highlight=False)


def _services(states: list[ServiceState]) -> Table:
    table = Table(title="services")
    for column in ("service", "probed", "state", "detail"):
        table.add_column(column)
    for state in states:
        address = state.url.removeprefix("http://").removesuffix("/readyz")
        table.add_row(state.service, address, _state_text(state), _detail(state))
    return table


def _state_text(state: ServiceState) -> str:
    if not state.up:
        return "[red]down[/red]"
    return "[green]ready[/green]" if state.ready else "[yellow]not ready[/yellow]"


def _detail(state: ServiceState) -> str:
    if not state.up:
        return state.problem or ""
    failing = [name for name, passed in state.checks.items() if not passed]
    # the lag is in the pipeline table, read now; a worker's own reading may be seconds old
    shown = {key: state.details[key] for key in ("role", "batches", "entries") if key in state.details}
    parts = [f"failing: {', '.join(failing)}"] if failing else []
    if state.details.get("stale"):
        parts.append("[yellow]matching on a stale watchlist copy[/yellow]")
    return "; ".join(parts + [f"{key} {value}" for key, value in shown.items()])


def _broker(broker: BrokerState, console: Console) -> None:
    if not broker.reachable:
        console.print(f"[red]Kafka unreachable:[/red] {broker.problem}", highlight=False)
        return
    table = Table(title="pipeline (from the broker)")
    for column in ("stage", "group", "input", "lag", "lag change", "written/s", "done/s"):
        table.add_column(column, justify="right" if column in ("lag", "lag change", "written/s", "done/s") else "left")
    for group in broker.groups:
        change = f"{group.lag_change:+d}" if group.lag_change is not None else "-"
        table.add_row(group.service, group.group, group.topic, str(group.lag), change,
                      _rate(group.written_per_s), _rate(group.done_per_s))
    console.print(table)
    if broker.dead_letters is not None:
        letters = broker.dead_letters
        console.print(f"dead letters: {letters.on_topic} on {letters.topic}, {letters.last_hour} in the last hour "
                      "(by reason: interdict dlq show)", highlight=False)
    console.print(_desks(broker))


def _rate(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def _desks(broker: BrokerState) -> Table:
    table = Table(title="desks: last alert")
    for column in ("desk", "topic", "last alert", "ago"):
        table.add_column(column)
    now = datetime.now(UTC)
    for desk in broker.desks:
        at = desk.last_alert_at
        table.add_row(desk.desk, desk.topic, at.isoformat(timespec="seconds") if at else "none",
                      _ago(now - at) if at else "")
    return table


def _ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _watchlists(state: WatchlistsState, console: Console) -> None:
    if not state.reachable:
        console.print(f"[red]Redis unreachable:[/red] {state.problem}", highlight=False)
        return
    table = Table(title="watchlists (Redis; the matcher's copy)")
    for column in ("list", "owner", "version", "entries", "enabled", "updated", "matcher holds"):
        table.add_column(column)
    for item in state.lists:
        held = "-" if item.matcher_version is None else str(item.matcher_version)
        if item.matcher_behind:
            held = f"[yellow]{held} (behind)[/yellow]"
        table.add_row(item.list_id, item.owner_country, str(item.version), str(item.entries),
                      "yes" if item.enabled else "no", item.updated_at.isoformat(timespec="seconds"), held)
    console.print(table)
