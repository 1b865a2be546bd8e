"""/api/desks/{desk}/alerts: the desk's alerts, one alert, its history, and the actions on it, as JSON.
The endpoints are plain `def`: the store, Redis and Kafka calls block, so FastAPI runs them in its threads.

The same calls as `interdict desk list|show|history|ack|investigate|close --json`, through the same
DeskOperations: an action is an event on actions.<cc>, read back from the desk's store.
"""

from fastapi import APIRouter

from services.console.auth import Acting, Reading
from services.console.filters import AlertFilters
from services.console.models import ActionAnswer, ActionRequest, CloseRequest, HistoryAnswer
from services.shared.models.desk import DeskAlert

router = APIRouter(prefix="/api/desks/{desk}", tags=["alerts"])
REFUSALS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 503: {}}


@router.get("/alerts", responses=REFUSALS)
def list_alerts(ops: Reading, filters: AlertFilters) -> list[DeskAlert]:
    """The desk's alerts, the latest raised first, filtered."""
    return ops.alerts(filters.query)


@router.get("/alerts/{alert_id}", responses=REFUSALS)
def get_alert(alert_id: str, ops: Reading, version: int | None = None) -> DeskAlert:
    return ops.alert(alert_id, version)


@router.get("/alerts/{alert_id}/history", responses=REFUSALS)
def get_history(alert_id: str, ops: Reading) -> list[HistoryAnswer]:
    return [HistoryAnswer.of(item) for item in ops.history(alert_id)]


@router.post("/alerts/{alert_id}/acknowledge", responses={**REFUSALS, 409: {}})
def acknowledge(alert_id: str, body: ActionRequest, ops: Acting) -> ActionAnswer:
    return ActionAnswer.of(ops.acknowledge(alert_id, body.note))


@router.post("/alerts/{alert_id}/investigate", responses={**REFUSALS, 409: {}})
def investigate(alert_id: str, body: ActionRequest, ops: Acting) -> ActionAnswer:
    return ActionAnswer.of(ops.investigate(alert_id, body.note))


@router.post("/alerts/{alert_id}/close", responses={**REFUSALS, 409: {}})
def close(alert_id: str, body: CloseRequest, ops: Acting) -> ActionAnswer:
    return ActionAnswer.of(ops.close(alert_id, body.outcome, body.note))
