"""Joint cases in the console: the desk's cases, one case with its audit trail, and the case actions,
as pages (`pages`) and as JSON for programs (`api`), through services/desk/cases.py's CaseOperations,
the calls `interdict case ...` makes.

/desks/{desk}/cases                        the desk's cases, the highest priority first (state filter),
                                           and a form to open one from some of the desk's alerts
/desks/{desk}/cases/stream                 the list's rows pushed as the desk's store changes (SSE)
/desks/{desk}/cases/{id}                   the case: its desks, its alerts on this desk, the audit trail,
                                           and the forms (note, state, priority, invite)
POST /desks/{desk}/cases                   open a case (the form on the list or on an alert's page)
POST /desks/{desk}/cases/{id}/{action}     note, state, priority, invite; back to the case (303)
/api/desks/{desk}/cases...                 the same as JSON (`POST cases`, `cases/{id}/note`...)

A desk sees only the cases it opened or was invited to (its store holds no other: 404); another
country's token gets 403 on every route; a refused invitation is published on the case by
CaseOperations (recorded), then answered 409 (did not receive the alerts) or 403 (an entry's scope).
"""

from typing import Literal, TypeVar
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.admin.tokens import Role
from services.console.auth import CaseActing, CaseReading, Reading, Token, case_operations
from services.console.backends import backends_of
from services.console.filters import HTTP_422, OPEN, CaseFilters
from services.console.models import (
    CaseAnswer,
    CaseNoteRequest,
    CasePriorityRequest,
    CaseStateRequest,
    InviteRequest,
    OpenCaseRequest,
)
from services.console.routers.stream import sse_response
from services.console.views import templates, translator_for
from services.desk.case_lifecycle import MOVES
from services.desk.cases import CaseOperations, CaseResult
from services.desk.store import AlertQuery
from services.shared.models import Severity
from services.shared.models.case import CaseState, CaseStatus, CaseView
from services.shared.settings import PARTNER_COUNTRIES

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/desks/{desk}", tags=["cases"])
REFUSALS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 503: {}}
ACTING_REFUSALS: dict[int | str, dict[str, object]] = {**REFUSALS, 409: {}, 422: {}}

CaseActionName = Literal["note", "state", "priority", "invite"]
#: The open alerts the list's "open a case" form offers, the latest raised first.
ALERTS_OFFERED = 200

E = TypeVar("E", Severity, CaseState)


# -- pages ----------------------------------------------------------------------------------------------------


@pages.get("/desks/{desk}/cases")
def case_list(request: Request, ops: Reading, chosen: CaseFilters) -> HTMLResponse:
    offered = ops.alerts(AlertQuery(states=list(OPEN), limit=ALERTS_OFFERED))  # synced: the cases too
    cases = case_operations(request, ops, synced=False)
    context = {
        "translate": translator_for(backends_of(request).settings, ops.desk),
        "desk": ops.desk.lower(),
        "officer": ops.officer,
        "cases": cases.cases(chosen.states, chosen.limit),
        "given": chosen.given,
        "stream": chosen.encoded(),
        "states": [state.value for state in CaseState],
        "severities": [severity.value for severity in Severity],
        "offered": offered,
        "may_act": ops.officer.role is Role.DESK,
    }
    return templates.TemplateResponse(request, "cases.html", context)


@pages.get("/desks/{desk}/cases/stream")
async def case_rows_stream(request: Request, ops: Reading, chosen: CaseFilters, token: Token) -> StreamingResponse:
    translate = translator_for(backends_of(request).settings, ops.desk)
    rows = templates.get_template("case_rows.html")
    cases = case_operations(request, ops, synced=False)

    def read() -> str:
        return rows.render(cases=cases.cases(chosen.states, chosen.limit), translate=translate, desk=ops.desk.lower())

    return sse_response(request, ops, token, "cases", read)


@pages.get("/desks/{desk}/cases/{case_id}")
def case_page(request: Request, case_id: str, cases: CaseReading, done: str = "") -> HTMLResponse:
    view = cases.case(case_id)
    case = view.case
    context = {
        "translate": translator_for(backends_of(request).settings, cases.desk),
        "desk": cases.desk.lower(),
        "officer": cases.officer,
        "view": view,
        "case": case,
        "may_act": cases.officer.role is Role.DESK,
        "opener": case.opened_by == cases.desk,
        "moves": sorted(move.value for move in MOVES[case.state]),
        "severities": [severity.value for severity in Severity],
        "invitable": [desk for desk in PARTNER_COUNTRIES if desk not in case.desks],
        "done": parse_qs(done) if done else {},
    }
    return templates.TemplateResponse(request, "case.html", context)


@pages.post("/desks/{desk}/cases")
async def open_from_form(request: Request, cases: CaseActing) -> RedirectResponse:
    form = await _form(request)
    alert_ids = [alert_id.strip() for alert_id in form.get("alert", []) if alert_id.strip()]
    priority = _choice(_one(form, "priority"), Severity, "priority") if _one(form, "priority") else None
    result = await run_in_threadpool(cases.open, alert_ids, _one(form, "title"), priority, _one(form, "note"))
    return _back_to_case(cases, result)


@pages.post("/desks/{desk}/cases/{case_id}/{action}")
async def act_from_form(request: Request, case_id: str, action: CaseActionName, cases: CaseActing) -> RedirectResponse:
    form = await _form(request)
    return _back_to_case(cases, await run_in_threadpool(_do, cases, case_id, action, form))


def _do(cases: CaseOperations, case_id: str, action: CaseActionName, form: dict[str, list[str]]) -> CaseResult:
    note = _one(form, "note")
    if action == "note":
        return cases.note(case_id, note)
    if action == "state":
        return cases.set_state(case_id, _choice(_one(form, "state"), CaseState, "state"), note)
    if action == "priority":
        return cases.set_priority(case_id, _choice(_one(form, "priority"), Severity, "priority"), note)
    return cases.invite(case_id, _one(form, "desk"), note)


async def _form(request: Request) -> dict[str, list[str]]:
    return parse_qs((await request.body()).decode(errors="replace"))


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def _choice(value: str, kind: type[E], name: str) -> E:
    try:
        return kind(value.lower().replace("-", "_"))
    except ValueError:
        raise HTTPException(HTTP_422, f"{name}: {value!r} is not one of {', '.join(kind)}") from None


def _back_to_case(cases: CaseOperations, result: CaseResult) -> RedirectResponse:
    """The browser goes to the case, which says what the action did."""
    event = result.event
    done = urlencode({"effect": result.effect or "", "action": event.action.value, "event": event.event_id})
    page = f"/desks/{cases.desk.lower()}/cases/{event.case_id}?{urlencode({'done': done})}"
    return RedirectResponse(page, status_code=status.HTTP_303_SEE_OTHER)


def cases_of_alert(cases: CaseOperations, alert_id: str) -> list[CaseStatus]:
    """The desk's cases with this alert (for the alert's page), from the store as the page's read left it."""
    return [case for case in cases.cases(limit=1000) if alert_id in case.alert_ids]


# -- JSON ------------------------------------------------------------------------------------------------------


@api.get("/cases", responses=REFUSALS)
def list_cases(cases: CaseReading, chosen: CaseFilters) -> list[CaseStatus]:
    """The desk's cases, the most relevant first: the highest priority, then the latest changed."""
    return cases.cases(chosen.states, chosen.limit)


@api.post("/cases", responses=ACTING_REFUSALS)
def open_case(body: OpenCaseRequest, cases: CaseActing) -> CaseAnswer:
    """Open a case on some of the desk's alerts (priority: their highest severity unless given)."""
    return CaseAnswer.of(cases.open(body.alert_ids, body.title, body.priority, body.note))


@api.get("/cases/stream", responses={401: {}, 403: {}, 404: {}})
async def api_case_stream(request: Request, ops: Reading, chosen: CaseFilters, token: Token) -> StreamingResponse:
    """text/event-stream: a `cases` event with the desk's cases (a JSON array) now and at every change."""
    cases = case_operations(request, ops, synced=False)

    def read() -> str:
        return "[" + ",".join(case.model_dump_json() for case in cases.cases(chosen.states, chosen.limit)) + "]"

    return sse_response(request, ops, token, "cases", read)


@api.get("/cases/{case_id}", responses=REFUSALS)
def get_case(case_id: str, cases: CaseReading) -> CaseView:
    """The case as this desk sees it: its desks, its alerts on this desk, every event (the audit trail)."""
    return cases.case(case_id)


@api.post("/cases/{case_id}/note", responses=ACTING_REFUSALS)
def note(case_id: str, body: CaseNoteRequest, cases: CaseActing) -> CaseAnswer:
    return CaseAnswer.of(cases.note(case_id, body.note))


@api.post("/cases/{case_id}/state", responses=ACTING_REFUSALS)
def set_state(case_id: str, body: CaseStateRequest, cases: CaseActing) -> CaseAnswer:
    """open → active → closed (or straight to closed)."""
    return CaseAnswer.of(cases.set_state(case_id, body.state, body.note))


@api.post("/cases/{case_id}/priority", responses=ACTING_REFUSALS)
def set_priority(case_id: str, body: CasePriorityRequest, cases: CaseActing) -> CaseAnswer:
    """The opening desk only."""
    return CaseAnswer.of(cases.set_priority(case_id, body.priority, body.note))


@api.post("/cases/{case_id}/invite", responses=ACTING_REFUSALS)
def invite(case_id: str, body: InviteRequest, cases: CaseActing) -> CaseAnswer:
    """Invite a desk that received every alert of the case; otherwise refused (409, or 403 for an
    entry's sharing scope) and the refusal recorded on the case."""
    return CaseAnswer.of(cases.invite(case_id, body.desk, body.note))
