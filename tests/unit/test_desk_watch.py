"""What `desk watch` shows: each alert once, updates and action lines, filtered; on replay, nothing twice."""

from __future__ import annotations

from datetime import timedelta

from services.desk.dismissals import dismissals_of
from services.desk.watch import DeskFeed, Shown, WatchFilter
from services.shared.models import Alert, Severity
from services.shared.models.desk import ActionKind, AlertState, ClosingOutcome, DeskAction
from tests.support.alerts import NOW, Notifier, a_match, alerts, manifest


def act(alert: Alert, kind: ActionKind, minutes: int, **fields: object) -> DeskAction:
    return DeskAction.model_validate({
        "event_id": f"{kind.value}-{alert.alert_id}-{minutes}", "alert_id": alert.alert_id,
        "desk_country": alert.desk_country, "action": kind, "actor": fields.pop("actor", "ana.mx"),
        "at": NOW + timedelta(minutes=minutes), "alert_version": alert.version, **fields,
    })


def shown_alerts(shown: list[Shown]) -> list[tuple[str, int]]:
    return [(item.view.alert.alert_id, item.view.alert.version) for item in shown if item.view is not None]


def lines(shown: list[Shown]) -> list[str]:
    return [item.line for item in shown if item.line is not None]


async def versions() -> tuple[Alert, Alert, Alert]:
    """Mexico's alert on M-1 in versions 1 and 2, and a critical alert on M-2."""
    notifier = Notifier()
    [first] = alerts(await notifier.batch(a_match("test:1")), "MX")
    [second] = alerts(await notifier.batch(a_match("test:2", name="ROE, Jane")), "MX")
    [critical] = alerts(await notifier.batch(a_match("test:3", on=manifest("M-2", bill="B2"), score=0.99,
                                                     method="identifier:imo")), "MX")
    return first, second, critical


async def test_a_replay_shows_each_alert_once_at_its_latest_version() -> None:
    first, second, critical = await versions()
    feed = DeskFeed()
    for alert in (first, second, critical, first, second):  # the demo run twice: the same ids again
        feed.read_alert(alert)
    assert sorted(shown_alerts(feed.snapshot())) == sorted([(first.alert_id, 2), (critical.alert_id, 1)])


async def test_live_a_version_seen_shows_nothing_a_later_one_an_update_and_a_new_alert_in_full() -> None:
    first, second, critical = await versions()
    feed = DeskFeed()
    assert shown_alerts(feed.on_alert(first)) == [(first.alert_id, 1)]
    assert feed.on_alert(first) == []  # the same version again (a replay, a resend)
    update = feed.on_alert(second)
    assert shown_alerts(update) == [(second.alert_id, 2)]
    # (the changes are the manifests' words: shown as text, their brackets escaped from rich's markup)
    assert lines(update) == [f"{first.alert_id} actualizada a la versión 2: nueva coincidencia: ROE, Jane \\[test:2]"]
    assert feed.on_alert(first) == []  # older than what was shown
    assert shown_alerts(feed.on_alert(critical)) == [(critical.alert_id, 1)]


async def test_the_filters_are_list_s_and_the_state_comes_from_the_actions() -> None:
    first, _, critical = await versions()
    feed = DeskFeed(WatchFilter(severities=frozenset({Severity.CRITICAL})))
    assert feed.on_alert(first) == []
    assert shown_alerts(feed.on_alert(critical)) == [(critical.alert_id, 1)]
    only_new = DeskFeed(WatchFilter(states=frozenset({AlertState.NEW})))
    only_new.read_alert(first)
    only_new.read_alert(critical)
    only_new.read_action(act(first, ActionKind.ACKNOWLEDGE, 3))
    assert shown_alerts(only_new.snapshot()) == [(critical.alert_id, 1)]
    by_entry = DeskFeed(WatchFilter(entry="test:3", vessel=None))
    assert by_entry.on_alert(first) == [] and by_entry.on_alert(critical) != []


async def test_actions_and_escalations_are_lines_on_the_alerts_shown() -> None:
    first, _, critical = await versions()
    feed = DeskFeed()
    feed.on_alert(first)
    assert lines(feed.on_action(act(first, ActionKind.ACKNOWLEDGE, 3))) == [f"{first.alert_id} recibida por ana.mx"]
    assert feed.on_action(act(first, ActionKind.ACKNOWLEDGE, 4, actor="luis.mx")) == []  # changed nothing
    escalation = act(critical, ActionKind.ESCALATE, 20, actor="escalator", severity=Severity.CRITICAL)
    filtered = DeskFeed(WatchFilter(severities=frozenset({Severity.LOW})))
    filtered.on_alert(critical)
    assert filtered.on_action(escalation) == []  # not an alert this watcher was shown
    feed.on_alert(critical)
    assert lines(feed.on_action(escalation)) == [
        f"[bold red]{critical.alert_id} escalada: alerta crítica aún nueva 20 min después de emitida[/]"
    ]


async def test_a_false_positive_read_before_is_marked_on_a_later_alert() -> None:
    first, _, _ = await versions()
    feed = DeskFeed()
    feed.read_alert(first)
    feed.read_action(act(first, ActionKind.CLOSE, 9, outcome=ClosingOutcome.FALSE_POSITIVE,
                         dismissed=dismissals_of(first)))
    [later] = alerts(await Notifier().batch(a_match("test:1", on=manifest("M-7", bill="B7"))), "MX")
    [shown] = feed.on_alert(later)
    assert shown.view is not None and [item.actor for item in shown.view.previously_dismissed["test:1"]] == ["ana.mx"]
