"""Desk operations on a real store, with the actions topic played by a publisher that feeds the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.admin.tokens import Principal, Role
from services.desk.operations import ActionNotAllowed, AlertNotFound, DeskOperations
from services.desk.store import AlertQuery, DeskStore
from services.shared.models import Alert
from services.shared.models.desk import AlertState, ClosingOutcome, DeskAction, Dismissal
from tests.support.alerts import Feed, Notifier, a_match, alerts

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


class TopicIntoStore:
    """Publishing puts the action on 'the topic', which the next sync applies; `first` goes before it."""

    def __init__(self, store: DeskStore, feed: Feed) -> None:
        self.store, self.feed = store, feed
        self.pending: list[DeskAction] = []
        self.first: list[DeskAction] = []
        self.published: list[DeskAction] = []

    def publish(self, action: DeskAction) -> None:
        self.published.append(action)
        self.pending += [*self.first, action]
        self.first = []

    def sync(self) -> None:
        self.store.apply([self.feed.action(action) for action in self.pending])
        self.pending = []


async def desk_with_one_alert(tmp_path: Path) -> tuple[DeskOperations, TopicIntoStore, Alert]:
    store, feed = DeskStore(tmp_path / "mx.sqlite3", "MX"), Feed()
    [alert] = alerts(await Notifier().batch(a_match()), "MX")
    store.apply([feed.alert(alert)])
    topic = TopicIntoStore(store, feed)
    officer = Principal(name="ana.mx", role=Role.DESK, country="MX")
    return DeskOperations("MX", officer, store, topic.sync, topic, clock=lambda: NOW), topic, alert


async def test_an_action_is_published_with_who_when_and_the_version_seen_then_read_back(tmp_path: Path) -> None:
    operations, topic, alert = await desk_with_one_alert(tmp_path)
    result = operations.acknowledge(alert.alert_id, "on it")
    [sent] = topic.published
    assert (sent.actor, sent.at, sent.alert_version, sent.note, sent.desk_country) == ("ana.mx", NOW, 1, "on it", "MX")
    assert result.effect == "applied" and result.status.state is AlertState.ACKNOWLEDGED


async def test_two_officers_at_once_the_later_one_learns_it_changed_nothing(tmp_path: Path) -> None:
    operations, topic, alert = await desk_with_one_alert(tmp_path)
    topic.first = [DeskAction(event_id="luis-first", alert_id=alert.alert_id, desk_country="MX",
                              action="acknowledge", actor="luis.mx", at=NOW, alert_version=1)]  # type: ignore[arg-type]
    result = operations.acknowledge(alert.alert_id)
    assert result.effect == "already_past"
    assert (result.status.state, result.status.changed_by) == (AlertState.ACKNOWLEDGED, "luis.mx")


async def test_closing_as_false_positive_names_every_party_and_entry_dismissed(tmp_path: Path) -> None:
    operations, topic, alert = await desk_with_one_alert(tmp_path)
    operations.close(alert.alert_id, ClosingOutcome.FALSE_POSITIVE, "a namesake")
    assert topic.published[0].dismissed == [Dismissal(subject_id="test:1", party="John Doe")]
    closed_true = await desk_with_one_alert(tmp_path / "other")
    closed_true[0].close(closed_true[2].alert_id, ClosingOutcome.TRUE_HIT)
    assert closed_true[1].published[0].dismissed == []


async def test_what_the_state_or_the_desk_does_not_allow_is_refused_before_anything_is_published(
    tmp_path: Path,
) -> None:
    operations, topic, alert = await desk_with_one_alert(tmp_path)
    operations.close(alert.alert_id, ClosingOutcome.NOT_ACTIONABLE)
    with pytest.raises(ActionNotAllowed) as refused:
        operations.investigate(alert.alert_id)
    assert refused.value.code == "closed" and refused.value.status.state is AlertState.CLOSED
    with pytest.raises(AlertNotFound):
        operations.acknowledge("alert-of-another-desk")
    with pytest.raises(AlertNotFound):
        operations.alert(alert.alert_id, version=2)
    assert len(topic.published) == 1
    assert [view.status.state for view in operations.alerts(AlertQuery())] == [AlertState.CLOSED]
