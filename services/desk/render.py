"""How a desk officer sees an alert in the terminal: a rich panel, every label in the desk's language.

What the feeds and the lists wrote (names, references, notes) is shown as text, never as markup,
and with control characters escaped: a party named "[blink]..." or carrying a terminal escape
cannot restyle or rewrite the officer's screen.
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from services.desk.store import HistoryItem
from services.shared.i18n import Translator
from services.shared.models import Alert, AlertMatch, ManifestRef
from services.shared.models.desk import DeskAlert

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan"}
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def safe(text: object) -> str:
    """Untrusted text as rich markup that shows it literally."""
    return escape(_UNPRINTABLE.sub(lambda found: f"\\x{ord(found.group()):02x}", str(text)))


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def severity_badge(alert: Alert, translate: Translator) -> str:
    label = translate.label("severity", alert.severity.value).upper()
    return f"[{SEVERITY_STYLE[alert.severity.value]}] {label} [/]"


def render_alert(
    alert: Alert, extra_facts: list[tuple[str, str]] | None = None, notes: dict[str, list[str]] | None = None
) -> Panel:
    """The alert as a panel; `extra_facts` (label, markup) first (its state), `notes` per matched subject."""
    translate = Translator(alert.language)
    facts = Table.grid(padding=(0, 2))
    for label, value in extra_facts or []:
        facts.add_row(label, value)
    updated = f"({translate('label.updated')} {when(alert.updated_at)})"
    facts.add_row(translate("label.raised"), f"{when(alert.raised_at)}  {updated}")
    _manifest_facts(facts, alert.manifest, translate)
    for change in alert.changes if alert.version > 1 else []:
        facts.add_row(translate("label.this_version"), safe(change))
    parts: list[RenderableType] = [facts]
    for match in alert.matches:
        parts += ["", render_match(match, translate, (notes or {}).get(match.subject_id))]
    parts += ["", f"[italic]{safe(alert.summary)}[/]"]
    title = f"{severity_badge(alert, translate)} {safe(alert.manifest.manifest_id)}"
    subtitle = f"{alert.alert_id} {translate('label.version')} {alert.version}"
    return Panel(Group(*parts), title=title, subtitle=subtitle, title_align="left")


def _manifest_facts(facts: Table, manifest: ManifestRef, translate: Translator) -> None:
    what = (
        f"{translate('label.bill_of_lading')} {safe(manifest.bill_of_lading)}"
        if manifest.bill_of_lading
        else translate("label.vessel_manifest")
    )
    version = f", {translate('label.version')} {manifest.version}" if manifest.version and manifest.version > 1 else ""
    facts.add_row(
        translate("label.manifest"),
        f"{safe(manifest.manifest_id)} ({safe(manifest.feed)}, {safe(manifest.format or 'json')}): {what}{version}",
    )
    facts.add_row(translate("label.reported"), when(manifest.reported_at))
    for change in manifest.changes:
        facts.add_row(translate("label.changed"), safe(change))
    for warning in manifest.warnings:
        facts.add_row(f"[yellow]{translate('label.warning')}[/]", f"{safe(warning.field)}: {safe(warning.message)}")
    if manifest.vessel_name:
        identity = f" (IMO {safe(manifest.vessel_imo)})" if manifest.vessel_imo else ""
        facts.add_row(translate("label.vessel"), f"{safe(manifest.vessel_name)}{identity}")
    if manifest.voyage_number:
        facts.add_row(translate("label.voyage"), safe(manifest.voyage_number))
    if manifest.eta:
        facts.add_row(translate("label.eta"), when(manifest.eta))
    if manifest.last_port:
        facts.add_row(translate("label.last_port"), safe(manifest.last_port))
    if manifest.next_port:
        facts.add_row(translate("label.next_port"), safe(manifest.next_port))
    facts.add_row(translate("label.route"), safe(" -> ".join(manifest.route_ports) or "-"))


def match_title(match: AlertMatch, translate: Translator) -> str:
    if match.entry is not None:
        return f"{safe(match.entry.primary_name)} [dim]({safe(match.entry.entry_id)})[/]"
    assert match.conflict is not None
    return f"{translate('label.identity')}: {safe(translate.label('conflict', match.conflict.kind.value))}"


def render_match(match: AlertMatch, translate: Translator, notes: list[str] | None = None) -> RenderableType:
    """One match: the entry, where it matched, why this severity, its evidence and its sightings."""
    facts = Table.grid(padding=(0, 2))
    style = SEVERITY_STYLE[match.severity.value]
    badge = f"[{style}] {translate.label('severity', match.severity.value)} [/]"
    retro = f"  [magenta]{translate('label.retroactive')}[/]" if match.retroactive else ""
    seen = f"  {translate('label.count')} {translate('label.times', count=match.count)}" if match.count > 1 else ""
    facts.add_row(f"[bold]{translate('label.match').capitalize()}[/]", f"{badge} {match_title(match, translate)}  "
                  f"{translate('label.score')} {match.score:.2f}{seen}{retro}")
    if match.entry is not None:
        programmes = ", ".join(translate.label("programme", programme.value) for programme in match.programmes)
        entry = match.entry
        source = "".join(f"; {name} {value}" for name, value in entry.source_ids.items())
        facts.add_row(translate("label.programmes"), safe(programmes or translate("label.no_programme")))
        if entry.aliases:
            aliases = "; ".join(entry.aliases[:5]) + (" ..." if len(entry.aliases) > 5 else "")
            facts.add_row(translate("label.aliases"), safe(aliases))
        facts.add_row(
            translate("label.list"),
            safe(f"{entry.list_id} v{entry.list_version} ({translate('label.owner')} {entry.owner_country}{source})"),
        )
    for party in match.parties:
        facts.add_row(translate("label.parties"), f"{safe(party.where)}: [bold]{safe(party.name)}[/]")
    for note in notes or []:
        facts.add_row(f"[magenta]{translate('label.previously_dismissed')}[/]", safe(note))
    facts.add_row(translate("label.severity_reasons"), safe("; ".join(match.severity_reasons)))
    if match.count > 1:
        others = ", ".join(
            f"{o.manifest_id}" + (f" v{o.manifest_version}" if o.manifest_version else "") + f" ({when(o.reported_at)})"
            for o in match.occurrences
        )
        facts.add_row(translate("label.occurrences"), safe(others))
    evidence = Table(
        translate("label.where"), translate("label.how"), translate("label.manifest_says"),
        translate("label.list_says"), translate("label.weight"), box=None, header_style="dim",
    )
    for item in match.evidence:
        evidence.add_row(safe(item.where), safe(item.explanation), safe(item.query_value), safe(item.matched_value),
                         f"{item.contribution:+.2f}")
    return Group(facts, evidence, f"[italic]{safe(match.explanation)}[/]")


# -- the desk's view: states, lists, history --------------------------------------------------------------


def status_facts(view: DeskAlert, translate: Translator) -> list[tuple[str, str]]:
    status = view.status
    state = translate.label("state", status.state.value)
    if status.outcome is not None:
        state += f" ({translate.label('outcome', status.outcome.value)})"
    if status.changed_by:
        state += f"  {safe(status.changed_by)}, {when(status.changed_at)}"
    facts = [(translate("label.state").capitalize(), f"[bold]{state}[/]")]
    if status.note:
        facts.append((translate("label.note").capitalize(), safe(status.note)))
    if status.escalated_at is not None:
        facts.append((f"[red]{translate('label.escalated').capitalize()}[/]", when(status.escalated_at)))
    if len(view.versions) > 1:
        facts.append((translate("list.versions").capitalize(), ", ".join(str(version) for version in view.versions)))
    return facts


def dismissal_notes(view: DeskAlert, translate: Translator) -> dict[str, list[str]]:
    return {
        subject: [
            translate("desk.dismissed_by", actor=item.actor, date=when(item.at), alert=item.alert_id)
            for item in items
        ]
        for subject, items in view.previously_dismissed.items()
    }


def render_desk_alert(view: DeskAlert) -> Panel:
    translate = Translator(view.alert.language)
    return render_alert(view.alert, status_facts(view, translate), dismissal_notes(view, translate))


def alerts_table(views: list[DeskAlert], translate: Translator) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("list.alert", "label.severity", "label.state", "label.raised", "list.manifest", "label.vessel",
                   "list.matched"):
        table.add_column(translate(column))
    for view in views:
        alert, status = view.alert, view.status
        state = translate.label("state", status.state.value)
        if status.escalated_at is not None and status.state.value == "new":
            state += f" [red]({translate('list.escalated_mark')})[/]"
        matched = "; ".join(_matched(match, view, translate) for match in alert.matches)
        table.add_row(
            f"{alert.alert_id} v{alert.version}", severity_badge(alert, translate), state, when(alert.raised_at),
            safe(alert.manifest.manifest_id), safe(alert.manifest.vessel_name or "-"), matched,
        )
    return table


def _matched(match: AlertMatch, view: DeskAlert, translate: Translator) -> str:
    text = safe(match_name(match))
    if match.count > 1:
        text += f" ({translate('label.times', count=match.count)})"
    if match.subject_id in view.previously_dismissed:
        text += f" [magenta]({translate('list.dismissed_mark')})[/]"
    return text


def match_name(match: AlertMatch) -> str:
    if match.entry is not None:
        return f"{match.entry.primary_name} [{match.entry.entry_id}]"
    assert match.conflict is not None
    return f"{match.conflict.vessel_name} ({match.conflict.kind.value})"


def history_table(items: list[HistoryItem], translate: Translator) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("label.at", "list.alert", "label.actor", "label.action", "label.outcome", "label.note",
                   "label.effect"):
        table.add_column(translate(column))
    for item in items:
        action = item.action
        outcome = translate.label("outcome", action.outcome.value) if action.outcome else ""
        effect = translate(f"effect.{item.effect}")
        shown = effect if item.effect == "applied" else f"[yellow]{effect}[/]"
        what = translate.label("action", action.action.value)
        table.add_row(when(action.at), action.alert_id, safe(action.actor), what, outcome, safe(action.note), shown)
    return table
