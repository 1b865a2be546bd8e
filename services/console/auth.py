"""Who is at the console and which desk they may see, as FastAPI dependencies of every desk endpoint.

The token is the officer's desk token from the admin API's token store: sent as
`Authorization: Bearer` by programs, or kept by the browser in an HttpOnly cookie the login form
sets (scripts on the page cannot read it). The check is the CLI's own (`operations.authorise`):
a token of the desk's country reads its alerts, a `desk` token also acts; every refusal is
recorded in the denied log with the HTTP request that was refused. The desk comes from the path
(`/desks/mx/...`, like the CLI's `--country`): another country's desk answers 403, and an alert
not on this desk's store 404, whichever page, API call or stream asks.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations at runtime.
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.admin.tokens import Principal
from services.console.backends import backends_of
from services.desk.cases import CaseOperations
from services.desk.operations import DeskOperations, Origin, authorise

#: The cookie the login form sets: HttpOnly, SameSite=Strict (a form on another site cannot post
#: to the console with it, so no CSRF token is needed), Secure when served over HTTPS.
COOKIE = "interdict_desk_token"

_bearer = HTTPBearer(auto_error=False, description="a desk token from `interdict admin token create --role desk`")


def token_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None and credentials.scheme.lower() == "bearer" and credentials.credentials:
        return credentials.credentials
    return request.cookies.get(COOKIE) or None


def desk_code(request: Request, desk: str) -> str:
    """The desk the path names, if this console serves it (404 otherwise: no such desk here)."""
    code = desk.upper()
    if code not in backends_of(request).desks.stores:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no desk {desk!r} on this console")
    return code


def origin_of(request: Request) -> Origin:
    return Origin(request.method, request.url.path, request.client.host if request.client else "")


def officer(request: Request, desk: str, token: str | None, *, acting: bool) -> Principal:
    """The token's holder, if they may read (acting: act on) `desk`'s alerts; DeskRefused otherwise."""
    backends = backends_of(request)
    return authorise(
        backends.tokens,
        backends.denied,
        token,
        desk,
        acting=acting,
        command=request.url.path,
        origin=origin_of(request),
    )


def operations(request: Request, desk: str, who: Principal, *, synced: bool = True) -> DeskOperations:
    """The desk operations for `who` on `desk`; `synced`: reads first wait for the topics to be read."""
    backends = backends_of(request)
    sync = backends.desks.sync if synced else _no_sync
    return DeskOperations(desk, who, backends.desks.stores[desk], sync, backends.desks.publishers[desk])


def case_operations(request: Request, ops: DeskOperations, *, synced: bool = True) -> CaseOperations:
    """The case operations for the officer `ops` was authorised for, on the same desk and store."""
    backends = backends_of(request)
    sync = backends.desks.sync if synced else _no_sync
    return CaseOperations(ops.desk, ops.officer, backends.desks.stores[ops.desk], sync, backends.desks.case_publisher)


def _no_sync() -> None:
    return None


def reading(
    request: Request, desk: str, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> DeskOperations:
    code = desk_code(request, desk)
    return operations(request, code, officer(request, code, token_of(request, credentials), acting=False))


def acting(
    request: Request, desk: str, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> DeskOperations:
    code = desk_code(request, desk)
    return operations(request, code, officer(request, code, token_of(request, credentials), acting=True))


def bearer_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str | None:
    return token_of(request, credentials)


def case_reading(request: Request, ops: Annotated[DeskOperations, Depends(reading)]) -> CaseOperations:
    return case_operations(request, ops)


def case_acting(request: Request, ops: Annotated[DeskOperations, Depends(acting)]) -> CaseOperations:
    return case_operations(request, ops)


Reading = Annotated[DeskOperations, Depends(reading)]
Acting = Annotated[DeskOperations, Depends(acting)]
CaseReading = Annotated[CaseOperations, Depends(case_reading)]
CaseActing = Annotated[CaseOperations, Depends(case_acting)]
Token = Annotated[str | None, Depends(bearer_token)]
