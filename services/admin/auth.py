"""Who calls the admin API and what they may do, as a FastAPI dependency of every endpoint.

`Authenticated` reads the bearer token and answers 401 without a known one. The Caller it gives
the endpoint answers 403 to what the token may not do: a reader's write, a change to what another
country owns, a read of what is not shared with the token's country. Which check applies depends
on the list or entry, which the endpoint reads first; so the endpoint calls the check. Every
refusal, 401 or 403, is recorded in the denied log (and counted) before it is raised.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations at runtime.
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.admin.backends import denied_log, token_store
from services.admin.denied import DeniedAttempt
from services.admin.tokens import Principal, Role
from services.shared.models.watchlist import WatchlistEntry, WatchlistInfo
from services.watchlist.operations import is_shared_with

_bearer = HTTPBearer(auto_error=False, description="a token from `interdict admin token create`")


@dataclass(frozen=True)
class Caller:
    """The verified holder of a request's token, and the checks that refuse them (403, recorded)."""

    principal: Principal
    request: Request

    @property
    def name(self) -> str:
        """The token's holder: the actor the audit trail names."""
        return self.principal.name

    @property
    def country(self) -> str:
        return self.principal.country

    def may_see(self, item: WatchlistInfo | WatchlistEntry) -> bool:
        return is_shared_with(self.country, item)

    def require_shared(self, item: WatchlistInfo | WatchlistEntry, what: str) -> None:
        """Refuse unless the list or entry is shared with the caller's country; `what` names it."""
        if not self.may_see(item):
            raise self.refuse("not-shared", f"{what} is not shared with {self.country}")

    def require_admin(self) -> None:
        if self.principal.role is not Role.ADMIN:
            raise self.refuse("read-only", f"token {self.name!r} may only read")

    def require_owner(self, owner: str, what: str) -> None:
        """Refuse unless the caller is an admin of `owner`, the country owning what `what` names."""
        self.require_admin()
        if owner != self.country:
            raise self.refuse("not-owner", f"{what} is owned by {owner}, not {self.country}")

    def refuse(self, reason: str, detail: str) -> HTTPException:
        """A recorded 403, for the endpoint to raise."""
        return refusal(self.request, status.HTTP_403_FORBIDDEN, reason, detail, self.principal)


def refusal(request: Request, code: int, reason: str, detail: str, who: Principal | None = None) -> HTTPException:
    """The HTTPException refusing a request, once the refusal is recorded in the denied log."""
    denied = denied_log(request)
    denied.record(
        DeniedAttempt(
            at=denied.now(), token=who.name if who else "", method=request.method, path=request.url.path,
            reason=reason, status=code, client=request.client.host if request.client else "",
        )
    )
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return HTTPException(status_code=code, detail=detail, headers=headers)


def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise refusal(request, status.HTTP_401_UNAUTHORIZED, "missing-token", "a bearer token is required")
    principal = token_store(request).authenticate(credentials.credentials)
    if principal is None:
        raise refusal(request, status.HTTP_401_UNAUTHORIZED, "invalid-token", "unknown or revoked token")
    return Caller(principal, request)


Authenticated = Annotated[Caller, Depends(authenticate)]
