"""Escalation on the real broker: the event on the actions topic, the mark in the store, the metric."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services.desk.service import DeskStoreService
from services.desk.store import AlertQuery, DeskStore
from services.shared.models import Severity
from services.shared.models.desk import ESCALATOR, ActionKind
from services.shared.settings import Settings
from tests.fakes import sample
from tests.support.alerts import NOW, Notifier, a_match, alerts, manifest
from tests.support.desk import actions_on, publish
from tests.support.pipeline import wait_for, workers

pytestmark = pytest.mark.integration


async def test_an_alert_new_past_its_deadline_is_escalated_once(isolated_settings: Settings) -> None:
    settings = isolated_settings
    [alert] = alerts(await Notifier().batch(a_match(on=manifest("M-1"), score=0.99, method="identifier:imo")), "MX")
    publish(settings, alert)
    clock = [NOW + timedelta(minutes=10)]
    service = DeskStoreService(settings, ["MX"], clock=lambda: clock[0])
    try:
        service.start()
        assert service.escalate() == []  # ten minutes of a fifteen-minute deadline
        before = sample("interdict_desk_escalations_total", desk="MX", severity="critical")
        clock[0] = NOW + timedelta(minutes=16)
        [event] = service.escalate()
        assert service.escalate() == []
        stored = service.stores["MX"].get(alert.alert_id)
    finally:
        service.close()
    [on_topic] = actions_on(settings, "MX")
    assert on_topic == event
    assert (event.action, event.actor, event.severity, event.at) == (
        ActionKind.ESCALATE, ESCALATOR, Severity.CRITICAL, NOW + timedelta(minutes=16))
    assert stored is not None and stored.status.escalated_at == event.at
    assert sample("interdict_desk_escalations_total", desk="MX", severity="critical") == before + 1


async def test_the_desk_store_service_keeps_the_store_and_escalates_as_a_process(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings.model_copy(update={
        "escalation_deadlines": "critical=1s,high=1s,medium=1s,low=1s", "escalation_check_seconds": 0.2,
    })
    [alert] = alerts(await Notifier().batch(a_match(on=manifest("M-1"))), "MX")
    with workers(settings, tmp_path / "logs", "deskstore"):
        publish(settings, alert)
        store = DeskStore(settings.desk_store_path("MX"), "MX")
        try:
            escalated = wait_for(lambda: store.query(AlertQuery(escalated=True)), "the alert escalated in the store")
        finally:
            store.close()
    assert [item.alert.alert_id for item in escalated] == [alert.alert_id]
    assert [event.action for event in actions_on(settings, "MX")] == [ActionKind.ESCALATE]
