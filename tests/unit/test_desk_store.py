"""The desk store: records applied once with their offsets, in any order; queries on indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.desk.dismissals import dismissals_of, party_key
from services.desk.store import AlertQuery, DeskStore, StoreMismatch
from services.shared.models import Alert, Programme, Severity
from services.shared.models.desk import ActionKind, AlertState, ClosingOutcome, DeskAction
from tests.support.alerts import Feed, Notifier, a_match, alerts, manifest

ALERTS, ACTIONS = "alerts.mx", "actions.mx"  # as tests.support.alerts.Feed names them
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def act(alert: Alert, kind: ActionKind, minutes: int = 1, actor: str = "ana.mx", **fields: object) -> DeskAction:
    return DeskAction.model_validate({
        "event_id": f"{alert.alert_id}-{kind.value}-{minutes}-{actor}", "alert_id": alert.alert_id,
        "desk_country": alert.desk_country, "action": kind, "actor": actor, "at": T0 + timedelta(minutes=minutes),
        "alert_version": alert.version, **fields,
    })


async def mexico(notifier: Notifier, *matches: object) -> list[Alert]:
    return alerts(await notifier.batch(*matches), "MX")  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> DeskStore:
    return DeskStore(tmp_path / "mx.sqlite3", "MX")


async def test_the_latest_version_is_the_row_every_version_is_kept_and_a_replay_changes_nothing(
    store: DeskStore,
) -> None:
    notifier, feed = Notifier(), Feed()
    [v1] = await mexico(notifier, a_match("test:1"))
    [v2] = await mexico(notifier, a_match("test:2"))
    records = [feed.alert(v1), feed.alert(v2)]
    store.apply(records)
    replayed = store.apply([*records, feed.alert(v1)])  # v1 again, later on the topic (make run twice)
    assert (replayed.skipped, replayed.alerts) == (2, 1)
    stored = store.get(v1.alert_id)
    assert stored is not None and stored.alert == v2 and stored.status.state is AlertState.NEW
    assert store.versions(v1.alert_id) == [1, 2]
    assert store.get(v1.alert_id, version=1) is not None
    assert [item.alert.alert_id for item in store.query(AlertQuery())] == [v1.alert_id]


async def test_actions_read_before_their_alert_still_give_it_its_state(store: DeskStore) -> None:
    feed = Feed()
    [alert] = await mexico(Notifier(), a_match())
    store.apply([feed.action(act(alert, ActionKind.ACKNOWLEDGE)), feed.action(act(alert, ActionKind.INVESTIGATE, 2))])
    store.apply([feed.alert(alert)])
    stored = store.get(alert.alert_id)
    assert stored is not None and stored.status.state is AlertState.UNDER_INVESTIGATION
    assert [item.alert.alert_id for item in store.query(AlertQuery(states=[AlertState.UNDER_INVESTIGATION]))] == [
        alert.alert_id
    ]


async def test_an_event_is_applied_once_and_an_action_the_state_refuses_is_kept_as_ignored(store: DeskStore) -> None:
    feed = Feed()
    [alert] = await mexico(Notifier(), a_match())
    ack = act(alert, ActionKind.ACKNOWLEDGE, 1, "ana.mx")
    store.apply([feed.alert(alert), feed.action(ack), feed.action(ack),
                 feed.action(act(alert, ActionKind.ACKNOWLEDGE, 2, "luis.mx"))])
    history = store.history(alert.alert_id)
    effects = [(item.action.actor, item.effect) for item in history]
    assert effects == [("ana.mx", "applied"), ("luis.mx", "already_past")]
    assert store.effect_of(ack.event_id) == "applied"


async def test_a_second_writer_skips_what_the_first_applied(tmp_path: Path) -> None:
    feed = Feed()
    [alert] = await mexico(Notifier(), a_match())
    first, second = DeskStore(tmp_path / "mx.sqlite3", "MX"), DeskStore(tmp_path / "mx.sqlite3", "MX")
    records = [feed.alert(alert), feed.action(act(alert, ActionKind.ACKNOWLEDGE))]
    assert first.apply(records).actions == 1
    assert second.apply(records).skipped == 2
    assert second.offsets() == {(ALERTS, 0): 1, (ACTIONS, 0): 1}


async def test_another_desk_s_record_never_enters_the_store(store: DeskStore) -> None:
    feed = Feed()
    [colombia] = alerts(await Notifier().batch(a_match()), "CO")
    assert store.apply([feed.alert(colombia)]).skipped == 1
    assert store.query(AlertQuery()) == [] and store.get(colombia.alert_id) is None


def test_a_file_of_another_desk_is_refused(tmp_path: Path) -> None:
    DeskStore(tmp_path / "store.sqlite3", "US").close()
    with pytest.raises(StoreMismatch, match="holds desk US's store"):
        DeskStore(tmp_path / "store.sqlite3", "MX")


async def test_a_false_positive_is_remembered_with_who_and_when(store: DeskStore) -> None:
    feed = Feed()
    [alert] = await mexico(Notifier(), a_match())
    closing = act(alert, ActionKind.CLOSE, 30, "luis.mx", outcome=ClosingOutcome.FALSE_POSITIVE,
                  dismissed=dismissals_of(alert))
    store.apply([feed.alert(alert), feed.action(closing)])
    [remembered] = store.dismissals("test:1", party_key("JOHN DOE"))
    assert (remembered.actor, remembered.at, remembered.alert_id) == ("luis.mx", closing.at, alert.alert_id)


async def test_queries_by_state_severity_programme_time_vessel_and_entry(store: DeskStore) -> None:
    notifier, feed = Notifier(), Feed()
    [drugs] = await mexico(notifier, a_match("test:1", on=manifest("M-1", bill="B1", vessel_imo="9187655"),
                                             score=0.99, method="identifier:imo", programs=("SDNTK",)))
    [low] = await mexico(notifier, a_match("test:2", on=manifest("M-2", bill="B2"), score=0.81))
    low = low.model_copy(update={"raised_at": low.raised_at + timedelta(hours=1)})  # raised an hour later
    store.apply([feed.alert(drugs), feed.alert(low), feed.action(act(low, ActionKind.ACKNOWLEDGE))])

    def found(**filters: object) -> list[str]:
        return [item.alert.manifest.manifest_id for item in store.query(AlertQuery(**filters))]  # type: ignore[arg-type]

    assert found(states=[AlertState.NEW]) == ["M-1"]
    assert found(states=[AlertState.ACKNOWLEDGED]) == ["M-2"]
    assert found(severities=[Severity.CRITICAL]) == ["M-1"]
    assert found(severities=[Severity.LOW, Severity.CRITICAL]) == ["M-2", "M-1"]  # the latest raised first
    assert found(programmes=[Programme.NARCOTICS]) == ["M-1"]
    assert found(vessel="9187655") == found(vessel="sea star") == ["M-1"]
    assert found(entry="test:2") == ["M-2"]
    assert found(since=drugs.raised_at) == ["M-2", "M-1"]
    assert found(since=low.raised_at) == ["M-2"]
    assert found(until=low.raised_at) == ["M-1"]
    assert found(escalated=False, limit=1) == ["M-2"]
    assert found(programmes=[Programme.NARCOTICS, Programme.SANCTIONS], states=[AlertState.NEW]) == ["M-1"]


async def test_alerts_raised_at_the_same_moment_come_in_one_order_every_time(store: DeskStore) -> None:
    notifier, feed = Notifier(), Feed()
    same = [alert for number in range(6) for alert in await mexico(
        notifier, a_match(on=manifest(f"M-{number}", bill=f"B{number}"), score=0.99 - number / 100))]
    store.apply([feed.alert(alert) for alert in same])
    newest_id_first = sorted((alert.alert_id for alert in same), reverse=True)
    assert [item.alert.alert_id for item in store.query(AlertQuery(limit=3))] == newest_id_first[:3]
    by_severity = AlertQuery(severities=[Severity.CRITICAL, Severity.HIGH], limit=3)
    assert [item.alert.alert_id for item in store.query(by_severity)] == newest_id_first[:3]


QUERIES = {
    "new and critical": AlertQuery(states=[AlertState.NEW], severities=[Severity.CRITICAL]),
    "open": AlertQuery(states=[AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.UNDER_INVESTIGATION]),
    "high or critical": AlertQuery(severities=[Severity.HIGH, Severity.CRITICAL]),
    "the latest": AlertQuery(),
    "since": AlertQuery(since=T0),
    "vessel": AlertQuery(vessel="9187655"),
    "entry": AlertQuery(entry="ofac-sdn:4106", states=[AlertState.NEW]),
    "programme": AlertQuery(programmes=[Programme.NARCOTICS, Programme.HUMAN_TRAFFICKING], severities=[Severity.HIGH]),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_follows_indexes_and_sorts_only_the_few_rows_it_keeps(store: DeskStore, name: str) -> None:
    steps = store.explain(QUERIES[name])
    assert not [step for step in steps if step.startswith("SCAN") and "USING" not in step
                and not step.startswith(("SCAN (subquery", "SCAN q"))], steps  # no table read row by row
    # one sort: the merged parts' few rows (a vessel's alerts, few, are sorted within their part too)
    assert steps.count("USE TEMP B-TREE FOR ORDER BY") == (2 if name == "vessel" else 1), steps
