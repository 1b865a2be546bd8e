"""Joint cases, for every front end: the `interdict case` commands, a web console's cases router.

A desk opens a case from alerts it received, invites the other desks that received them, and the
participants add notes and move it along. Every call is made by an authorised officer of one desk
(operations.authorise, as for alerts); every action is a CaseEvent published to `cases` (the audit
trail), then read back from the desk's store to say what it did. Reads come from the desk's store,
which holds only the cases the desk takes part in (case_store.py).

Sharing scopes hold: a desk is invited only if it received every alert of the case (as far as the
inviting desk's alert shows: a match of it routes to that desk) and no entry matched on them is
withheld from it; a refused invitation is published too, marked refused, so it is on the record,
and changes nothing. An invited desk sees the case's alerts from its own store: its own versions,
which its scopes made for it.

Nothing here knows about the terminal or HTTP: refusals are DeskError exceptions (`code` is a
catalogue key under `refused.`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from services.admin.tokens import Principal
from services.desk.case_lifecycle import case_refusal
from services.desk.operations import AlertNotFound, DeskError
from services.desk.store import DeskStore, StoredAlert
from services.notifier.routing import finding_desks
from services.shared.models import Alert, Severity
from services.shared.models.case import (
    MAX_CASE_ALERTS,
    CaseAction,
    CaseAlert,
    CaseEvent,
    CaseState,
    CaseStatus,
    CaseView,
)
from services.shared.settings import PARTNER_COUNTRIES


class CaseNotFound(DeskError):
    """No such case on this desk (a case the desk does not take part in is not found either)."""


class CaseNotAllowed(DeskError):
    """The case does not allow it (closed, not the opening desk, ...): `code` says why, `case` where it stands."""

    def __init__(self, code: str, case: CaseStatus) -> None:
        super().__init__(code, case.case_id)
        self.case = case


class InviteRefused(DeskError):
    """The desk may not be invited (did not receive an alert, or an entry's scope withholds it); recorded."""

    def __init__(self, code: str, desk: str, detail: str, event: CaseEvent) -> None:
        super().__init__(code, detail)
        self.desk = desk
        self.event = event


class CaseBadRequest(DeskError):
    """What was asked for cannot be a case action (no alert, no title, not a partner desk)."""


class CasePublisher(Protocol):
    def publish(self, event: CaseEvent) -> None:
        """Put the event on `cases`, keyed by its case id, and return once the broker has it."""
        ...


@dataclass(frozen=True)
class CaseResult:
    event: CaseEvent
    effect: str | None  # "applied", why it changed nothing, or None if the store has not read it yet
    case: CaseStatus | None


def invite_refusal(alerts: Sequence[Alert], desk: str) -> tuple[str, str] | None:
    """(why, what) if `desk` may not join a case on `alerts` (the inviting desk's versions); else None."""
    for alert in alerts:
        withheld = [
            match.entry.entry_id
            for match in alert.matches
            if match.entry is not None and not match.entry.sharing.allows(match.entry.owner_country, desk)
        ]
        if withheld:
            return "case-scope", f"{alert.alert_id}: {', '.join(withheld)}"
        if not any(desk in finding_desks(match, alert.manifest) for match in alert.matches):
            return "case-not-received", alert.alert_id
    return None


class CaseOperations:
    def __init__(
        self,
        desk: str,
        officer: Principal,
        store: DeskStore,
        sync: Callable[[], object],
        publisher: CasePublisher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.desk = desk
        self.officer = officer
        self._store = store
        self._sync = sync  # brings the store up to date with the topics
        self._publisher = publisher
        self._clock = clock

    # -- reading --------------------------------------------------------------------------------------

    def cases(self, states: Sequence[CaseState] = (), limit: int = 50) -> list[CaseStatus]:
        """The desk's cases, the most relevant first: the highest priority, then the latest changed."""
        self._sync()
        return self._store.cases.cases(states, limit)

    def case(self, case_id: str) -> CaseView:
        self._sync()
        case = self._case(case_id)
        alerts = [self._store.get(alert_id) for alert_id in case.alert_ids]
        return CaseView(
            case=case,
            desk=self.desk,
            alerts=[_case_alert(stored) for stored in alerts if stored is not None],
            alerts_not_on_desk=sum(stored is None for stored in alerts),
            history=self._store.cases.history(case_id),
        )

    def _case(self, case_id: str) -> CaseStatus:
        case = self._store.cases.case(case_id)
        if case is None:
            raise CaseNotFound("case-not-found", case_id)
        return case

    # -- acting ---------------------------------------------------------------------------------------

    def open(
        self, alert_ids: Sequence[str], title: str, priority: Severity | None = None, note: str = ""
    ) -> CaseResult:
        """A case on the desk's alerts; its priority is their highest severity unless given."""
        wanted = list(dict.fromkeys(alert_ids))
        if not wanted or len(wanted) > MAX_CASE_ALERTS:
            raise CaseBadRequest("case-alerts", f"1 to {MAX_CASE_ALERTS} alerts")
        if not title.strip():
            raise CaseBadRequest("case-title")
        self._sync()
        alerts = [self._alert(alert_id) for alert_id in wanted]
        highest = Severity.of_rank(max(alert.severity.rank for alert in alerts))
        event = self._event(
            f"case-{uuid.uuid4().hex[:20]}",
            CaseAction.OPEN,
            title=title.strip(),
            alert_ids=wanted,
            priority=priority or highest,
            note=note,
        )
        return self._publish(event)

    def invite(self, case_id: str, desk: str, note: str = "") -> CaseResult:
        """Invite a desk; refused (InviteRefused, and on the record) if it did not receive the case's
        alerts or an entry's scope withholds it."""
        desk = desk.upper()
        if desk not in PARTNER_COUNTRIES:
            raise CaseBadRequest("case-not-a-partner", desk)
        self._sync()
        case = self._case(case_id)
        event = self._event(case_id, CaseAction.INVITE, invited=desk, note=note)
        self._allowed(case, event)
        refused = invite_refusal([self._alert(alert_id) for alert_id in case.alert_ids], desk)
        if refused is not None:
            code, detail = refused
            recorded = event.model_copy(update={"refused": code.removeprefix("case-").replace("-", "_")})
            self._publisher.publish(recorded)
            raise InviteRefused(code, desk, detail, recorded)
        return self._publish(event)

    def note(self, case_id: str, text: str) -> CaseResult:
        if not text.strip():
            raise CaseBadRequest("case-note")
        return self._change(case_id, CaseAction.NOTE, note=text)

    def set_state(self, case_id: str, state: CaseState, note: str = "") -> CaseResult:
        return self._change(case_id, CaseAction.STATE, state=state, note=note)

    def set_priority(self, case_id: str, priority: Severity, note: str = "") -> CaseResult:
        return self._change(case_id, CaseAction.PRIORITY, priority=priority, note=note)

    def _change(self, case_id: str, action: CaseAction, **fields: object) -> CaseResult:
        self._sync()
        case = self._case(case_id)
        event = self._event(case_id, action, **fields)
        self._allowed(case, event)
        return self._publish(event)

    def _allowed(self, case: CaseStatus, event: CaseEvent) -> None:
        """Refuse before anything is published what the case, as the store has it, would not apply."""
        refused = case_refusal(case, event)
        if refused is not None:
            raise CaseNotAllowed(refused, case)

    def _alert(self, alert_id: str) -> Alert:
        stored = self._store.get(alert_id)
        if stored is None:
            raise AlertNotFound("not-found", alert_id)
        return stored.alert

    def _event(self, case_id: str, action: CaseAction, **fields: object) -> CaseEvent:
        return CaseEvent.model_validate(
            {
                "event_id": f"case-event-{uuid.uuid4().hex}",
                "case_id": case_id,
                "action": action,
                "desk_country": self.desk,
                "actor": self.officer.name,
                "at": self._clock(),
                **fields,
            }
        )

    def _publish(self, event: CaseEvent) -> CaseResult:
        self._publisher.publish(event)
        self._sync()  # read it back: the store says what it did
        return CaseResult(event, self._store.cases.effect_of(event.event_id), self._store.cases.case(event.case_id))


def _case_alert(stored: StoredAlert) -> CaseAlert:
    alert = stored.alert
    return CaseAlert(
        alert_id=alert.alert_id,
        version=alert.version,
        severity=alert.severity,
        state=stored.status.state.value,
        summary=alert.summary,
        manifest_id=alert.manifest.manifest_id,
        vessel_name=alert.manifest.vessel_name,
    )
