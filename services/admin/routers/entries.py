"""/entries: read one entry shared with the caller; add, replace, remove or expire one (admins of its owner)."""

from fastapi import APIRouter, HTTPException, status

from services.admin.auth import Authenticated, Caller
from services.admin.backends import Store
from services.admin.errors import HTTP_422
from services.admin.models import ExpireRequest, WriteResult
from services.shared.models.watchlist import WatchlistEntry
from services.watchlist.writer import WatchlistWriter

router = APIRouter()


@router.get("/entries/{entry_id}", tags=["read"], responses={404: {}, 403: {}})
def get_entry(entry_id: str, caller: Authenticated, store: Store) -> WatchlistEntry:
    entry = store.get(entry_id)
    caller.require_shared(entry, f"entry {entry_id!r}")
    return entry


@router.post("/entries", tags=["write"], status_code=status.HTTP_201_CREATED, responses={403: {}, 404: {}, 409: {}})
def add_entry(entry: WatchlistEntry, caller: Authenticated, store: Store) -> WriteResult:
    """Add a new entry to an existing list."""
    _require_entry_owner(caller, store, entry)
    version = store.add(entry, actor=caller.name)
    return WriteResult(list_id=entry.list_id, entry_id=entry.entry_id, version=version)


@router.put("/entries/{entry_id}", tags=["write"], responses={403: {}, 404: {}, 409: {}, 422: {}})
def replace_entry(entry_id: str, entry: WatchlistEntry, caller: Authenticated, store: Store) -> WriteResult:
    """Replace an existing entry (same id, same list)."""
    current = store.get(entry_id)
    if entry.entry_id != entry_id or entry.list_id != current.list_id:
        raise HTTPException(HTTP_422, f"the body must keep entry_id {entry_id!r} and list_id {current.list_id!r}")
    _require_entry_owner(caller, store, current)
    # The new version must stay the caller's country's too: no handing an entry to another.
    caller.require_owner(entry.owner_country, f"entry {entry_id!r}")
    version = store.update(entry, actor=caller.name)
    return WriteResult(list_id=entry.list_id, entry_id=entry_id, version=version)


@router.delete("/entries/{entry_id}", tags=["write"], responses={403: {}, 404: {}})
def delete_entry(entry_id: str, caller: Authenticated, store: Store) -> WriteResult:
    current = store.get(entry_id)
    _require_entry_owner(caller, store, current)
    return WriteResult(list_id=current.list_id, entry_id=entry_id, version=store.remove(entry_id, actor=caller.name))


@router.post("/entries/{entry_id}/expire", tags=["write"], responses={403: {}, 404: {}})
def expire_entry(entry_id: str, body: ExpireRequest, caller: Authenticated, store: Store) -> WriteResult:
    """Let the entry expire at a time (in the past: now); it stays in the list, out of matching."""
    current = store.get(entry_id)
    _require_entry_owner(caller, store, current)
    version = store.expire(entry_id, body.expires_at, actor=caller.name)
    return WriteResult(list_id=current.list_id, entry_id=entry_id, version=version)


def _require_entry_owner(caller: Caller, store: WatchlistWriter, entry: WatchlistEntry) -> None:
    """An entry is changed only by an admin of the country owning both its list and the entry itself."""
    caller.require_owner(store.info(entry.list_id).owner_country, f"list {entry.list_id!r}")
    caller.require_owner(entry.owner_country, f"entry {entry.entry_id!r}")
