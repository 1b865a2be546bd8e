"""Joint cases: desks investigating alerts together. Every case action is an event on `cases`.

A desk opens a case from alerts it received, invites the other desks that received them (never a
desk an entry's sharing scope excludes), and the participants add notes and move the case along
(open → active → closed). The `cases` topic, keyed by case id and kept for good, is the record and
the audit trail: a case is its events folded in order (services/desk/case_lifecycle.py), and each
desk store holds the cases its desk opened or was invited to.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field, model_validator

from services.shared.models.alert import Severity
from services.shared.models.common import CountryCode, LongText, NonEmptyStr, StrictModel

#: A case's alerts at most: a joint team works on a handful of manifests, not on a feed.
MAX_CASE_ALERTS = 100


class CaseState(StrEnum):
    OPEN = "open"
    ACTIVE = "active"
    CLOSED = "closed"


class CaseAction(StrEnum):
    OPEN = "open"
    INVITE = "invite"
    NOTE = "note"
    STATE = "state"
    PRIORITY = "priority"


class CaseEvent(StrictModel):
    """An event on `cases`: who (officer and desk) did what to which case, when."""

    event_id: NonEmptyStr = Field(description="unique; the same event read twice is applied once")
    case_id: NonEmptyStr
    action: CaseAction
    desk_country: CountryCode = Field(description="the desk of the officer who acted")
    actor: NonEmptyStr = Field(description="the desk token's holder")
    at: AwareDatetime
    title: str = Field(default="", max_length=200, description="open: what the case is about")
    alert_ids: list[NonEmptyStr] = Field(
        default_factory=list, max_length=MAX_CASE_ALERTS, description="open: the alerts the case is opened from"
    )
    priority: Severity | None = Field(default=None, description="open, priority: how relevant the case is")
    invited: CountryCode | None = Field(default=None, description="invite: the desk invited")
    refused: str | None = Field(
        default=None, description="invite: why it was refused (recorded, changes nothing), e.g. not_received"
    )
    state: CaseState | None = Field(default=None, description="state: the case's new state")
    note: LongText = ""

    @model_validator(mode="after")
    def _consistent(self) -> CaseEvent:
        given = {
            CaseAction.OPEN: self.alert_ids and self.priority is not None and self.title,
            CaseAction.INVITE: self.invited is not None,
            CaseAction.NOTE: bool(self.note),
            CaseAction.STATE: self.state is not None,
            CaseAction.PRIORITY: self.priority is not None,
        }
        if not given[self.action]:
            raise ValueError(
                f"{self.action.value} needs its fields (open: title, alerts and priority; invite: "
                "invited; note: note; state: state; priority: priority)"
            )
        if self.refused is not None and self.action is not CaseAction.INVITE:
            raise ValueError("only an invitation is recorded as refused")
        return self


class CaseStatus(StrictModel):
    """Where a case stands, as its events so far make it."""

    case_id: str
    title: str
    opened_by: CountryCode
    opened_by_actor: str
    opened_at: AwareDatetime
    alert_ids: list[str]
    priority: Severity
    state: CaseState = CaseState.OPEN
    desks: list[CountryCode] = Field(description="the participating desks: the opener first, then the invited")
    updated_at: AwareDatetime


class CaseHistoryItem(StrictModel):
    event: CaseEvent
    effect: str = Field(description="'applied', or why it changed nothing (e.g. refused, not_opener)")


class CaseView(StrictModel):
    """A case as one desk sees it: what `interdict case show --json` prints, and a web console reads.

    `alerts` are the desk's own alerts of the case (as its scopes made them for it); an alert of the
    case the desk has not received (yet) is not shown, only counted in `alerts_not_on_desk`.
    """

    case: CaseStatus
    desk: CountryCode = Field(description="the desk this view is for")
    alerts: list[CaseAlert] = Field(default_factory=list)
    alerts_not_on_desk: int = 0
    history: list[CaseHistoryItem] = Field(default_factory=list, description="every case event, oldest first")


class CaseAlert(StrictModel):
    """One of the case's alerts, as this desk has it."""

    alert_id: str
    version: int
    severity: Severity
    state: str
    summary: str
    manifest_id: str
    vessel_name: str | None = None


CaseView.model_rebuild()
