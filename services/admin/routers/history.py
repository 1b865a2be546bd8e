"""/history: the audit trail, as much of it as the caller's country may see."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.admin.auth import Authenticated
from services.admin.backends import Store
from services.watchlist.events import AuditRecord
from services.watchlist.operations import audit_trail

router = APIRouter()


@router.get("/history", tags=["read"])
def get_history(
    caller: Authenticated,
    store: Store,
    entry_id: str | None = None,
    list_id: str | None = None,
    actor: str | None = None,
    limit: Annotated[int, Query(ge=0, le=10_000, description="the latest N records; 0: all")] = 500,
) -> list[AuditRecord]:
    """Audit records, oldest first, of the lists and entries shared with the caller's country."""
    return audit_trail(store, entry_id=entry_id, list_id=list_id, actor=actor, limit=limit, seen_by=caller.country)
