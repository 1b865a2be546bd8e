"""Who runs a command: the holder of a token from the same store as the admin API's.

`interdict screen` and `interdict watchlist ...` act on someone's behalf, as the API does: the
token (--token, or INTERDICT_TOKEN) names the holder, their role and their country. Screening
shows only what the entries' sharing scopes let that country see; a change to the watchlists is
made by an `admin` token of the owning country, and the audit trail names the token's holder
(never the operating-system login). Every refusal is recorded in the denied log, as the API's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from services.admin.denied import DeniedAttempt, DeniedLog
from services.admin.tokens import Principal, Role, TokenStore
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings

#: The variables a token is read from when --token is not given; a desk officer's serves too.
TOKEN_VARIABLES = ["INTERDICT_TOKEN", "INTERDICT_DESK_TOKEN"]
TOKEN_HELP = "your token (interdict admin token create); better in INTERDICT_TOKEN, which keeps it out of the history"


def token_option() -> Any:
    """The --token option of a command acting for someone (a typer.Option, typed as typer types it)."""
    return typer.Option(None, "--token", envvar=TOKEN_VARIABLES, show_default=False, show_envvar=False, help=TOKEN_HELP)


class IdentityRefused(Exception):
    """No token, an unknown one, or one that may not do this (401 or 403 in HTTP terms); recorded."""

    def __init__(self, reason: str, status: int, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.status = status


Refuse = Callable[[str, int, str, Principal | None], IdentityRefused]


def refuser(denied: DeniedLog, command: str) -> Refuse:
    def refuse(reason: str, status: int, detail: str, who: Principal | None = None) -> IdentityRefused:
        denied.record(
            DeniedAttempt(
                at=denied.now(),
                token=who.name if who else "",
                method="CLI",
                path=command,
                reason=reason,
                status=status,
                client="cli",
            )
        )
        return IdentityRefused(reason, status, detail)

    return refuse


def identify(tokens: TokenStore, refuse: Refuse, token: str | None) -> Principal:
    """The holder of `token`; IdentityRefused (recorded) without a known one."""
    if not token:
        raise refuse("missing-token", 401, "give your token: --token or INTERDICT_TOKEN", None)
    principal = tokens.authenticate(token)
    if principal is None:
        raise refuse("invalid-token", 401, "the token is not known (revoked, or mistyped)", None)
    return principal


def require_admin(refuse: Refuse, principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise refuse("read-only", 403, f"token {principal.name!r} may only read", principal)


def require_owner(refuse: Refuse, principal: Principal, owner: str, what: str) -> None:
    """Refuse unless `principal` is an administrator of `owner`, the country owning `what`."""
    require_admin(refuse, principal)
    if principal.country != owner:
        raise refuse("not-owner", 403, f"{what} is owned by {owner}, not {principal.country}", principal)


class CommandIdentity:
    """The caller of one command, with the Redis connection their checks are recorded through."""

    def __init__(self, settings: Settings, token: str | None, command: str) -> None:
        client = sync_client(settings, RedisUser.CONSOLE)
        self.refuse = refuser(DeniedLog(client, settings), command)
        self.principal = identify(TokenStore(client, settings), self.refuse, token)

    def require_admin(self) -> None:
        require_admin(self.refuse, self.principal)

    def require_owner(self, owner: str, what: str) -> None:
        require_owner(self.refuse, self.principal, owner, what)
