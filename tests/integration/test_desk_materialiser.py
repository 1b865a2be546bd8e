"""The desk store kept from the real topics: resumes after a restart, rebuilt after its file is deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.desk.materialiser import Materialiser
from services.desk.store import AlertQuery, DeskStore
from services.shared import topics
from services.shared.kafka_clients import make_producer
from services.shared.kafka_security import OPERATOR
from services.shared.models import Alert
from services.shared.models.desk import ActionKind, AlertState, DeskAction
from services.shared.settings import Settings
from tests.support.alerts import Notifier, a_match, alerts, manifest

pytestmark = pytest.mark.integration


def send(settings: Settings, topic: str, key: str, values: list[bytes]) -> None:
    producer = make_producer(settings, OPERATOR)
    for value in values:
        producer.send(topic, key=key.encode(), value=value)
    producer.flush(30)
    producer.close()


def acknowledge(alert: Alert) -> DeskAction:
    return DeskAction(
        event_id=f"ack-{alert.alert_id}",
        alert_id=alert.alert_id,
        desk_country="MX",
        action=ActionKind.ACKNOWLEDGE,
        actor="ana.mx",
        at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        alert_version=alert.version,
    )


def snapshot(store: DeskStore) -> list[tuple[str, int, str, list[str]]]:
    return [
        (
            item.alert.alert_id,
            item.alert.version,
            item.status.state.value,
            [history.effect for history in store.history(item.alert.alert_id)],
        )
        for item in store.query(AlertQuery(limit=100))
    ]


def materialised(settings: Settings, path: Path) -> tuple[DeskStore, int]:
    store = DeskStore(path, "MX")
    materialiser = Materialiser(settings, {"MX": store})
    try:
        return store, materialiser.catch_up(timeout_s=60)
    finally:
        materialiser.close()


async def test_the_store_resumes_where_it_stopped_and_is_rebuilt_when_deleted(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings
    notifier = Notifier()
    [first] = alerts(await notifier.batch(a_match("test:1", on=manifest("M-1", bill="B1"))), "MX")
    [second] = alerts(await notifier.batch(a_match("test:2", on=manifest("M-2", bill="B2"))), "MX")
    [updated] = alerts(await notifier.batch(a_match("test:3", on=manifest("M-1", bill="B1"))), "MX")
    alerts_topic, actions_topic = topics.desk_topic(settings, "MX"), topics.actions_topic(settings, "MX")
    send(settings, alerts_topic, first.alert_id, [first.model_dump_json().encode(), second.model_dump_json().encode()])
    send(settings, actions_topic, first.alert_id, [acknowledge(first).model_dump_json().encode()])

    path = tmp_path / "desk" / "mx.sqlite3"
    store, applied = materialised(settings, path)
    assert applied == 3
    assert {row[0]: row[2] for row in snapshot(store)} == {first.alert_id: "acknowledged", second.alert_id: "new"}
    store.close()

    # A restart reads only what came after: the update, and the same first version sent again.
    send(settings, alerts_topic, first.alert_id, [updated.model_dump_json().encode(), first.model_dump_json().encode()])
    store, applied = materialised(settings, path)
    assert applied == 2
    before = snapshot(store)
    assert (first.alert_id, 2, "acknowledged", ["applied"]) in before
    assert store.query(AlertQuery(states=[AlertState.NEW]))[0].alert.alert_id == second.alert_id
    store.close()

    path.unlink()
    for leftover in path.parent.glob("mx.sqlite3-*"):  # the WAL and its index
        leftover.unlink()
    rebuilt, applied = materialised(settings, path)
    assert applied == 5  # everything on the topics, from the beginning
    assert snapshot(rebuilt) == before
    assert rebuilt.versions(first.alert_id) == [1, 2]
