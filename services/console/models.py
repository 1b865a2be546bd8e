"""The console API's bodies and answers (the alerts themselves are DeskAlert, the cases CaseStatus and
CaseView, as the CLI prints them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.desk.cases import CaseResult
from services.desk.operations import ActionResult
from services.desk.store import HistoryItem
from services.shared.models import Severity
from services.shared.models.case import CaseEvent, CaseState, CaseStatus
from services.shared.models.common import LongText
from services.shared.models.desk import AlertStatus, ClosingOutcome, DeskAction


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: LongText = Field(default="", description="why, for the record")


class CloseRequest(ActionRequest):
    outcome: ClosingOutcome


class ActionAnswer(BaseModel):
    """The event published on actions.<cc>, what it did once the store read it, and where the alert stands."""

    action: DeskAction
    effect: str | None = Field(description="applied, why it changed nothing, or null if not read back yet")
    status: AlertStatus

    @classmethod
    def of(cls, result: ActionResult) -> ActionAnswer:
        return cls(action=result.action, effect=result.effect, status=result.status)


class HistoryAnswer(BaseModel):
    action: DeskAction
    effect: str

    @classmethod
    def of(cls, item: HistoryItem) -> HistoryAnswer:
        return cls(action=item.action, effect=item.effect)


class OpenCaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alert_ids: list[str] = Field(description="the desk's alerts the case is opened from")
    title: str = Field(max_length=200, description="what the case is about")
    priority: Severity | None = Field(default=None, description="the alerts' highest severity unless given")
    note: LongText = ""


class CaseNoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: LongText


class CaseStateRequest(ActionRequest):
    state: CaseState


class CasePriorityRequest(ActionRequest):
    priority: Severity


class InviteRequest(ActionRequest):
    desk: str = Field(description="the partner desk to invite, e.g. CO")


class CaseAnswer(BaseModel):
    """The event published on `cases`, what it did once the store read it, and where the case stands."""

    event: CaseEvent
    effect: str | None = Field(description="applied, why it changed nothing, or null if not read back yet")
    case: CaseStatus | None

    @classmethod
    def of(cls, result: CaseResult) -> CaseAnswer:
        return cls(event=result.event, effect=result.effect, case=result.case)
