"""An alert's lifecycle as its actions make it, and false-positive decisions remembered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.desk.dismissals import DismissalMemory, dismissals_of, party_key, previously_dismissed
from services.desk.lifecycle import APPLIED, TRANSITIONS, apply, fold, refusal
from services.shared.models import Alert, Severity
from services.shared.models.desk import (
    ActionKind,
    AlertState,
    AlertStatus,
    ClosingOutcome,
    DeskAction,
    Dismissal,
)
from tests.support.alerts import Notifier, a_match, alerts, manifest

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def action(kind: ActionKind, minutes: int = 0, actor: str = "ana.mx", alert_id: str = "alert-1",
           outcome: ClosingOutcome | None = None, dismissed: list[Dismissal] | None = None) -> DeskAction:
    return DeskAction(
        event_id=f"e-{kind.value}-{minutes}-{actor}", alert_id=alert_id, desk_country="MX", action=kind, actor=actor,
        at=T0 + timedelta(minutes=minutes), note=f"{kind.value} note", alert_version=1, outcome=outcome,
        severity=Severity.HIGH if kind is ActionKind.ESCALATE else None, dismissed=dismissed or [],
    )


ACK, INVESTIGATE, ESCALATE = ActionKind.ACKNOWLEDGE, ActionKind.INVESTIGATE, ActionKind.ESCALATE


def close(minutes: int = 0, outcome: ClosingOutcome = ClosingOutcome.TRUE_HIT, **kw: object) -> DeskAction:
    return action(ActionKind.CLOSE, minutes, outcome=outcome, **kw)  # type: ignore[arg-type]


def test_the_whole_way_new_acknowledged_under_investigation_closed_with_who_when_and_a_note() -> None:
    status = fold([action(ACK, 1), action(INVESTIGATE, 5, actor="luis.mx"), close(60, ClosingOutcome.FALSE_POSITIVE)])
    assert status.state is AlertState.CLOSED and status.outcome is ClosingOutcome.FALSE_POSITIVE
    assert (status.changed_by, status.changed_at, status.note) == ("ana.mx", T0 + timedelta(minutes=60), "close note")


@pytest.mark.parametrize(
    ("state", "kind", "allowed"),
    [
        (AlertState.NEW, ACK, True), (AlertState.NEW, INVESTIGATE, True), (AlertState.NEW, ActionKind.CLOSE, True),
        (AlertState.ACKNOWLEDGED, ACK, False), (AlertState.ACKNOWLEDGED, INVESTIGATE, True),
        (AlertState.UNDER_INVESTIGATION, ACK, False), (AlertState.UNDER_INVESTIGATION, INVESTIGATE, False),
        (AlertState.UNDER_INVESTIGATION, ActionKind.CLOSE, True),
        (AlertState.CLOSED, ACK, False), (AlertState.CLOSED, ActionKind.CLOSE, False),
        (AlertState.ACKNOWLEDGED, ESCALATE, False),
    ],
)
def test_each_action_is_allowed_only_from_its_states(state: AlertState, kind: ActionKind, allowed: bool) -> None:
    assert (refusal(AlertStatus(state=state), kind) is None) is allowed
    assert (state in TRANSITIONS[kind][0]) is allowed


def test_a_second_acknowledgement_changes_nothing_and_says_why() -> None:
    first, _ = apply(AlertStatus(), action(ACK, 1, actor="ana.mx"))
    second, effect = apply(first, action(ACK, 2, actor="luis.mx"))
    assert second == first and first.changed_by == "ana.mx"
    assert effect == "already_past"
    assert apply(fold([close(3)]), action(INVESTIGATE, 4))[1] == "closed"


def test_escalation_marks_a_new_alert_once_and_never_one_someone_took() -> None:
    escalated, effect = apply(AlertStatus(), action(ESCALATE, 30, actor="escalator"))
    assert effect == APPLIED
    assert (escalated.state, escalated.escalated_at, escalated.escalated_severity) == (
        AlertState.NEW, T0 + timedelta(minutes=30), Severity.HIGH
    )
    assert apply(escalated, action(ESCALATE, 31, actor="escalator"))[1] == "already_escalated"
    assert apply(fold([action(ACK, 1)]), action(ESCALATE, 30, actor="escalator"))[1] == "already_past"
    assert fold([action(ESCALATE, 30, actor="escalator"), action(ACK, 31)]).state is AlertState.ACKNOWLEDGED


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "close"},  # no outcome
        {"action": "acknowledge", "outcome": "true_hit"},
        {"action": "close", "outcome": "true_hit", "dismissed": [{"subject_id": "x:1", "party": "ACME"}]},
        {"action": "escalate"},  # no severity
        {"action": "acknowledge", "severity": "high"},
    ],
)
def test_an_inconsistent_action_is_refused_by_its_model(fields: dict[str, object]) -> None:
    base = {"event_id": "e", "alert_id": "a", "desk_country": "MX", "actor": "ana.mx", "at": T0, "alert_version": 1}
    with pytest.raises(ValidationError):
        DeskAction.model_validate(base | fields)


# -- false positives remembered ---------------------------------------------------------------------


def test_party_names_compare_as_people_read_them() -> None:
    assert party_key("Distribuidora Imperial, S.A.") == party_key("DISTRIBUIDORA  IMPERIAL SA") == (
        "distribuidora imperial sa"
    )
    assert party_key("José Rodríguez") == party_key("JOSE RODRIGUEZ")
    assert party_key("ACME Trading") != party_key("ACME Trade")


async def mexican_alert(manifest_id: str, party: str = "John Doe", entry: str = "test:1") -> Alert:
    match = a_match(entry, on=manifest(manifest_id, bill=f"BL-{manifest_id}"))
    evidence = [item.model_copy(update={"query_value": party}) for item in match.evidence]
    [alert] = alerts(await Notifier().batch(match.model_copy(update={"evidence": evidence})), "MX")
    return alert


async def test_a_false_positive_marks_the_same_party_against_the_same_entry_in_later_alerts() -> None:
    dismissed_alert = await mexican_alert("M-1", "JOHN DOE")
    assert dismissals_of(dismissed_alert) == [Dismissal(subject_id="test:1", party="JOHN DOE")]
    memory = DismissalMemory()
    memory.remember(close(90, ClosingOutcome.FALSE_POSITIVE, alert_id=dismissed_alert.alert_id,
                          dismissed=dismissals_of(dismissed_alert)))
    later = await mexican_alert("M-2", "John  Doe.")
    [remembered] = previously_dismissed(later, memory.find)["test:1"]
    assert (remembered.actor, remembered.alert_id, remembered.party) == ("ana.mx", dismissed_alert.alert_id, "JOHN DOE")
    assert previously_dismissed(dismissed_alert, memory.find) == {}  # not on the alert it was decided on
    assert previously_dismissed(await mexican_alert("M-3", "Jane Doe"), memory.find) == {}
    assert previously_dismissed(await mexican_alert("M-4", "John Doe", entry="test:2"), memory.find) == {}


def test_only_a_false_positive_is_remembered() -> None:
    memory = DismissalMemory()
    memory.remember(close(5, ClosingOutcome.TRUE_HIT))
    memory.remember(close(6, ClosingOutcome.NOT_ACTIONABLE))
    assert memory.find("test:1", party_key("John Doe")) == []
