"""Escalation deadlines per severity, on an injected clock: no waiting, no sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.desk.escalation import Escalator, overdue
from services.desk.store import AlertQuery, DeskStore
from services.shared.models import Alert, Severity
from services.shared.models.desk import ESCALATOR, ActionKind, AlertState, DeskAction
from services.shared.settings import Settings, parse_duration
from tests.fakes import sample
from tests.support.alerts import NOW, Feed, Notifier, a_match, alerts, manifest

DEADLINES = Settings(escalation_deadlines="critical=15m,high=1h,medium=4h,low=1d").escalation_deadline()


def test_durations_and_deadlines_are_read_from_settings() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("90s") == timedelta(seconds=90)
    expected = {Severity.CRITICAL: timedelta(minutes=15), Severity.HIGH: timedelta(hours=1),
                Severity.MEDIUM: timedelta(hours=4), Severity.LOW: timedelta(days=1)}
    assert expected == DEADLINES
    for wrong in ("critical=15m,high=1h,medium=4h", "critical=15 min,high=1h,medium=4h,low=1d", "urgent=1m"):
        with pytest.raises(ValidationError):
            Settings(escalation_deadlines=wrong)


@pytest.mark.parametrize(
    ("severity", "after", "expected"),
    [
        (Severity.CRITICAL, timedelta(minutes=15), False),  # at the deadline: not yet past it
        (Severity.CRITICAL, timedelta(minutes=15, seconds=1), True),
        (Severity.HIGH, timedelta(minutes=59), False),
        (Severity.LOW, timedelta(hours=23), False),
        (Severity.LOW, timedelta(days=1, minutes=1), True),
    ],
)
def test_an_alert_is_overdue_only_past_its_severity_s_deadline(severity: Severity, after: timedelta,
                                                               expected: bool) -> None:
    alert = Alert.model_construct(raised_at=NOW, severity=severity)  # type: ignore[call-arg]  # the two it reads
    assert overdue(alert, NOW + after, DEADLINES) is expected


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Published:
    def __init__(self) -> None:
        self.events: list[DeskAction] = []

    def publish(self, action: DeskAction) -> None:
        self.events.append(action)


async def desk(tmp_path: Path) -> tuple[DeskStore, Feed, list[Alert]]:
    """Mexico's store with a critical and a medium alert, both raised at NOW."""
    store, feed, notifier = DeskStore(tmp_path / "mx.sqlite3", "MX"), Feed(), Notifier()
    critical = alerts(await notifier.batch(a_match("test:1", on=manifest("M-1", bill="B1"), score=0.99,
                                                   method="identifier:imo")), "MX")
    medium = alerts(await notifier.batch(a_match("test:2", on=manifest("M-2", bill="B2"), score=0.88)), "MX")
    store.apply([feed.alert(alert) for alert in critical + medium])
    return store, feed, critical + medium


async def test_each_alert_escalates_once_past_its_own_deadline(tmp_path: Path) -> None:
    store, feed, [critical, medium] = await desk(tmp_path)
    clock, published = Clock(NOW + timedelta(minutes=10)), Published()
    escalator = Escalator(store, published, DEADLINES, clock)
    before = sample("interdict_desk_escalations_total", desk="MX", severity="critical")
    assert escalator.run() == []  # ten minutes: nothing is late yet
    clock.now = NOW + timedelta(minutes=20)
    [event] = escalator.run()
    assert (event.alert_id, event.action, event.actor, event.severity) == (
        critical.alert_id, ActionKind.ESCALATE, ESCALATOR, Severity.CRITICAL)
    assert event.note == "new for 20 min, past the critical deadline of 15 min"
    assert sample("interdict_desk_escalations_total", desk="MX", severity="critical") == before + 1
    assert escalator.run() == []  # sent, not read back yet: not sent again
    store.apply([feed.action(event)])
    clock.now = NOW + timedelta(hours=5)
    assert [item.alert_id for item in escalator.run()] == [medium.alert_id]
    assert [item.alert.alert_id for item in store.query(AlertQuery(escalated=True))] == [critical.alert_id]


async def test_an_alert_someone_took_is_never_escalated_and_a_rebuilt_store_does_not_repeat(tmp_path: Path) -> None:
    store, feed, [critical, medium] = await desk(tmp_path)
    first = Escalator(store, Published(), DEADLINES, Clock(NOW + timedelta(days=2)))
    [escalated, _] = sorted(first.run(), key=lambda event: event.severity != Severity.CRITICAL)
    taken = DeskAction(event_id="ack", alert_id=medium.alert_id, desk_country="MX", action=ActionKind.ACKNOWLEDGE,
                       actor="ana.mx", at=NOW + timedelta(minutes=5), alert_version=1)
    store.apply([feed.action(escalated), feed.action(taken)])
    # a new escalator (the service restarted) on the store as the topics left it
    again = Escalator(store, Published(), DEADLINES, Clock(NOW + timedelta(days=3)))
    assert again.run() == []
    stored = store.get(critical.alert_id)
    assert stored is not None and stored.status.state is AlertState.NEW and stored.status.escalated_at is not None
    # the same escalation sent twice (two services) is applied once
    store.apply([feed.action(escalated)])
    assert [item.effect for item in store.history(critical.alert_id)] == ["applied"]
