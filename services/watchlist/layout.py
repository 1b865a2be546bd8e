"""Where the watchlists live in Redis: the key names the reader and the writer share.

Keys (all under `settings.redis_key_prefix`):

    {p}:wl:lists                  hash   list_id -> WatchlistInfo JSON (version, count, enabled, ...)
    {p}:wl:entries:{list_id}      hash   entry_id -> WatchlistEntry JSON: the live version of the list
    {p}:wl:entry-list             hash   entry_id -> list_id (entry ids are unique across lists)
    {p}:wl:expiry                 zset   entry_id scored by expires_at, until the sweep announces it
    {p}:wl:changes                stream the change feed: one WatchlistChange JSON per event
    {p}:wl:audit                  hash   audit_id -> AuditRecord JSON
    {p}:wl:audit:{by}:{key}       zset   audit ids by entry, list and actor, scored by time
    {p}:wl:staging:{list}:{uuid}  hash   an import being built; renamed over the live hash at the end

Readers (matchers, the re-screener, `interdict screen`) touch only `lists`, `entries:*` and
`changes`; everything else is the writer's (administrators: imports, edits, audit, expiry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class WatchlistKeys:
    """The watchlists' key names under one key prefix."""

    prefix: str  # '{redis_key_prefix}:wl'

    @classmethod
    def under(cls, key_prefix: str) -> WatchlistKeys:
        return cls(f"{key_prefix}:wl")

    @property
    def lists(self) -> str:
        return f"{self.prefix}:lists"

    @property
    def entry_list(self) -> str:
        return f"{self.prefix}:entry-list"

    @property
    def expiry(self) -> str:
        return f"{self.prefix}:expiry"

    @property
    def changes(self) -> str:
        return f"{self.prefix}:changes"

    @property
    def audit(self) -> str:
        return f"{self.prefix}:audit"

    def entries(self, list_id: str) -> str:
        return f"{self.prefix}:entries:{list_id}"

    def audit_index(self, by: str, key: str) -> str:
        return f"{self.prefix}:audit:{by}:{key}"

    def staging(self, list_id: str, token: str) -> str:
        return f"{self.prefix}:staging:{list_id}:{token}"

    @property
    def every_key(self) -> str:
        """The SCAN pattern of every key above."""
        return f"{self.prefix}:*"


def utc_now() -> datetime:
    return datetime.now(UTC)
