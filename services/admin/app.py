"""The watchlist administration API: FastAPI over WatchlistStore, with per-country bearer tokens.

Rules: any valid token reads the lists and entries shared with its country; an `admin` token
also changes the lists and entries its country owns, and nothing else. Every refusal (401 or
403) is recorded in the denied-attempts stream and counted in interdict_admin_denied_total.
The audit trail names the token as the actor. Store calls are blocking Redis calls, so the
endpoints are plain `def` functions that FastAPI runs in its thread pool.
"""

# No `from __future__ import annotations`: FastAPI must resolve the endpoints' annotations,
# and some name types local to create_app (Caller).
from collections.abc import Callable
from typing import Annotated

import redis
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import make_asgi_app
from pydantic import AwareDatetime, BaseModel, ValidationError

from services.admin.denied import DeniedAttempt, DeniedLog
from services.admin.import_body import parse_import_body
from services.admin.tokens import Principal, Role, TokenStore
from services.shared.models.watchlist import Sharing, SharingScope, WatchlistEntry, WatchlistInfo
from services.shared.settings import Settings, get_settings
from services.watchlist.errors import WatchlistError, WatchlistFileError, WatchlistNotFound
from services.watchlist.events import AuditRecord, ImportReport
from services.watchlist.store import WatchlistStore

DESCRIPTION = """
Administer the interdiction watchlists held in Redis: read lists and entries, import a whole
list, add, replace, remove or expire entries, enable or disable lists, and read the audit trail.

Authenticate with `Authorization: Bearer <token>` (tokens: `interdict admin token create`).
A token acts for one partner country. `reader` tokens read what is shared with their country;
`admin` tokens also change the lists and entries their country owns. 401: no or unknown token;
403: the token may not do this (every refusal is recorded).
"""


class WriteResult(BaseModel):
    list_id: str
    entry_id: str | None = None
    version: int


class ExpireRequest(BaseModel):
    expires_at: AwareDatetime


class Problem(BaseModel):
    line: int | None
    message: str


class RejectedBody(BaseModel):
    detail: str
    problems: list[Problem]


#: Literal: starlette renamed the constant (UNPROCESSABLE_ENTITY -> _CONTENT) across versions.
HTTP_422 = 422

_bearer = HTTPBearer(auto_error=False, description="a token from `interdict admin token create`")


def create_app(settings: Settings | None = None, redis_client: redis.Redis | None = None) -> FastAPI:
    settings = settings or get_settings()
    client = redis_client or redis.Redis.from_url(settings.redis_url)
    store = WatchlistStore(client, settings)
    tokens = TokenStore(client, settings)
    denied = DeniedLog(client, settings)

    app = FastAPI(title="Interdict watchlist administration", version="1", description=DESCRIPTION)
    app.mount("/metrics", make_asgi_app())

    def refuse(request: Request, code: int, reason: str, detail: str, who: Principal | None = None) -> HTTPException:
        denied.record(
            DeniedAttempt(
                at=denied.now(), token=who.name if who else "", method=request.method, path=request.url.path,
                reason=reason, status=code, client=request.client.host if request.client else "",
            )
        )
        headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
        return HTTPException(status_code=code, detail=detail, headers=headers)

    def principal(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise refuse(request, status.HTTP_401_UNAUTHORIZED, "missing-token", "a bearer token is required")
        who = tokens.authenticate(credentials.credentials)
        if who is None:
            raise refuse(request, status.HTTP_401_UNAUTHORIZED, "invalid-token", "unknown or revoked token")
        return who

    Caller = Annotated[Principal, Depends(principal)]

    def require_admin(request: Request, who: Principal) -> None:
        if who.role is not Role.ADMIN:
            raise refuse(request, status.HTTP_403_FORBIDDEN, "read-only", f"token {who.name!r} may only read", who)

    def require_owner(request: Request, who: Principal, owner: str, what: str) -> None:
        require_admin(request, who)
        if owner != who.country:
            raise refuse(
                request, status.HTTP_403_FORBIDDEN, "not-owner", f"{what} is owned by {owner}, not {who.country}", who
            )

    def require_shared(request: Request, who: Principal, owner: str, sharing: Sharing, what: str) -> None:
        if not sharing.allows(owner, who.country):
            raise refuse(
                request, status.HTTP_403_FORBIDDEN, "not-shared", f"{what} is not shared with {who.country}", who
            )

    def visible_list(who: Principal, info: WatchlistInfo) -> bool:
        return info.sharing.allows(info.owner_country, who.country)

    def visible_entry(who: Principal, entry: WatchlistEntry) -> bool:
        return entry.sharing.allows(entry.owner_country, who.country)

    @app.exception_handler(WatchlistNotFound)
    def not_found(_request: Request, error: WatchlistNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(WatchlistError)
    def conflict(_request: Request, error: WatchlistError) -> JSONResponse:
        # EntryConflict (exists, missing, id used by another list) and give-ups under contention.
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(WatchlistFileError)
    def rejected(_request: Request, error: WatchlistFileError) -> JSONResponse:
        body = RejectedBody(
            detail=f"{len(error.problems)} problem(s); nothing was imported",
            problems=[Problem(line=problem.line, message=problem.message) for problem in error.problems],
        )
        return JSONResponse(body.model_dump(), status_code=HTTP_422)

    # --- reading ---------------------------------------------------------------------------------

    @app.get("/lists", tags=["read"])
    def get_lists(who: Caller) -> list[WatchlistInfo]:
        """The lists shared with the caller's country."""
        return [info for info in store.lists() if visible_list(who, info)]

    @app.get("/lists/{list_id}", tags=["read"], responses={404: {}, 403: {}})
    def get_list(list_id: str, who: Caller, request: Request) -> WatchlistInfo:
        info = store.info(list_id)
        require_shared(request, who, info.owner_country, info.sharing, f"list {list_id!r}")
        return info

    @app.get("/lists/{list_id}/entries", tags=["read"], responses={404: {}, 403: {}})
    def get_list_entries(list_id: str, who: Caller, request: Request) -> list[WatchlistEntry]:
        """The list's entries shared with the caller's country (enabled or not, expired or not)."""
        info = store.info(list_id)
        require_shared(request, who, info.owner_country, info.sharing, f"list {list_id!r}")
        return [entry for entry in store.entries(list_id) if visible_entry(who, entry)]

    @app.get("/entries/{entry_id}", tags=["read"], responses={404: {}, 403: {}})
    def get_entry(entry_id: str, who: Caller, request: Request) -> WatchlistEntry:
        entry = store.get(entry_id)
        require_shared(request, who, entry.owner_country, entry.sharing, f"entry {entry_id!r}")
        return entry

    @app.get("/history", tags=["read"])
    def get_history(
        who: Caller,
        entry_id: str | None = None,
        list_id: str | None = None,
        actor: str | None = None,
        limit: Annotated[int, Query(ge=0, le=10_000, description="the latest N records; 0: all")] = 500,
    ) -> list[AuditRecord]:
        """Audit records, oldest first, of the lists and entries shared with the caller's country."""
        infos = {info.list_id: info for info in store.lists()}
        records = store.history(entry_id=entry_id, list_id=list_id, actor=actor)
        shown = [
            record
            for record in records
            if record.list_id in infos
            and visible_list(who, infos[record.list_id])
            and all(visible_entry(who, entry) for entry in (record.before, record.after) if entry is not None)
        ]
        return shown[-limit:] if limit else shown

    # --- writing ---------------------------------------------------------------------------------

    @app.post(
        "/lists/{list_id}/import",
        tags=["write"],
        responses={403: {}, 409: {}, 422: {"model": RejectedBody}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "the list's whole new content: a JSON array of entries, or JSON Lines; "
                "list_id, owner_country and sharing may be left out of each entry",
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/WatchlistEntry"}}
                    },
                    "application/x-ndjson": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def import_list(
        list_id: str,
        request: Request,
        who: Caller,
        title: str = "",
        share: Annotated[
            str | None, Query(description="all | owner | countries:CO,MX (default: the list's, else all)")
        ] = None,
    ) -> ImportReport:
        """Replace the whole list atomically (created if new, owned by the caller's country)."""
        body = await request.body()
        return await run_in_threadpool(_import, list_id, body, request, who, title, share)

    def _import(
        list_id: str, body: bytes, request: Request, who: Principal, title: str, share: str | None
    ) -> ImportReport:
        try:
            existing = store.info(list_id)
        except WatchlistNotFound:
            existing = None
        require_owner(request, who, existing.owner_country if existing else who.country, f"list {list_id!r}")
        sharing = _parse_share(share)
        entries = parse_import_body(body, list_id=list_id, owner_country=who.country, sharing=sharing)
        foreign = sorted({entry.owner_country for entry in entries} - {who.country})
        if foreign:
            raise refuse(
                request,
                status.HTTP_403_FORBIDDEN,
                "not-owner",
                f"entries owned by {', '.join(foreign)}, not {who.country}",
                who,
            )
        return store.import_list(
            list_id, entries, owner_country=who.country, sharing=sharing, title=title, actor=who.name
        )

    @app.post("/entries", tags=["write"], status_code=status.HTTP_201_CREATED, responses={403: {}, 404: {}, 409: {}})
    def add_entry(entry: WatchlistEntry, request: Request, who: Caller) -> WriteResult:
        """Add a new entry to an existing list."""
        require_owner(request, who, store.info(entry.list_id).owner_country, f"list {entry.list_id!r}")
        require_owner(request, who, entry.owner_country, f"entry {entry.entry_id!r}")
        version = store.add(entry, actor=who.name)
        return WriteResult(list_id=entry.list_id, entry_id=entry.entry_id, version=version)

    @app.put("/entries/{entry_id}", tags=["write"], responses={403: {}, 404: {}, 409: {}, 422: {}})
    def replace_entry(entry_id: str, entry: WatchlistEntry, request: Request, who: Caller) -> WriteResult:
        """Replace an existing entry (same id, same list)."""
        current = store.get(entry_id)
        if entry.entry_id != entry_id or entry.list_id != current.list_id:
            raise HTTPException(HTTP_422, f"the body must keep entry_id {entry_id!r} and list_id {current.list_id!r}")
        _require_entry_owner(request, who, current)
        require_owner(request, who, entry.owner_country, f"entry {entry_id!r}")
        version = store.update(entry, actor=who.name)
        return WriteResult(list_id=entry.list_id, entry_id=entry_id, version=version)

    @app.delete("/entries/{entry_id}", tags=["write"], responses={403: {}, 404: {}})
    def delete_entry(entry_id: str, request: Request, who: Caller) -> WriteResult:
        current = store.get(entry_id)
        _require_entry_owner(request, who, current)
        return WriteResult(list_id=current.list_id, entry_id=entry_id, version=store.remove(entry_id, actor=who.name))

    @app.post("/entries/{entry_id}/expire", tags=["write"], responses={403: {}, 404: {}})
    def expire_entry(entry_id: str, body: ExpireRequest, request: Request, who: Caller) -> WriteResult:
        """Let the entry expire at a time (in the past: now); it stays in the list, out of matching."""
        current = store.get(entry_id)
        _require_entry_owner(request, who, current)
        version = store.expire(entry_id, body.expires_at, actor=who.name)
        return WriteResult(list_id=current.list_id, entry_id=entry_id, version=version)

    def _require_entry_owner(request: Request, who: Principal, entry: WatchlistEntry) -> None:
        require_owner(request, who, store.info(entry.list_id).owner_country, f"list {entry.list_id!r}")
        require_owner(request, who, entry.owner_country, f"entry {entry.entry_id!r}")

    def _list_switch(change: Callable[[str, str], int]) -> Callable[[str, Request, Principal], WriteResult]:
        def switch(list_id: str, request: Request, who: Caller) -> WriteResult:
            require_owner(request, who, store.info(list_id).owner_country, f"list {list_id!r}")
            return WriteResult(list_id=list_id, version=change(list_id, who.name))

        return switch

    app.post(
        "/lists/{list_id}/enable",
        tags=["write"],
        response_model=WriteResult,
        responses={403: {}, 404: {}},
        summary="Enable List",
    )(_list_switch(lambda list_id, actor: store.enable_list(list_id, actor=actor)))
    app.post(
        "/lists/{list_id}/disable",
        tags=["write"],
        response_model=WriteResult,
        responses={403: {}, 404: {}},
        summary="Disable List",
    )(_list_switch(lambda list_id, actor: store.disable_list(list_id, actor=actor)))

    app.state.store, app.state.tokens, app.state.denied = store, tokens, denied
    return app


def _parse_share(value: str | None) -> Sharing | None:
    if value is None:
        return None
    scope, _, countries = value.partition(":")
    try:
        if scope == SharingScope.NAMED_COUNTRIES.value:
            return Sharing(
                scope=SharingScope.NAMED_COUNTRIES, countries=[code for code in countries.split(",") if code.strip()]
            )
        if countries:
            raise ValueError("only 'countries' takes a list")
        return Sharing(scope=SharingScope(scope))
    except (ValueError, ValidationError) as error:
        raise HTTPException(HTTP_422, f"share: expected all, owner or countries:CC,CC; got {value!r}") from error

