"""A joint case's lifecycle: its events, in topic order, make it.

    open      creates the case: its title, alerts and priority; the opening desk takes part
    invite    adds a desk (a refused invitation is kept in the history and adds nobody)
    note      a participant's note (the state and the rest unchanged)
    state     open → active → closed (open → closed too); nothing leaves closed
    priority  the opening desk only

Pure, like the alerts' lifecycle (lifecycle.py): an event a case does not allow is kept in the
history and changes nothing; `case_refusal` says why, as a catalogue key (`case_effect.<key>`).
"""

from __future__ import annotations

from services.desk.lifecycle import APPLIED
from services.shared.models.case import CaseAction, CaseEvent, CaseState, CaseStatus

#: The states each state may move to.
MOVES: dict[CaseState, frozenset[CaseState]] = {
    CaseState.OPEN: frozenset({CaseState.ACTIVE, CaseState.CLOSED}),
    CaseState.ACTIVE: frozenset({CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
}


def opened(event: CaseEvent) -> CaseStatus:
    """The case an `open` event creates."""
    assert event.action is CaseAction.OPEN and event.priority is not None
    return CaseStatus(
        case_id=event.case_id,
        title=event.title,
        opened_by=event.desk_country,
        opened_by_actor=event.actor,
        opened_at=event.at,
        alert_ids=list(event.alert_ids),
        priority=event.priority,
        desks=[event.desk_country],
        updated_at=event.at,
    )


def case_refusal(case: CaseStatus, event: CaseEvent) -> str | None:
    """None if the case allows the event; else why not (a key under `case_effect.`)."""
    if event.action is CaseAction.OPEN:
        return "already_open"
    if event.refused is not None:
        return "refused"
    if event.desk_country not in case.desks:
        return "not_participant"
    if case.state is CaseState.CLOSED and event.action is not CaseAction.NOTE:
        return "closed"
    if event.action is CaseAction.INVITE and event.invited in case.desks:
        return "already_invited"
    if event.action is CaseAction.STATE and event.state not in MOVES[case.state]:
        return "unchanged" if event.state is case.state else "not_allowed"
    if event.action is CaseAction.PRIORITY and event.desk_country != case.opened_by:
        return "not_opener"
    return None


def apply_case(case: CaseStatus, event: CaseEvent) -> tuple[CaseStatus, str]:
    """The case after `event`, and its effect: APPLIED, or why it changed nothing."""
    refused = case_refusal(case, event)
    if refused is not None:
        return case, refused
    changed: dict[str, object] = {"updated_at": max(case.updated_at, event.at)}
    if event.action is CaseAction.INVITE:
        assert event.invited is not None
        changed["desks"] = [*case.desks, event.invited]
    elif event.action is CaseAction.STATE:
        changed["state"] = event.state
    elif event.action is CaseAction.PRIORITY:
        changed["priority"] = event.priority
    return case.model_copy(update=changed), APPLIED
