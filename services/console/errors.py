"""How the desk operations' refusals answer over HTTP, in the desk's language.

401 no or unknown token (a page sends the browser to the login form instead), 403 another desk's
token or a reader's action, 404 no such alert (or case) on this desk, 409 the alert's (or case's)
state does not allow the action, 503 the desk's topics cannot be read. A refused invitation to a
case is 409 if the desk did not receive the case's alerts, 403 if an entry's sharing scope
excludes it (either way on the case's record, as cases.py publishes it); a case action asked
wrongly (no title, no alert, not a partner desk) is 422. API calls (/api/...) get JSON
{"code", "detail"}; pages get a page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from kafka.errors import KafkaError

from services.console.backends import backends_of
from services.console.filters import HTTP_422
from services.console.views import templates, translator_for, when
from services.desk.cases import CaseBadRequest, CaseNotAllowed, CaseNotFound, InviteRefused
from services.desk.materialiser import CatchUpTimeout, TopicMissing
from services.desk.operations import ActionNotAllowed, AlertNotFound, DeskRefused
from services.shared.i18n import Translator

UNAUTHENTICATED = {"missing-token", "invalid-token"}


def add_error_handlers(app: FastAPI) -> None:
    app.exception_handler(DeskRefused)(_refused)
    app.exception_handler(AlertNotFound)(_not_found)
    app.exception_handler(ActionNotAllowed)(_not_allowed)
    app.exception_handler(CaseNotFound)(_case_not_found)
    app.exception_handler(CaseNotAllowed)(_case_not_allowed)
    app.exception_handler(InviteRefused)(_invite_refused)
    app.exception_handler(CaseBadRequest)(_case_bad_request)
    for unreachable in (KafkaError, TopicMissing, CatchUpTimeout):
        app.exception_handler(unreachable)(_unreachable)


def _translate(request: Request) -> tuple[str, Translator]:
    desk = str(request.path_params.get("desk", "")).upper()
    return desk, translator_for(backends_of(request).settings, desk)


def _answer(request: Request, code: int, error: str, detail: str) -> Response:
    if request.url.path.startswith("/api/"):
        headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
        return JSONResponse({"code": error, "detail": detail}, status_code=code, headers=headers)
    _, translate = _translate(request)
    context = {"translate": translate, "code": code, "detail": detail}
    return templates.TemplateResponse(request, "error.html", context, status_code=code)


def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, DeskRefused)
    desk, translate = _translate(request)
    if error.code in UNAUTHENTICATED and not request.url.path.startswith("/api/"):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=status.HTTP_303_SEE_OTHER)
    code = status.HTTP_401_UNAUTHORIZED if error.code in UNAUTHENTICATED else status.HTTP_403_FORBIDDEN
    return _answer(request, code, error.code, translate(f"refused.{error.code}", country=error.detail, desk=desk))


def _not_found(request: Request, error: Exception) -> Response:
    assert isinstance(error, AlertNotFound)
    desk, translate = _translate(request)
    detail = translate("refused.not-found", alert=error.detail, desk=desk)
    return _answer(request, status.HTTP_404_NOT_FOUND, "not-found", detail)


def _not_allowed(request: Request, error: Exception) -> Response:
    assert isinstance(error, ActionNotAllowed)
    _, translate = _translate(request)
    state = error.status
    detail = translate(
        "refused.state",
        alert=error.detail,
        state=translate.label("state", state.state.value),
        by=state.changed_by or "-",
        at=when(state.changed_at),
        why=translate(f"not_allowed.{error.code}"),
    )
    return _answer(request, status.HTTP_409_CONFLICT, error.code, detail)


def _case_not_found(request: Request, error: Exception) -> Response:
    assert isinstance(error, CaseNotFound)
    desk, translate = _translate(request)
    detail = translate("refused.case-not-found", case=error.detail, desk=desk)
    return _answer(request, status.HTTP_404_NOT_FOUND, error.code, detail)


def _case_not_allowed(request: Request, error: Exception) -> Response:
    assert isinstance(error, CaseNotAllowed)
    _, translate = _translate(request)
    detail = case_state_refusal(translate, error.detail, error.case.state.value, error.code)
    return _answer(request, status.HTTP_409_CONFLICT, error.code, detail)


def case_state_refusal(translate: Translator, case_id: str, state: str, why: str) -> str:
    """Why the case did not take an action, as `interdict case` says it."""
    return translate(
        "refused.case-state",
        case=case_id,
        state=translate.label("case_state", state),
        why=translate(f"case_effect.{why}"),
    )


def _invite_refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, InviteRefused)
    _, translate = _translate(request)
    detail = translate(f"refused.{error.code}", invited=error.desk, detail=error.detail)
    code = status.HTTP_403_FORBIDDEN if error.code == "case-scope" else status.HTTP_409_CONFLICT
    return _answer(request, code, error.code, detail)


def _case_bad_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, CaseBadRequest)
    _, translate = _translate(request)
    return _answer(request, HTTP_422, error.code, translate(f"refused.{error.code}", detail=error.detail))


def _unreachable(request: Request, error: Exception) -> Response:
    _, translate = _translate(request)
    detail = translate("console.unreachable", error=error)
    return _answer(request, status.HTTP_503_SERVICE_UNAVAILABLE, "unreachable", detail)
