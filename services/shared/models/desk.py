"""What desks do with alerts: the events on `actions.<country>` (the record), and the state they give.

Every acknowledgement, investigation, closing and escalation is a DeskAction on the desk's actions
topic, keyed by alert id; an alert's status is what its actions, in order, make of it
(services/desk/lifecycle.py). A store answers queries from them (services/desk/store.py), and can
always be rebuilt from the topics.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field, model_validator

from services.shared.models.alert import Alert, Severity
from services.shared.models.common import CountryCode, LongText, NonEmptyStr, StrictModel


class AlertState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    UNDER_INVESTIGATION = "under_investigation"
    CLOSED = "closed"


class ClosingOutcome(StrEnum):
    TRUE_HIT = "true_hit"
    FALSE_POSITIVE = "false_positive"
    NOT_ACTIONABLE = "not_actionable"


class ActionKind(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    INVESTIGATE = "investigate"
    CLOSE = "close"
    #: by the desk store's escalator, not a person: the alert was still new past its deadline
    ESCALATE = "escalate"


#: The actor of escalations.
ESCALATOR = "escalator"


class Dismissal(StrictModel):
    """A party found not to be the entry: remembered for the desk's later alerts."""

    subject_id: NonEmptyStr = Field(description="the entry (or identity conflict) dismissed")
    party: NonEmptyStr = Field(description="the name on the manifest, as written, that matched it")


class DeskAction(StrictModel):
    """An event on `actions.<country>`: who did what to which alert, when, and why."""

    event_id: NonEmptyStr = Field(description="unique; the same event read twice is applied once")
    alert_id: NonEmptyStr
    desk_country: CountryCode
    action: ActionKind
    actor: NonEmptyStr = Field(description="the desk token's holder, or 'escalator'")
    at: AwareDatetime
    note: LongText = ""
    outcome: ClosingOutcome | None = Field(default=None, description="how it was closed (close only)")
    alert_version: int = Field(ge=1, description="the version of the alert the actor had before them")
    severity: Severity | None = Field(default=None, description="escalate: the severity whose deadline passed")
    dismissed: list[Dismissal] = Field(
        default_factory=list, description="close as false_positive: the parties remembered as not the entry"
    )

    @model_validator(mode="after")
    def _consistent(self) -> DeskAction:
        closing = self.action is ActionKind.CLOSE
        if closing != (self.outcome is not None):
            raise ValueError("an outcome is given with close, and only with close")
        if self.dismissed and self.outcome is not ClosingOutcome.FALSE_POSITIVE:
            raise ValueError("parties are dismissed only by closing as false_positive")
        if (self.action is ActionKind.ESCALATE) != (self.severity is not None):
            raise ValueError("a severity is given with escalate, and only with escalate")
        return self


class AlertStatus(StrictModel):
    """Where an alert stands, as its actions so far make it."""

    state: AlertState = AlertState.NEW
    outcome: ClosingOutcome | None = None
    changed_at: AwareDatetime | None = None
    changed_by: str | None = None
    note: str = ""
    escalated_at: AwareDatetime | None = None
    escalated_severity: Severity | None = None


class PreviousDismissal(StrictModel):
    """An earlier alert of the desk where the same party was found not to be the same entry."""

    subject_id: str
    party: str = Field(description="the name as that alert's manifest wrote it")
    actor: str = Field(description="who closed it as a false positive")
    at: AwareDatetime
    alert_id: str


class DeskAlert(StrictModel):
    """An alert as a desk holds it: the latest version, where it stands, and what was concluded before.

    What `interdict desk list|show --json` print, one per line, and what a web console reads.
    """

    alert: Alert
    status: AlertStatus
    versions: list[int] = Field(default_factory=list, description="every version the desk received")
    previously_dismissed: dict[str, list[PreviousDismissal]] = Field(
        default_factory=dict, description="per matched subject: false-positive decisions on the same party before"
    )
