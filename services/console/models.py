"""The console API's bodies and answers (the alerts themselves are DeskAlert, as the CLI prints them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.desk.operations import ActionResult
from services.desk.store import HistoryItem
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
