"""/lists: the lists shared with the caller and their entries; import, enable or disable one (admins of its owner)."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from services.admin.auth import Authenticated, Caller
from services.admin.backends import Store
from services.admin.errors import HTTP_422
from services.admin.import_body import parse_import_body
from services.admin.models import RejectedBody, WriteResult
from services.shared.models.watchlist import Sharing, WatchlistEntry, WatchlistInfo
from services.watchlist.errors import WatchlistNotFound
from services.watchlist.events import ImportReport
from services.watchlist.operations import SharingOptionError, parse_sharing
from services.watchlist.writer import WatchlistWriter

router = APIRouter()


# --- reading -------------------------------------------------------------------------------------


@router.get("/lists", tags=["read"])
def get_lists(caller: Authenticated, store: Store) -> list[WatchlistInfo]:
    """The lists shared with the caller's country."""
    return [info for info in store.lists() if caller.may_see(info)]


@router.get("/lists/{list_id}", tags=["read"], responses={404: {}, 403: {}})
def get_list(list_id: str, caller: Authenticated, store: Store) -> WatchlistInfo:
    info = store.info(list_id)
    caller.require_shared(info, f"list {list_id!r}")
    return info


@router.get("/lists/{list_id}/entries", tags=["read"], responses={404: {}, 403: {}})
def get_list_entries(list_id: str, caller: Authenticated, store: Store) -> list[WatchlistEntry]:
    """The list's entries shared with the caller's country (enabled or not, expired or not)."""
    caller.require_shared(store.info(list_id), f"list {list_id!r}")
    return [entry for entry in store.entries(list_id) if caller.may_see(entry)]


# --- importing -----------------------------------------------------------------------------------


@router.post(
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
    caller: Authenticated,
    store: Store,
    title: str = "",
    share: Annotated[
        str | None, Query(description="all | owner | countries:CO,MX (default: the list's, else all)")
    ] = None,
) -> ImportReport:
    """Replace the whole list atomically (created if new, owned by the caller's country)."""
    # Async only to read the raw body (JSON or JSON Lines); the store's calls block, so the rest
    # runs in the thread pool.
    body = await request.body()
    return await run_in_threadpool(_import, store, caller, list_id, body, title, share)


def _import(
    store: WatchlistWriter, caller: Caller, list_id: str, body: bytes, title: str, share: str | None
) -> ImportReport:
    existing = _existing_list(store, list_id)
    # A new list will be the caller's country's; an existing one must be already.
    caller.require_owner(existing.owner_country if existing else caller.country, f"list {list_id!r}")
    sharing = _share_parameter(share)
    entries = parse_import_body(body, list_id=list_id, owner_country=caller.country, sharing=sharing)
    foreign = sorted({entry.owner_country for entry in entries} - {caller.country})
    if foreign:
        raise caller.refuse("not-owner", f"entries owned by {', '.join(foreign)}, not {caller.country}")
    return store.import_list(
        list_id, entries, owner_country=caller.country, sharing=sharing, title=title, actor=caller.name
    )


def _existing_list(store: WatchlistWriter, list_id: str) -> WatchlistInfo | None:
    try:
        return store.info(list_id)
    except WatchlistNotFound:
        return None


def _share_parameter(share: str | None) -> Sharing | None:
    """The ?share= of an import; None (not given) keeps the list's sharing, or shares a new one with all."""
    if share is None:
        return None
    try:
        return parse_sharing(share)
    except SharingOptionError as error:
        raise HTTPException(HTTP_422, f"share: {error}") from error


# --- enabling and disabling ----------------------------------------------------------------------

#: Turns a list on or off for an actor: (store, list_id, actor) -> the list's new version.
ListSwitch = Callable[[WatchlistWriter, str, str], int]


def _list_switch(change: ListSwitch) -> Callable[..., WriteResult]:
    """The endpoint of a ListSwitch: both are refused and answered alike."""

    # Its name is the prefix of both operations' ids in the OpenAPI description.
    def switch(list_id: str, caller: Authenticated, store: Store) -> WriteResult:
        caller.require_owner(store.info(list_id).owner_country, f"list {list_id!r}")
        return WriteResult(list_id=list_id, version=change(store, list_id, caller.name))

    return switch


router.post(
    "/lists/{list_id}/enable",
    tags=["write"],
    response_model=WriteResult,
    responses={403: {}, 404: {}},
    summary="Enable List",
)(_list_switch(lambda store, list_id, actor: store.enable_list(list_id, actor=actor)))
router.post(
    "/lists/{list_id}/disable",
    tags=["write"],
    response_model=WriteResult,
    responses={403: {}, 404: {}},
    summary="Disable List",
)(_list_switch(lambda store, list_id, actor: store.disable_list(list_id, actor=actor)))
