"""`interdict desk watch`: a desk's alerts and what is done with them, as they happen.

It reads the desk's two topics, `alerts.<cc>` and `actions.<cc>` (committed records only), and
shows each alert once: the latest version it has read. Read from the beginning, it first reads
both topics to their end, then shows the alerts as they stand (a replayed or re-sent version,
`make run` run twice, shows nothing twice), then follows: a new alert in full, a later version as
an update, and a line for each action on an alert it showed (acknowledged by ..., escalated...).
The filters are `desk list`'s; a state filter is applied with the states the actions give.

The folding (DeskFeed) is apart from the reading, so that it is tested without a broker.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from pydantic import ValidationError
from rich.console import Console

from services.desk.dismissals import DismissalMemory, previously_dismissed
from services.desk.lifecycle import APPLIED, apply
from services.desk.materialiser import TopicMissing
from services.desk.render import render_desk_alert, safe
from services.shared import topics
from services.shared.i18n import Translator
from services.shared.kafka_clients import make_consumer, topic_partitions
from services.shared.kafka_security import desk_principal
from services.shared.models import Alert, Programme, Severity
from services.shared.models.desk import ActionKind, AlertState, AlertStatus, DeskAction, DeskAlert
from services.shared.settings import Settings


@dataclass(frozen=True)
class WatchFilter:
    """`desk list`'s filters, applied to alerts as they arrive."""

    severities: frozenset[Severity] = frozenset()
    states: frozenset[AlertState] = frozenset()
    programmes: frozenset[Programme] = frozenset()
    vessel: str | None = None
    entry: str | None = None

    def admits(self, alert: Alert, status: AlertStatus) -> bool:
        manifest = alert.manifest
        vessels = {manifest.vessel_imo, manifest.vessel_mmsi, (manifest.vessel_name or "").casefold()}
        return (
            (not self.severities or alert.severity in self.severities)
            and (not self.states or status.state in self.states)
            and (not self.programmes or any(set(match.programmes) & self.programmes for match in alert.matches))
            and (self.vessel is None or self.vessel.strip() in vessels or self.vessel.casefold().strip() in vessels)
            and (self.entry is None or alert.match_for(self.entry) is not None)
        )


@dataclass(frozen=True)
class Shown:
    """What to show: an alert in full (new, or updated with new matches), or a line."""

    view: DeskAlert | None = None
    line: str | None = None


@dataclass
class DeskFeed:
    """The desk's topics folded: each alert's latest version and status, and what a watcher was shown."""

    filters: WatchFilter = field(default_factory=WatchFilter)
    alerts: dict[str, Alert] = field(default_factory=dict)
    statuses: dict[str, AlertStatus] = field(default_factory=dict)
    dismissals: DismissalMemory = field(default_factory=DismissalMemory)
    shown: dict[str, int] = field(default_factory=dict)  # alert id -> the version shown

    def read_alert(self, alert: Alert) -> None:
        """Keep the latest version: an older or repeated one read later changes nothing."""
        held = self.alerts.get(alert.alert_id)
        if held is None or alert.version > held.version:
            self.alerts[alert.alert_id] = alert

    def read_action(self, action: DeskAction) -> str:
        status, effect = apply(self.statuses.get(action.alert_id, AlertStatus()), action)
        if effect == APPLIED:
            self.statuses[action.alert_id] = status
            self.dismissals.remember(action)
        return effect

    def view(self, alert: Alert) -> DeskAlert:
        return DeskAlert(
            alert=alert,
            status=self.statuses.get(alert.alert_id, AlertStatus()),
            previously_dismissed=previously_dismissed(alert, self.dismissals.find),
        )

    def snapshot(self) -> list[Shown]:
        """Every alert read so far as it stands, once each, the earliest raised first."""
        shown = []
        for alert in sorted(self.alerts.values(), key=lambda held: (held.raised_at, held.alert_id)):
            if self.filters.admits(alert, self.statuses.get(alert.alert_id, AlertStatus())):
                self.shown[alert.alert_id] = alert.version
                shown.append(Shown(view=self.view(alert)))
        return shown

    def on_alert(self, alert: Alert) -> list[Shown]:
        """A version read live: shown if it is new to this watcher and passes the filters."""
        self.read_alert(alert)
        if alert.version <= self.shown.get(alert.alert_id, 0) or self.alerts[alert.alert_id] is not alert:
            return []  # seen already (a replay, a resend), or older than one read before
        if not self.filters.admits(alert, self.statuses.get(alert.alert_id, AlertStatus())):
            return []
        before = self.shown.get(alert.alert_id)
        self.shown[alert.alert_id] = alert.version
        if before is None:
            return [Shown(view=self.view(alert))]
        translate = Translator(alert.language)
        line = Shown(
            line=translate(
                "desk.updated_line", alert=alert.alert_id, version=alert.version, changes=safe("; ".join(alert.changes))
            )
        )
        return [line, Shown(view=self.view(alert))]

    def on_action(self, action: DeskAction) -> list[Shown]:
        """An action read live: a line, if it did something to an alert this watcher was shown."""
        effect = self.read_action(action)
        alert = self.alerts.get(action.alert_id)
        if effect != APPLIED or alert is None or action.alert_id not in self.shown:
            return []
        translate = Translator(alert.language)
        if action.action is ActionKind.ESCALATE:
            minutes = int((action.at - alert.raised_at).total_seconds() // 60)
            severity = translate.label("severity", (action.severity or alert.severity).value)
            text = translate("desk.escalated_line", alert=alert.alert_id, severity=severity, minutes=minutes)
            return [Shown(line=f"[bold red]{text}[/]")]
        what = translate.label("action", action.action.value)
        if action.outcome is not None:
            what += f" ({translate.label('outcome', action.outcome.value)})"
        return [Shown(line=translate("desk.action_line", alert=alert.alert_id, action=what, actor=safe(action.actor)))]


# -- reading the topics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchOptions:
    json_output: bool = False
    from_beginning: bool = True
    follow: bool = True
    group: str | None = None
    idle_timeout: float | None = None
    max_alerts: int | None = None


def watch_alerts(settings: Settings, desk: str, filters: WatchFilter, options: WatchOptions) -> None:
    """Show the desk's alerts (and, but in JSON, a line per action) until stopped or a limit is reached."""
    feed = DeskFeed(filters)
    printer = _Printer(options)
    names = {topics.desk_topic(settings, desk): "alert", topics.actions_topic(settings, desk): "action"}
    consumer = _consumer(settings, list(names), options, desk_principal(desk))
    try:
        if options.from_beginning and options.group is None:
            for record in _to_the_end(consumer):
                _fold(feed, names[record.topic], record.value)
            if not printer.show(feed.snapshot()) or not options.follow:
                return
        for record in _follow(consumer, options.idle_timeout):
            kind = names[record.topic]
            shown = (
                feed.on_alert(alert)
                if kind == "alert" and (alert := _alert(record.value))
                else (feed.on_action(action) if kind == "action" and (action := _action(record.value)) else [])
            )
            if not printer.show(shown):
                return
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


def _consumer(settings: Settings, names: list[str], options: WatchOptions, principal: str) -> KafkaConsumer:
    if options.group is not None:
        return make_consumer(settings, principal, names, options.group, options.from_beginning)
    consumer = make_consumer(settings, principal, [], None, options.from_beginning)
    partitions = []
    for name in names:
        found = topic_partitions(consumer, name)
        if not found:
            consumer.close()
            raise TopicMissing(f"topic {name} does not exist; create it with `interdict topics ensure`")
        partitions += found
    consumer.assign(partitions)
    if options.from_beginning:
        consumer.seek_to_beginning()
    else:
        consumer.seek_to_end()
    return consumer


def _to_the_end(consumer: KafkaConsumer) -> Iterator[ConsumerRecord]:
    partitions = list(consumer.assignment())
    ends = consumer.end_offsets(partitions)
    while any((consumer.position(partition) or 0) < ends[partition] for partition in partitions):
        for records in consumer.poll(timeout_ms=500).values():
            yield from records


def _follow(consumer: KafkaConsumer, idle_timeout: float | None) -> Iterator[ConsumerRecord]:
    last = time.monotonic()
    while idle_timeout is None or time.monotonic() - last < idle_timeout:
        batches = consumer.poll(timeout_ms=500)
        for records in batches.values():
            last = time.monotonic()
            yield from records


def _fold(feed: DeskFeed, kind: str, value: bytes | None) -> None:
    if kind == "alert" and (alert := _alert(value)):
        feed.read_alert(alert)
    elif kind == "action" and (action := _action(value)):
        feed.read_action(action)


def _alert(value: bytes | None) -> Alert | None:
    try:
        return Alert.model_validate_json(value or b"")
    except ValidationError as error:
        Console(stderr=True).print(f"[red]unreadable alert ({error.error_count()} schema errors):[/] {value!r:.200}")
        return None


def _action(value: bytes | None) -> DeskAction | None:
    try:
        return DeskAction.model_validate_json(value or b"")
    except ValidationError:
        return None


class _Printer:
    def __init__(self, options: WatchOptions) -> None:
        self._options = options
        self._console = Console()
        self.alerts = 0

    def show(self, shown: list[Shown]) -> bool:
        """Print; False once the alert limit is reached."""
        for item in shown:
            if item.view is not None:
                if self._options.json_output:
                    sys.stdout.write(item.view.alert.model_dump_json() + "\n")
                    sys.stdout.flush()
                else:
                    self._console.print(render_desk_alert(item.view))
                self.alerts += 1
                if self._options.max_alerts is not None and self.alerts >= self._options.max_alerts:
                    return False
            elif item.line is not None and not self._options.json_output:
                self._console.print(item.line)
        return True
