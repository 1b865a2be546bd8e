"""An alert's lifecycle: new → acknowledged → under investigation → closed, and escalation.

    acknowledge   new                                  → acknowledged
    investigate   new, acknowledged                    → under investigation
    close         new, acknowledged, under investig.   → closed (true hit, false positive, not actionable)
    escalate      new, not escalated yet               → (still new, marked escalated)

Pure: an alert's status is its actions folded in topic order. An action the state does not allow
(two officers acknowledging at once, an escalation that crossed an acknowledgement) is kept in the
history and changes nothing; `refusal` says why, as a catalogue key (services/shared/i18n).
"""

from __future__ import annotations

from collections.abc import Iterable

from services.shared.models.desk import ActionKind, AlertState, AlertStatus, DeskAction

#: What each action needs the alert to be, and what it makes it.
TRANSITIONS: dict[ActionKind, tuple[frozenset[AlertState], AlertState]] = {
    ActionKind.ACKNOWLEDGE: (frozenset({AlertState.NEW}), AlertState.ACKNOWLEDGED),
    ActionKind.INVESTIGATE: (
        frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED}),
        AlertState.UNDER_INVESTIGATION,
    ),
    ActionKind.CLOSE: (
        frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.UNDER_INVESTIGATION}),
        AlertState.CLOSED,
    ),
    ActionKind.ESCALATE: (frozenset({AlertState.NEW}), AlertState.NEW),
}

#: An action that changed nothing, and why, by catalogue key (`effect.<key>`).
APPLIED = "applied"


def refusal(status: AlertStatus, action: ActionKind) -> str | None:
    """None if the action may be taken on an alert in `status`; else why not (`effect.<key>`)."""
    allowed_from, _ = TRANSITIONS[action]
    if action is ActionKind.ESCALATE and status.escalated_at is not None:
        return "already_escalated"
    if status.state in allowed_from:
        return None
    if status.state is AlertState.CLOSED:
        return "closed"
    return "already_past"


def apply(status: AlertStatus, action: DeskAction) -> tuple[AlertStatus, str]:
    """The status after `action`, and its effect: APPLIED, or why it changed nothing."""
    refused = refusal(status, action.action)
    if refused is not None:
        return status, refused
    if action.action is ActionKind.ESCALATE:
        return status.model_copy(update={"escalated_at": action.at, "escalated_severity": action.severity}), APPLIED
    _, target = TRANSITIONS[action.action]
    changed = {
        "state": target, "outcome": action.outcome, "changed_at": action.at, "changed_by": action.actor,
        "note": action.note,
    }
    return status.model_copy(update=changed), APPLIED


def fold(actions: Iterable[DeskAction]) -> AlertStatus:
    """The status an alert's actions, in topic order, give it."""
    status = AlertStatus()
    for action in actions:
        status, _ = apply(status, action)
    return status
