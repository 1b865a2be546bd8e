"""The desk store service's operator metrics: every series at 0 from the start, alerts by programme, joint
cases, and time to acknowledge observed once per alert, never again on a restart or a rebuilt store."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY

from services.admin.tokens import Principal, Role
from services.desk.cases import CaseOperations
from services.desk.service import DeskStoreService
from services.desk.store import DeskStore, StoreRecord
from services.shared.models import Alert
from services.shared.models.desk import ActionKind, DeskAction
from services.shared.settings import Settings
from tests.fakes import MemoryCasesTopic, sample
from tests.support.alerts import NOW, Feed, Notifier, a_match, alerts, manifest

ACK_BUCKET = "interdict_desk_time_to_acknowledge_seconds_bucket"


def service(tmp_path: Path, started_at: datetime, desks: tuple[str, ...] = ("MX",)) -> DeskStoreService:
    """The service with its stores, not started: no Kafka is touched until start()."""
    return DeskStoreService(Settings(desk_store_dir=tmp_path), list(desks), clock=lambda: started_at)


def acknowledged(alert: Alert, minutes: int, event_id: str = "ack-1") -> DeskAction:
    return DeskAction(
        event_id=event_id,
        alert_id=alert.alert_id,
        desk_country="MX",
        action=ActionKind.ACKNOWLEDGE,
        actor="ana.mx",
        at=alert.raised_at + timedelta(minutes=minutes),
        alert_version=1,
    )


def count(desk: str, severity: str) -> float:
    return sample("interdict_desk_time_to_acknowledge_seconds_count", desk=desk, severity=severity)


async def mexican_alert(programs: tuple[str, ...] = ()) -> Alert:
    [alert] = alerts(await Notifier().batch(a_match("test:1", on=manifest("M-1"), programs=programs)), "MX")
    return alert


def test_every_desks_series_is_there_at_zero_from_the_start(tmp_path: Path) -> None:
    service(tmp_path, NOW, desks=("GT",))
    for severity in ("critical", "low"):
        assert sample("interdict_desk_escalations_total", desk="GT", severity=severity) == 0
        assert sample("interdict_desk_time_to_acknowledge_seconds_count", desk="GT", severity=severity) == 0
        assert sample("interdict_desk_alerts", desk="GT", state="new", severity=severity) == 0
        labels = {"desk": "GT", "programme": "narcotics", "state": "closed", "severity": severity}
        assert sample("interdict_desk_alerts_by_programme", **labels) == 0
    for state in ("open", "active", "closed"):
        assert sample("interdict_desk_cases", desk="GT", state=state) == 0
    names = {
        sample_.name
        for family in REGISTRY.collect()
        for sample_ in family.samples
        if sample_.labels.get("desk") == "GT"
    }
    assert {"interdict_desk_alerts_by_programme", "interdict_desk_cases", ACK_BUCKET} <= names


async def test_the_first_response_is_observed_once_and_later_actions_not(tmp_path: Path) -> None:
    alert = await mexican_alert()
    running = service(tmp_path, alert.raised_at)
    store, feed = running.stores["MX"], Feed()
    severity = alert.severity.value
    before = count("MX", severity)
    in_five = sample(ACK_BUCKET, desk="MX", severity=severity, le="300.0")
    store.apply([feed.alert(alert), feed.action(acknowledged(alert, 4))])
    running.observe_first_responses()
    assert count("MX", severity) == before + 1
    assert sample(ACK_BUCKET, desk="MX", severity=severity, le="300.0") == in_five + 1  # 4 minutes
    investigate = acknowledged(alert, 9, "investigate-1").model_copy(update={"action": ActionKind.INVESTIGATE})
    store.apply([feed.action(investigate)])
    running.observe_first_responses()
    running.observe_first_responses()
    assert count("MX", severity) == before + 1


async def test_a_restart_or_a_rebuilt_store_does_not_observe_old_acknowledgements_again(tmp_path: Path) -> None:
    alert = await mexican_alert()
    feed = Feed()
    records: list[StoreRecord] = [feed.alert(alert), feed.action(acknowledged(alert, 4))]
    first = service(tmp_path / "first", alert.raised_at)
    first.stores["MX"].apply(records)
    before = count("MX", alert.severity.value)
    first.observe_first_responses()
    assert count("MX", alert.severity.value) == before + 1
    # Started later, on a store rebuilt from the topics: the acknowledgement is old, not observed again.
    later = service(tmp_path / "rebuilt", alert.raised_at + timedelta(hours=1))
    later.stores["MX"].apply(records)
    later.observe_first_responses()
    assert count("MX", alert.severity.value) == before + 1


async def test_gauges_count_alerts_by_programme_and_cases_by_state_and_empty_ones_go_back_to_zero(
    tmp_path: Path,
) -> None:
    alert = await mexican_alert(programs=("SDNTK",))
    running = service(tmp_path, NOW)
    store, feed = running.stores["MX"], Feed()
    store.apply([feed.alert(alert)])
    running.update_gauges()
    programmes = [programme.value for match in alert.matches for programme in match.programmes]
    assert programmes == ["narcotics"]
    labels = {"desk": "MX", "programme": "narcotics", "severity": alert.severity.value}
    assert sample("interdict_desk_alerts_by_programme", state="new", **labels) == 1
    store.apply([feed.action(acknowledged(alert, 4))])
    running.update_gauges()
    assert sample("interdict_desk_alerts_by_programme", state="new", **labels) == 0
    assert sample("interdict_desk_alerts_by_programme", state="acknowledged", **labels) == 1
    assert sample("interdict_desk_alerts", desk="MX", state="new", severity=alert.severity.value) == 0

    topic = MemoryCasesTopic()
    officer = Principal(name="ana.mx", role=Role.DESK, country="MX")
    cases = CaseOperations("MX", officer, store, lambda: topic.sync(store), topic)
    cases.open([alert.alert_id], "joint")
    running.update_gauges()
    assert sample("interdict_desk_cases", desk="MX", state="open") == 1
    assert sample("interdict_desk_cases", desk="MX", state="closed") == 0


def test_a_store_keeps_no_first_response_for_an_action_read_before_its_alert(tmp_path: Path) -> None:
    store = DeskStore(tmp_path / "mx.sqlite3", "MX")
    early = DeskAction(
        event_id="e",
        alert_id="alert-unknown",
        desk_country="MX",
        action=ActionKind.ACKNOWLEDGE,
        actor="ana.mx",
        at=NOW,
        alert_version=1,
    )
    store.apply([Feed().action(early)])
    assert store.take_first_responses(since=NOW - timedelta(days=1)) == []
