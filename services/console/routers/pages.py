"""The console's pages, in the desk's language: the live alert list and one alert with its actions.

/desks/{desk}                         the list with its filters; rows pushed by the stream (stream.py)
/desks/{desk}/alerts/{id}             the alert: evidence, explanation, route, entries, state, history,
                                      its joint cases and a form to open one (posted to routers/cases.py)
/desks/{desk}/alerts/{id}/{action}    the action forms post here (acknowledge, investigate, close);
                                      the answer sends the browser back to the alert (303)

The pages read and act through DeskOperations, as the CLI and the API do.
"""

from typing import Literal
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from services.admin.tokens import Role
from services.console.auth import Acting, Reading, case_operations
from services.console.backends import backends_of
from services.console.filters import HTTP_422, AlertFilters
from services.console.routers.cases import cases_of_alert
from services.console.views import entry_views, route_stops, templates, translator_for
from services.desk.operations import ActionResult, DeskOperations
from services.shared.models import Programme, Severity
from services.shared.models.desk import AlertState, ClosingOutcome

router = APIRouter(include_in_schema=False)

Action = Literal["acknowledge", "investigate", "close"]


@router.get("/desks/{desk}")
def alert_list(request: Request, ops: Reading, filters: AlertFilters) -> HTMLResponse:
    backends = backends_of(request)
    context = {
        "translate": translator_for(backends.settings, ops.desk),
        "desk": ops.desk.lower(),
        "officer": ops.officer,
        "views": ops.alerts(filters.query),
        "given": filters.given,
        "stream": filters.encoded(),
        "states": [state.value for state in AlertState],
        "severities": [severity.value for severity in Severity],
        "programmes": [programme.value for programme in Programme],
    }
    return templates.TemplateResponse(request, "desk.html", context)


@router.get("/desks/{desk}/alerts/{alert_id}")
def alert_page(request: Request, alert_id: str, ops: Reading, done: str = "") -> HTMLResponse:
    backends = backends_of(request)
    view = ops.alert(alert_id)
    context = {
        "translate": translator_for(backends.settings, ops.desk),
        "desk": ops.desk.lower(),
        "officer": ops.officer,
        "view": view,
        "alert": view.alert,
        "history": ops.history(alert_id),
        "stops": route_stops(view.alert.manifest, backends.ports),
        "entries": entry_views(view.alert, ops.desk, backends.watchlists),
        "may_act": ops.officer.role is Role.DESK,
        "outcomes": [outcome.value for outcome in ClosingOutcome],
        "done": parse_qs(done) if done else {},
        "cases": cases_of_alert(case_operations(request, ops, synced=False), alert_id),
        "severities": [severity.value for severity in Severity],
    }
    return templates.TemplateResponse(request, "alert.html", context)


@router.post("/desks/{desk}/alerts/{alert_id}/{action}")
async def act(request: Request, alert_id: str, action: Action, ops: Acting) -> RedirectResponse:
    form = parse_qs((await request.body()).decode(errors="replace"))
    note = (form.get("note") or [""])[0].strip()
    outcome = (form.get("outcome") or [""])[0]
    result = await run_in_threadpool(_do, ops, alert_id, action, note, outcome)
    done = urlencode(
        {"effect": result.effect or "", "state": result.status.state.value, "event": result.action.event_id}
    )
    page = f"/desks/{ops.desk.lower()}/alerts/{alert_id}?{urlencode({'done': done})}"
    return RedirectResponse(page, status_code=status.HTTP_303_SEE_OTHER)


def _do(ops: DeskOperations, alert_id: str, action: Action, note: str, outcome: str) -> ActionResult:
    if action == "acknowledge":
        return ops.acknowledge(alert_id, note)
    if action == "investigate":
        return ops.investigate(alert_id, note)
    try:
        closing = ClosingOutcome(outcome.replace("-", "_"))
    except ValueError:
        raise HTTPException(
            HTTP_422, f"outcome: {outcome!r} is not one of true_hit, false_positive, not_actionable"
        ) from None
    return ops.close(alert_id, closing, note)
