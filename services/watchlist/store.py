"""Watchlists in Redis: whole-list imports, single-entry edits, a change feed and an audit trail.

Keys (all under `settings.redis_key_prefix`):

    {p}:wl:lists                  hash   list_id -> WatchlistInfo JSON (version, count, enabled, ...)
    {p}:wl:entries:{list_id}      hash   entry_id -> WatchlistEntry JSON: the live version of the list
    {p}:wl:entry-list             hash   entry_id -> list_id (entry ids are unique across lists)
    {p}:wl:expiry                 zset   entry_id scored by expires_at, until the sweep announces it
    {p}:wl:changes                stream the change feed: one WatchlistChange JSON per event
    {p}:wl:audit                  hash   audit_id -> AuditRecord JSON
    {p}:wl:audit:{by}:{key}       zset   audit ids by entry, list and actor, scored by time
    {p}:wl:staging:{list}:{uuid}  hash   an import being built; renamed over the live hash at the end

Every write runs in one MULTI/EXEC that also bumps the list's version in `wl:lists`, appends the
feed events and writes the audit records, all under WATCH of `wl:lists`: two writers cannot
interleave, and a reader using MULTI (snapshot) sees either all of a change or none of it. An
import writes the new entries into a staging hash first and only then RENAMEs it over the live
one, so a large list is swapped in one step and a failed import leaves the live list as it was.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import orjson
import redis
from redis.client import Pipeline

from services.shared.models.watchlist import Sharing, WatchlistEntry, WatchlistInfo
from services.shared.settings import Settings
from services.watchlist.errors import ListNotFound, WatchlistError, WatchlistNotFound
from services.watchlist.events import (
    AuditRecord,
    ChangeOp,
    ImportReport,
    WatchlistChange,
    WatchlistSnapshot,
)

__all__ = [
    "AuditRecord",
    "ChangeFeedGap",
    "ChangeOp",
    "EntryConflict",
    "ImportReport",
    "ListExists",
    "WatchlistChange",
    "WatchlistSnapshot",
    "WatchlistStore",
]

T = TypeVar("T")

#: Events the change feed keeps when trimmed; a reader further behind must re-snapshot.
CHANGE_FEED_MAXLEN = 500_000
#: Entries written to a staging hash per round trip.
STAGING_CHUNK = 1000
#: A staging hash left by a crashed import disappears after this many seconds.
STAGING_TTL_SECONDS = 3600
#: Attempts of a transaction that another writer keeps invalidating.
MAX_ATTEMPTS = 20
#: Ids of lists created empty. Entry ids are '<list_id>:<source id>', so no colon; and no spaces,
#: so the id can be typed in a shell and used in a Redis key as it is.
LIST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


# Atomic, so no event can be added between the trim and recording what it dropped.
_TRIM_SCRIPT = """
local dropped = redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])
if dropped == 0 then return 0 end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1][1]
local dash = string.find(first, '-', 1, true)
local millis, seq = string.sub(first, 1, dash - 1), string.sub(first, dash + 1)
local before
if seq ~= '0' then
  before = millis .. '-' .. string.format('%d', tonumber(seq) - 1)
else
  before = string.format('%d', tonumber(millis) - 1) .. '-18446744073709551615'
end
redis.call('XSETID', KEYS[1], last, 'MAXDELETEDID', before)
return dropped
"""


class EntryConflict(WatchlistError):
    """The entry already exists (add), is missing (update), or belongs to another list."""


class ListExists(WatchlistError):
    """A list with that id exists already."""


class ChangeFeedGap(WatchlistError):
    """The cursor points before events the feed has trimmed: take a new snapshot."""


# redis-py types every reply as `bytes | str` (it cannot know whether the client decodes). The
# store's client never does (decode_responses=False), so replies are bytes; the casts below only
# tell mypy so. A stream reply is [(id, {field: value}), ...].
_StreamEvents = list[tuple[bytes, dict[bytes, bytes]]]


def _now() -> datetime:
    return datetime.now(UTC)


def _stream_id(value: str | bytes) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else value
    millis, _, sequence = text.partition("-")
    return int(millis), int(sequence or 0)


class WatchlistStore:
    def __init__(self, redis_client: redis.Redis, settings: Settings) -> None:
        self._redis = redis_client
        prefix = f"{settings.redis_key_prefix}:wl"
        self._prefix = prefix
        self._lists_key = f"{prefix}:lists"
        self._entry_list_key = f"{prefix}:entry-list"
        self._expiry_key = f"{prefix}:expiry"
        self._changes_key = f"{prefix}:changes"
        self._audit_key = f"{prefix}:audit"
        self._audit_sequence = itertools.count()

    # --- keys -----------------------------------------------------------------------------------

    def _entries_key(self, list_id: str) -> str:
        return f"{self._prefix}:entries:{list_id}"

    def _audit_index_key(self, by: str, key: str) -> str:
        return f"{self._prefix}:audit:{by}:{key}"

    # --- reading --------------------------------------------------------------------------------

    def lists(self) -> list[WatchlistInfo]:
        raw = self._redis.hgetall(self._lists_key)
        return sorted(
            (WatchlistInfo.model_validate_json(value) for value in raw.values()), key=lambda info: info.list_id
        )

    def info(self, list_id: str) -> WatchlistInfo:
        raw = self._redis.hget(self._lists_key, list_id)
        if raw is None:
            raise ListNotFound(list_id)
        return WatchlistInfo.model_validate_json(raw)

    def get(self, entry_id: str) -> WatchlistEntry:
        list_id = cast("bytes | None", self._redis.hget(self._entry_list_key, entry_id))
        raw = self._redis.hget(self._entries_key(list_id.decode()), entry_id) if list_id else None
        if raw is None:
            raise WatchlistNotFound(f"no watchlist entry {entry_id!r}")
        return WatchlistEntry.model_validate_json(raw)

    def entries(self, list_id: str) -> list[WatchlistEntry]:
        """Every entry of one list (enabled or not, expired or not), in entry id order."""
        raw = self._redis.hgetall(self._entries_key(list_id))
        return [WatchlistEntry.model_validate_json(raw[key]) for key in sorted(raw)]

    def snapshot(self) -> WatchlistSnapshot:
        """The live entries of enabled lists, read in one transaction with the feed's position."""

        def read(pipe: Pipeline) -> WatchlistSnapshot:
            list_ids = sorted(key.decode() for key in cast("list[bytes]", pipe.hkeys(self._lists_key)))
            pipe.multi()
            pipe.hgetall(self._lists_key)
            pipe.xrevrange(self._changes_key, count=1)
            for list_id in list_ids:
                pipe.hgetall(self._entries_key(list_id))
            infos_raw, last, *entry_hashes = pipe.execute()
            infos = {key.decode(): WatchlistInfo.model_validate_json(value) for key, value in infos_raw.items()}
            now = _now()
            entries = [
                entry
                for list_id, raw in zip(list_ids, entry_hashes, strict=True)
                if infos[list_id].enabled
                for entry in (WatchlistEntry.model_validate_json(raw[key]) for key in sorted(raw))
                if entry.expires_at is None or entry.expires_at > now
            ]
            cursor = last[0][0].decode() if last else "0-0"
            return WatchlistSnapshot(entries=entries, versions={k: v.version for k, v in infos.items()}, cursor=cursor)

        return self._transaction(read, executes=True)

    def read_changes(self, cursor: str, block_ms: int, count: int) -> tuple[list[WatchlistChange], str]:
        """Events after `cursor` (at most `count`), waiting up to `block_ms` (0: do not wait) for one.

        Returns the events and the cursor to pass next time. Raises ChangeFeedGap when events
        after `cursor` were trimmed away: the caller must take a new snapshot.
        """
        self._check_not_trimmed(cursor)
        block = block_ms if block_ms > 0 else None
        answer = cast(
            "list[tuple[bytes, _StreamEvents]] | None",
            self._redis.xread({self._changes_key: cursor}, count=count, block=block),
        )
        changes: list[WatchlistChange] = []
        for _stream, events in answer or []:
            for event_id, fields in events:
                change = WatchlistChange.model_validate_json(fields[b"change"])
                changes.append(change.model_copy(update={"stream_id": event_id.decode()}))
        return changes, (changes[-1].stream_id if changes else cursor)

    def _check_not_trimmed(self, cursor: str) -> None:
        try:
            stream_info = self._redis.xinfo_stream(self._changes_key)
        except redis.ResponseError:
            return  # no feed yet: nothing can have been trimmed
        deleted = stream_info.get("max-deleted-entry-id") or b"0-0"
        if _stream_id(deleted) > _stream_id(cursor):
            raise ChangeFeedGap(f"change feed trimmed past cursor {cursor}; take a new snapshot")

    def history(
        self,
        entry_id: str | None = None,
        list_id: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]:
        """Audit records, oldest first, matching every filter given (the latest `limit` if given)."""
        if entry_id is not None:
            index = self._audit_index_key("entry", entry_id)
        elif list_id is not None:
            index = self._audit_index_key("list", list_id)
        elif actor is not None:
            index = self._audit_index_key("actor", actor)
        else:
            index = None
        if index is not None:
            ids = cast("list[bytes]", self._redis.zrange(index, 0, -1))
            raws = self._redis.hmget(self._audit_key, ids) if ids else []
        else:
            raws = list(self._redis.hvals(self._audit_key))
        records = [AuditRecord.model_validate_json(raw) for raw in raws if raw is not None]
        records = [
            record
            for record in records
            if (entry_id is None or record.entry_id == entry_id)
            and (list_id is None or record.list_id == list_id)
            and (actor is None or record.actor == actor)
        ]
        records.sort(key=lambda record: record.audit_id)
        return records[-limit:] if limit else records

    # --- whole-list import ----------------------------------------------------------------------

    def import_list(
        self,
        list_id: str,
        entries: Iterable[WatchlistEntry],
        *,
        owner_country: str,
        sharing: Sharing | None = None,
        title: str = "",
        actor: str,
    ) -> ImportReport:
        """Make `entries` the content of list `list_id`, atomically; unchanged content is a no-op.

        The list is created if new (enabled). Entries must carry this list_id and unique ids not
        used by another list; otherwise nothing changes and EntryConflict is raised.
        """
        payload = self._serialise_for_import(list_id, entries)
        staging = f"{self._prefix}:staging:{list_id}:{uuid.uuid4().hex}"
        try:
            self._write_staging(staging, payload)
            return self._transaction(
                lambda pipe: self._switch_to_staging(
                    pipe, list_id, staging, payload, owner_country, sharing, title, actor
                )
            )
        finally:
            self._redis.delete(staging)  # gone already when it was renamed over the live list
            self.trim_changes(CHANGE_FEED_MAXLEN, only_if_longer_than=int(CHANGE_FEED_MAXLEN * 1.2))

    def _serialise_for_import(self, list_id: str, entries: Iterable[WatchlistEntry]) -> dict[str, bytes]:
        payload: dict[str, bytes] = {}
        problems = []
        for entry in entries:
            if entry.list_id != list_id:
                problems.append(f"{entry.entry_id}: list_id {entry.list_id!r}, expected {list_id!r}")
            elif entry.entry_id in payload:
                problems.append(f"{entry.entry_id}: appears twice")
            else:
                payload[entry.entry_id] = entry.model_dump_json().encode()
        if problems:
            raise EntryConflict(
                "; ".join(problems[:20]) + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else "")
            )
        return payload

    def _write_staging(self, staging: str, payload: dict[str, bytes]) -> None:
        items = list(payload.items())
        with self._redis.pipeline(transaction=False) as pipe:
            for start in range(0, len(items), STAGING_CHUNK):
                pipe.hset(staging, mapping=dict(items[start : start + STAGING_CHUNK]))
            pipe.expire(staging, STAGING_TTL_SECONDS)
            pipe.execute()

    def _switch_to_staging(
        self,
        pipe: Pipeline,
        list_id: str,
        staging: str,
        payload: dict[str, bytes],
        owner_country: str,
        sharing: Sharing | None,
        title: str,
        actor: str,
    ) -> ImportReport:
        entries_key = self._entries_key(list_id)
        raw_info = pipe.hget(self._lists_key, list_id)
        old_info = WatchlistInfo.model_validate_json(raw_info) if raw_info else None
        current: dict[str, bytes] = {
            key.decode(): value for key, value in cast("dict[bytes, bytes]", pipe.hgetall(entries_key)).items()
        }
        self._check_ids_free(pipe, list_id, [entry_id for entry_id in payload if entry_id not in current])

        added = sorted(entry_id for entry_id in payload if entry_id not in current)
        removed = sorted(entry_id for entry_id in current if entry_id not in payload)
        changed = sorted(
            entry_id for entry_id in payload if entry_id in current and current[entry_id] != payload[entry_id]
        )
        unchanged = sorted(entry_id for entry_id in payload if current.get(entry_id) == payload[entry_id])
        old_version = old_info.version if old_info else 0
        is_new_content = old_info is None or bool(added or changed or removed)
        now = _now()
        info = WatchlistInfo(
            list_id=list_id,
            title=title or (old_info.title if old_info else ""),
            owner_country=owner_country,
            sharing=sharing or (old_info.sharing if old_info else Sharing()),
            version=old_version + 1 if is_new_content else old_version,
            entry_count=len(payload),
            updated_at=now if is_new_content or old_info is None else old_info.updated_at,
            enabled=old_info.enabled if old_info else True,
        )
        report = ImportReport(
            list_id=list_id, version=info.version, previous_version=old_version,
            added=added, changed=changed, removed=removed, unchanged=unchanged,
        )
        pipe.multi()
        if not is_new_content:
            if info != old_info:  # only the title, owner or sharing of the list changed
                pipe.hset(self._lists_key, list_id, info.model_dump_json())
            return report
        if payload:
            pipe.rename(staging, entries_key)
            pipe.persist(entries_key)
        else:
            pipe.delete(entries_key)
        pipe.hset(self._lists_key, list_id, info.model_dump_json())
        if added:
            pipe.hset(self._entry_list_key, mapping={entry_id: list_id for entry_id in added})
        if removed:
            pipe.hdel(self._entry_list_key, *removed)
            pipe.zrem(self._expiry_key, *removed)
        for entry_id in [*added, *changed]:
            entry = WatchlistEntry.model_validate_json(payload[entry_id])
            self._queue_expiry(pipe, entry, now)
            if info.enabled:
                self._queue_entry_event(pipe, entry, info.version, now)
        if info.enabled:
            for entry_id in removed:
                self._queue_change(
                    pipe,
                    WatchlistChange(
                        op=ChangeOp.REMOVE, list_id=list_id, version=info.version, changed_at=now, entry_ids=[entry_id]
                    ),
                )
        details = {"added": len(added), "changed": len(changed), "removed": len(removed), "unchanged": len(unchanged)}
        self._queue_audit(pipe, now, actor, "import", list_id, None, info.version, None, None, details)
        for entry_id in added:
            self._queue_audit(pipe, now, actor, "import:add", list_id, entry_id, info.version, None, payload[entry_id])
        for entry_id in changed:
            self._queue_audit(
                pipe, now, actor, "import:change", list_id, entry_id, info.version, current[entry_id], payload[entry_id]
            )
        for entry_id in removed:
            self._queue_audit(
                pipe, now, actor, "import:remove", list_id, entry_id, info.version, current[entry_id], None
            )
        return report

    def _check_ids_free(self, pipe: Pipeline, list_id: str, entry_ids: list[str]) -> None:
        if not entry_ids:
            return
        owners = cast("list[bytes | None]", pipe.hmget(self._entry_list_key, entry_ids))
        taken = [
            f"{entry_id} (in {owner.decode()})"
            for entry_id, owner in zip(entry_ids, owners, strict=True)
            if owner and owner.decode() != list_id
        ]
        if taken:
            raise EntryConflict("entry ids used by another list: " + ", ".join(taken[:20]))

    # --- single-entry operations ----------------------------------------------------------------

    def add(self, entry: WatchlistEntry, *, actor: str) -> int:
        """Add a new entry to its (existing) list; returns the list's new version."""
        return self._write_entry(entry.list_id, entry.entry_id, entry, actor, "add", must_exist=False)

    def update(self, entry: WatchlistEntry, *, actor: str) -> int:
        """Replace an existing entry; returns the list's new version."""
        return self._write_entry(entry.list_id, entry.entry_id, entry, actor, "update", must_exist=True)

    def remove(self, entry_id: str, *, actor: str) -> int:
        return self._write_entry(self._list_of(entry_id), entry_id, None, actor, "remove", must_exist=True)

    def expire(self, entry_id: str, expires_at: datetime, *, actor: str) -> int:
        """Set the entry's expiry; once it has passed the entry leaves snapshots and the feed removes it."""
        if expires_at.tzinfo is None:
            raise ValueError("expires_at needs a time zone")
        entry = self.get(entry_id).model_copy(update={"expires_at": expires_at})
        return self._write_entry(
            entry.list_id, entry_id, WatchlistEntry.model_validate(entry.model_dump()), actor, "expire", must_exist=True
        )

    def _list_of(self, entry_id: str) -> str:
        list_id = cast("bytes | None", self._redis.hget(self._entry_list_key, entry_id))
        if list_id is None:
            raise WatchlistNotFound(f"no watchlist entry {entry_id!r}")
        return list_id.decode()

    def _write_entry(
        self, list_id: str, entry_id: str, entry: WatchlistEntry | None, actor: str, operation: str, must_exist: bool
    ) -> int:
        after = entry.model_dump_json().encode() if entry is not None else None

        def write(pipe: Pipeline) -> int:
            info = self._info_in(pipe, list_id)
            before = cast("bytes | None", pipe.hget(self._entries_key(list_id), entry_id))
            if must_exist and before is None:
                raise WatchlistNotFound(f"no entry {entry_id!r} in watchlist {list_id!r}")
            if not must_exist:
                if before is not None:
                    raise EntryConflict(f"entry {entry_id!r} already exists in {list_id!r}")
                self._check_ids_free(pipe, list_id, [entry_id])
            count = info.entry_count + (1 if before is None else 0) - (1 if after is None else 0)
            now = _now()
            new_info = info.model_copy(update={"version": info.version + 1, "entry_count": count, "updated_at": now})
            pipe.multi()
            pipe.hset(self._lists_key, list_id, new_info.model_dump_json())
            if entry is not None:
                pipe.hset(self._entries_key(list_id), entry_id, after)
                pipe.hset(self._entry_list_key, entry_id, list_id)
                self._queue_expiry(pipe, entry, now)
                if info.enabled:
                    self._queue_entry_event(pipe, entry, new_info.version, now)
            else:
                pipe.hdel(self._entries_key(list_id), entry_id)
                pipe.hdel(self._entry_list_key, entry_id)
                pipe.zrem(self._expiry_key, entry_id)
                if info.enabled:
                    self._queue_change(
                        pipe,
                        WatchlistChange(
                            op=ChangeOp.REMOVE,
                            list_id=list_id,
                            version=new_info.version,
                            changed_at=now,
                            entry_ids=[entry_id],
                        ),
                    )
            self._queue_audit(pipe, now, actor, operation, list_id, entry_id, new_info.version, before, after)
            return new_info.version

        return self._transaction(write)

    # --- list operations ------------------------------------------------------------------------

    def create_list(
        self, list_id: str, *, owner_country: str, sharing: Sharing | None = None, title: str = "", actor: str
    ) -> int:
        """Create an empty, enabled list to add entries to one by one; returns its version (1).

        Raises ListExists if the id is taken (an import would replace that list; creating must
        not), WatchlistError for an id outside LIST_ID_PATTERN, and pydantic's ValidationError for
        an owner or sharing the model refuses. No change-feed event: an empty list changes no
        matcher, exactly as an import of an empty new list.
        """
        if not LIST_ID_PATTERN.fullmatch(list_id):
            raise WatchlistError(
                f"list id {list_id!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )

        def write(pipe: Pipeline) -> int:
            if pipe.hexists(self._lists_key, list_id):
                raise ListExists(f"watchlist {list_id!r} already exists")
            now = _now()
            info = WatchlistInfo(
                list_id=list_id, title=title, owner_country=owner_country, sharing=sharing or Sharing(),
                version=1, entry_count=0, updated_at=now, enabled=True,
            )
            details = {"owner_country": info.owner_country, "sharing": info.sharing.model_dump(mode="json")}
            pipe.multi()
            pipe.hset(self._lists_key, list_id, info.model_dump_json())
            self._queue_audit(pipe, now, actor, "create", list_id, None, info.version, None, None, details)
            return info.version

        return self._transaction(write)

    def enable_list(self, list_id: str, *, actor: str) -> int:
        return self._set_enabled(list_id, True, actor)

    def disable_list(self, list_id: str, *, actor: str) -> int:
        return self._set_enabled(list_id, False, actor)

    def _set_enabled(self, list_id: str, enabled: bool, actor: str) -> int:
        def write(pipe: Pipeline) -> int:
            info = self._info_in(pipe, list_id)
            if info.enabled == enabled:
                pipe.multi()
                return info.version
            raw_entries = cast("dict[bytes, bytes]", pipe.hgetall(self._entries_key(list_id)))
            now = _now()
            new_info = info.model_copy(update={"version": info.version + 1, "enabled": enabled, "updated_at": now})
            entry_ids = sorted(key.decode() for key in raw_entries)
            pipe.multi()
            pipe.hset(self._lists_key, list_id, new_info.model_dump_json())
            if enabled:
                # Readers dropped the list's entries when it was disabled: send them all again.
                self._queue_change(
                    pipe,
                    WatchlistChange(
                        op=ChangeOp.LIST_ENABLED, list_id=list_id, version=new_info.version, changed_at=now
                    ),
                )
                for entry_id in entry_ids:
                    entry = WatchlistEntry.model_validate_json(raw_entries[entry_id.encode()])
                    self._queue_entry_event(pipe, entry, new_info.version, now)
            else:
                self._queue_change(
                    pipe,
                    WatchlistChange(
                        op=ChangeOp.LIST_DISABLED,
                        list_id=list_id,
                        version=new_info.version,
                        changed_at=now,
                        entry_ids=entry_ids,
                    ),
                )
            self._queue_audit(
                pipe, now, actor, "enable" if enabled else "disable", list_id, None, new_info.version, None, None
            )
            return new_info.version

        return self._transaction(write)

    def sweep_expired(self, *, actor: str = "system:expiry", now: datetime | None = None) -> list[str]:
        """Announce on the feed the entries whose expiry has passed; returns their ids.

        Expiry is not an edit, so list versions do not change; each entry is announced once.
        """
        moment = now or _now()

        def sweep(pipe: Pipeline) -> list[str]:
            due_raw = cast("list[bytes]", pipe.zrangebyscore(self._expiry_key, "-inf", moment.timestamp()))
            due = [member.decode() for member in due_raw]
            if not due:
                pipe.multi()
                return []
            owners = cast("list[bytes | None]", pipe.hmget(self._entry_list_key, due))
            lists_raw = cast("dict[bytes, bytes]", pipe.hgetall(self._lists_key))
            infos = {key.decode(): WatchlistInfo.model_validate_json(value) for key, value in lists_raw.items()}
            pipe.multi()
            pipe.zrem(self._expiry_key, *due)
            for entry_id, owner in zip(due, owners, strict=True):
                if owner is None:
                    continue
                info = infos[owner.decode()]
                if info.enabled:
                    self._queue_change(
                        pipe,
                        WatchlistChange(
                            op=ChangeOp.REMOVE,
                            list_id=info.list_id,
                            version=info.version,
                            changed_at=moment,
                            entry_ids=[entry_id],
                        ),
                    )
                self._queue_audit(pipe, moment, actor, "expired", info.list_id, entry_id, info.version, None, None)
            return due

        # The sweep does not write wl:lists, so it watches the expiry set it consumes as well.
        return self._transaction(sweep, watch=(self._lists_key, self._expiry_key))

    def trim_changes(self, keep: int, *, only_if_longer_than: int = 0) -> int:
        """Drop all but the newest `keep` (at least 1) feed events; returns how many were dropped.

        XADD's own MAXLEN would not tell readers what it dropped, so the trim records the id just
        before the first kept event as the stream's max-deleted-entry-id, which read_changes checks.
        """
        if keep < 1:
            raise ValueError("keep at least one event: it carries the feed's position")
        if self._redis.xlen(self._changes_key) <= max(keep, only_if_longer_than):
            return 0
        return int(self._redis.eval(_TRIM_SCRIPT, 1, self._changes_key, keep))

    # --- transaction plumbing -------------------------------------------------------------------

    def _transaction(
        self, body: Callable[[Pipeline], T], *, executes: bool = False, watch: tuple[str, ...] | None = None
    ) -> T:
        """Run `body` under WATCH until no other writer interferes.

        `body` reads in immediate mode, calls pipe.multi(), queues its writes and returns the
        result; with executes=True it calls pipe.execute() itself (to use the replies).
        """
        with self._redis.pipeline(transaction=True) as pipe:
            for _attempt in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(*(watch or (self._lists_key,)))
                    result = body(pipe)
                    if not executes:
                        pipe.execute()
                    return result
                except redis.WatchError:
                    continue
                finally:
                    pipe.reset()
        raise WatchlistError(f"gave up after {MAX_ATTEMPTS} attempts: the watchlists keep changing under this write")

    def _info_in(self, pipe: Pipeline, list_id: str) -> WatchlistInfo:
        raw = pipe.hget(self._lists_key, list_id)
        if raw is None:
            raise ListNotFound(list_id)
        return WatchlistInfo.model_validate_json(raw)

    def _queue_entry_event(self, pipe: Pipeline, entry: WatchlistEntry, version: int, now: datetime) -> None:
        if entry.expires_at is not None and entry.expires_at <= now:
            change = WatchlistChange(
                op=ChangeOp.REMOVE, list_id=entry.list_id, version=version, changed_at=now, entry_ids=[entry.entry_id]
            )
        else:
            change = WatchlistChange(
                op=ChangeOp.UPSERT, list_id=entry.list_id, version=version, changed_at=now, entry=entry
            )
        self._queue_change(pipe, change)

    def _queue_change(self, pipe: Pipeline, change: WatchlistChange) -> None:
        body = change.model_dump_json(exclude={"stream_id"}).encode()
        pipe.xadd(self._changes_key, {b"change": body})

    def _queue_expiry(self, pipe: Pipeline, entry: WatchlistEntry, now: datetime) -> None:
        if entry.expires_at is not None and entry.expires_at > now:
            pipe.zadd(self._expiry_key, {entry.entry_id: entry.expires_at.timestamp()})
        else:
            # No expiry, or one already announced as a removal by _queue_entry_event.
            pipe.zrem(self._expiry_key, entry.entry_id)

    def _queue_audit(
        self,
        pipe: Pipeline,
        at: datetime,
        actor: str,
        operation: str,
        list_id: str,
        entry_id: str | None,
        version: int,
        before: bytes | None,
        after: bytes | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        # Sortable by time, unique without a round trip (the transaction cannot read its own XADD ids).
        # The counter keeps the records of one transaction (same timestamp) in the order written.
        audit_id = f"{at.timestamp() * 1e6:020.0f}-{next(self._audit_sequence):010d}-{uuid.uuid4().hex[:8]}"
        record: dict[str, Any] = {
            "audit_id": audit_id, "at": at.isoformat(), "actor": actor, "operation": operation,
            "list_id": list_id, "entry_id": entry_id, "version": version,
            "before": orjson.Fragment(before) if before else None,
            "after": orjson.Fragment(after) if after else None,
            "details": details or {},
        }
        pipe.hset(self._audit_key, audit_id, orjson.dumps(record))
        score = at.timestamp()
        pipe.zadd(self._audit_index_key("list", list_id), {audit_id: score})
        pipe.zadd(self._audit_index_key("actor", actor), {audit_id: score})
        if entry_id is not None:
            pipe.zadd(self._audit_index_key("entry", entry_id), {audit_id: score})

    # --- maintenance ----------------------------------------------------------------------------

    def delete_everything(self) -> int:
        """Delete every key of this store's prefix (tests and `interdict watchlist reset`)."""
        keys = list(self._redis.scan_iter(match=f"{self._prefix}:*", count=1000))
        return self._redis.delete(*keys) if keys else 0
