"""What the watchlist store reports: import reports, change-feed events, snapshots, positions and audit records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.shared.models.watchlist import WatchlistEntry


class ChangeOp(StrEnum):
    UPSERT = "upsert"  # the entry is new or changed: replace any copy of it
    REMOVE = "remove"  # forget the entry (removed, or its expiry has passed)
    LIST_ENABLED = "list_enabled"  # upserts of all its entries follow in the same feed
    LIST_DISABLED = "list_disabled"  # forget all entries of the list (entry_ids names them)


class WatchlistChange(BaseModel):
    """One event of the change feed. Applying it twice has the same effect as applying it once."""

    model_config = ConfigDict(frozen=True)

    op: ChangeOp
    list_id: str
    version: int = Field(description="the list's version once this change is applied")
    changed_at: AwareDatetime
    entry: WatchlistEntry | None = Field(default=None, description="with op 'upsert'")
    entry_ids: list[str] = Field(default_factory=list, description="with op 'remove' or 'list_disabled'")
    stream_id: str = Field(default="", description="position in the feed; a cursor to resume after it")

    def removed_entry_ids(self) -> list[str]:
        return list(self.entry_ids) if self.op in (ChangeOp.REMOVE, ChangeOp.LIST_DISABLED) else []


class WatchlistSnapshot(BaseModel):
    """Every live entry (enabled lists, not expired) as of `cursor`: follow the feed from there."""

    model_config = ConfigDict(frozen=True)

    entries: list[WatchlistEntry]
    versions: dict[str, int]
    cursor: str


@dataclass(frozen=True)
class StorePosition:
    """Where the watchlists are: every list's version and the change feed's last event id."""

    versions: dict[str, int]
    cursor: str


class ImportReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    list_id: str
    version: int
    previous_version: int
    added: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)

    @property
    def is_unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    audit_id: str
    at: AwareDatetime
    actor: str
    operation: str
    list_id: str
    entry_id: str | None = None
    version: int
    before: WatchlistEntry | None = None
    after: WatchlistEntry | None = None
    details: dict[str, Any] = Field(default_factory=dict)
