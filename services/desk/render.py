"""How a desk officer sees an alert in the terminal: a rich panel."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from services.shared.models import Alert

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
