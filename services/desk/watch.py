"""`interdict desk watch --country mx`: how an interdiction desk reads its alerts."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from services.shared import topics
from services.shared.kafka_clients import make_consumer
from services.shared.models import Alert
from services.shared.settings import PARTNER_COUNTRIES, get_settings

desk_app = typer.Typer(no_args_is_help=True, help="For interdiction desks: read alerts.")

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan"}


def render_alert(alert: Alert) -> Panel:
    manifest, entry = alert.manifest, alert.entry
    facts = Table.grid(padding=(0, 2))
    if entry is not None:
        programs = ", ".join(entry.programs) or "no program"
        facts.add_row("Entry", f"{entry.primary_name}  [dim]({entry.entry_id}, {programs})[/]")
        if entry.aliases:
            facts.add_row("Aliases", "; ".join(entry.aliases[:5]) + (" ..." if len(entry.aliases) > 5 else ""))
        source = ", ".join(f"{name} {value}" for name, value in entry.source_ids.items())
        facts.add_row("List", f"{entry.list_id} v{entry.list_version} (owner {entry.owner_country}; {source})")
    elif alert.conflict is not None:
        facts.add_row(
            "Identity", f"[bold]{alert.conflict.kind.value.replace('_', ' ')}[/]: {alert.conflict.explanation}"
        )
    what = f"bill of lading {manifest.bill_of_lading}" if manifest.bill_of_lading else "vessel manifest"
    version = f", version {manifest.version}" if manifest.version and manifest.version > 1 else ""
    facts.add_row(
        "Manifest", f"{manifest.manifest_id} from {manifest.feed} ({manifest.format or 'json'}): {what}{version}"
    )
    for change in manifest.changes:
        facts.add_row("Changed", change)
    for warning in manifest.warnings:
        facts.add_row("[yellow]Warning[/]", f"{warning.field}: {warning.message}")
    if manifest.vessel_name:
        facts.add_row(
            "Vessel", f"{manifest.vessel_name}" + (f" (IMO {manifest.vessel_imo})" if manifest.vessel_imo else "")
        )
    facts.add_row("Route", " -> ".join(manifest.route_ports) or "-")
    evidence = Table("where", "how", "manifest says", "list says", "weight", box=None, header_style="dim")
    for item in alert.evidence:
        evidence.add_row(item.where, item.method, item.query_value, item.matched_value, f"{item.contribution:+.2f}")
    title = f"[{SEVERITY_STYLE[alert.severity.value]}] {alert.severity.value.upper()} [/] score {alert.score:.2f}"
    if alert.retroactive:
        title += "  [magenta]retroactive[/]"
    return Panel(Group(facts, evidence, f"[italic]{alert.explanation}[/]"), title=title, subtitle=alert.alert_id)


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
