"""/login and /logout: a form that takes the officer's desk token and keeps it in an HttpOnly cookie.

The token is checked as every request checks it (a refusal is recorded); the cookie is HttpOnly
(no script reads it), SameSite=Strict (no other site's form posts with it) and Secure over HTTPS.
"""

from urllib.parse import parse_qs

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from services.admin.tokens import Principal
from services.console.auth import COOKIE, origin_of
from services.console.backends import backends_of
from services.console.views import templates, translator_for
from services.desk.operations import DeskRefused, authorise

router = APIRouter(include_in_schema=False)

#: How long the browser keeps the cookie: a working day; the token itself lasts until revoked.
COOKIE_MAX_AGE_S = 12 * 3600


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/login")
def login_form(request: Request, next: str = "") -> HTMLResponse:
    return _form(request, next)


@router.post("/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode(errors="replace"))
    token = (form.get("token") or [""])[0].strip()
    wanted = (form.get("next") or [""])[0]
    try:
        officer = await run_in_threadpool(_officer, request, token)
    except DeskRefused as refused:
        return _form(request, wanted, error=refused.code, status_code=status.HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(_destination(wanted, officer), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/")
    return response


def _officer(request: Request, token: str) -> Principal:
    """The token's holder, on their own desk; DeskRefused (recorded) for no or an unknown token."""
    backends = backends_of(request)
    principal = backends.tokens.authenticate(token) if token else None
    desk = principal.country if principal else ""
    return authorise(
        backends.tokens, backends.denied, token, desk, acting=False, command="login", origin=origin_of(request)
    )


def _destination(wanted: str, officer: Principal) -> str:
    """Where the login was going, if it is a page of the officer's own desk; else the desk's list."""
    own = f"/desks/{officer.country.lower()}"
    return wanted if wanted == own or wanted.startswith(own + "/") else own


def _form(request: Request, wanted: str, error: str = "", status_code: int = 200) -> HTMLResponse:
    translate = translator_for(backends_of(request).settings, "")
    message = translate(f"console.login_{error}") if error else ""
    context = {"translate": translate, "next": wanted, "error": message}
    return templates.TemplateResponse(request, "login.html", context, status_code=status_code)
