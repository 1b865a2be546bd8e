"""Changing the watchlists: whole-list imports, single-entry edits, list switches, the expiry sweep
and the audit trail of all of them.

What administrators use (the admin API, `interdict watchlist`, the demo's import). A writer is a
reader too: whoever may change a list may read it, and edits need the entry they change.

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import orjson

from services.shared.models.watchlist import Sharing, WatchlistEntry, WatchlistInfo
from services.shared.redis_clients import RedisUser
from services.watchlist.errors import EntryConflict, ListExists, ListNotFound, WatchlistError, WatchlistNotFound
from services.watchlist.events import AuditRecord, ChangeOp, ImportReport, WatchlistChange
from services.watchlist.layout import utc_now
from services.watchlist.reader import ReaderClient, ReaderPipeline, WatchlistReader, run_transaction

if TYPE_CHECKING:
    from redis.typing import AnyKeyT, EncodableT, ExpiryT, FieldT, KeyT, PatternT, ZScoreBoundT, ZSetRangeResponse

T = TypeVar("T")

#: Events the change feed keeps when trimmed; a reader further behind must re-snapshot.
CHANGE_FEED_MAXLEN = 500_000
#: Entries written to a staging hash per round trip.
STAGING_CHUNK = 1000
#: A staging hash left by a crashed import disappears after this many seconds.
STAGING_TTL_SECONDS = 3600
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


# The Redis commands a writer sends besides a reader's, as redis-py's synchronous client types them.
class WriteCommands(Protocol):
    def hmget(self, name: KeyT, keys: FieldT | Iterable[FieldT], *args: FieldT) -> list[bytes | str | None]: ...

    def hexists(self, name: KeyT, key: FieldT) -> bool: ...

    def hvals(self, name: KeyT) -> list[bytes | str]: ...

    def hset(
        self,
        name: KeyT,
        key: FieldT | None = None,
        value: EncodableT | None = None,
        mapping: Mapping[FieldT, EncodableT] | None = None,
    ) -> int: ...

    def hdel(self, name: KeyT, *keys: FieldT) -> int: ...

    def zrange(self, name: KeyT, start: EncodableT, end: EncodableT) -> ZSetRangeResponse: ...

    def zrangebyscore(self, name: KeyT, min: ZScoreBoundT, max: ZScoreBoundT) -> ZSetRangeResponse: ...

    def zadd(self, name: KeyT, mapping: Mapping[AnyKeyT, EncodableT]) -> int | float | None: ...

    def zrem(self, name: KeyT, *values: FieldT) -> int: ...

    def xadd(self, name: KeyT, fields: dict[FieldT, EncodableT]) -> bytes | str: ...

    def xlen(self, name: KeyT) -> int: ...

    def rename(self, src: KeyT, dst: KeyT) -> bool: ...

    def persist(self, name: KeyT) -> bool: ...

    def expire(self, name: KeyT, time: ExpiryT) -> bool: ...

    def delete(self, *names: KeyT) -> int: ...


class WriterPipeline(ReaderPipeline, WriteCommands, Protocol):
    pass


class WriterClient(ReaderClient, WriteCommands, Protocol):
    def pipeline(self, transaction: bool = True) -> WriterPipeline: ...

    def eval(self, script: str, numkeys: int, *keys_and_args: KeyT | EncodableT) -> Any: ...

    def scan_iter(self, match: PatternT | None = None, count: int | None = None) -> Iterator[bytes | str]: ...


@dataclass(frozen=True)
class _Listing:
    """What an import says of its list besides the entries; None or "" keeps what the list has."""

    owner_country: str
    sharing: Sharing | None
    title: str


@dataclass(frozen=True)
class _ImportDiff:
    """Entry ids of an import against the live list, each group sorted."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]

    @classmethod
    def between(cls, current: dict[str, bytes], payload: dict[str, bytes]) -> _ImportDiff:
        return cls(
            added=sorted(entry_id for entry_id in payload if entry_id not in current),
            changed=sorted(
                entry_id for entry_id in payload if entry_id in current and current[entry_id] != payload[entry_id]
            ),
            removed=sorted(entry_id for entry_id in current if entry_id not in payload),
            unchanged=sorted(entry_id for entry_id in payload if current.get(entry_id) == payload[entry_id]),
        )

    @property
    def changes_entries(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class WatchlistWriter(WatchlistReader):
    """Changes to the watchlists of one key prefix, through an injected Redis client."""

    REDIS_USER = RedisUser.ADMIN
    _redis: WriterClient

    def __init__(self, client: WriterClient, key_prefix: str) -> None:
        super().__init__(client, key_prefix)
        self._audit_sequence = itertools.count()

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
        staging = self._keys.staging(list_id, uuid.uuid4().hex)
        listing = _Listing(owner_country, sharing, title)
        try:
            self._write_staging(staging, payload)
            return self._transaction(
                lambda pipe: self._switch_to_staging(pipe, list_id, staging, payload, listing, actor)
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
        self, pipe: WriterPipeline, list_id: str, staging: str, payload: dict[str, bytes], listing: _Listing, actor: str
    ) -> ImportReport:
        raw_info = pipe.hget(self._keys.lists, list_id)
        old_info = WatchlistInfo.model_validate_json(raw_info) if raw_info else None
        raw_current = cast("dict[bytes, bytes]", pipe.hgetall(self._keys.entries(list_id)))
        current = {key.decode(): value for key, value in raw_current.items()}
        self._check_ids_free(pipe, list_id, [entry_id for entry_id in payload if entry_id not in current])
        diff = _ImportDiff.between(current, payload)
        moment = utc_now()
        is_new_content = old_info is None or diff.changes_entries
        info = _imported_info(list_id, old_info, listing, len(payload), is_new_content, moment)
        old_version = old_info.version if old_info else 0
        report = ImportReport(
            list_id=list_id, version=info.version, previous_version=old_version,
            added=diff.added, changed=diff.changed, removed=diff.removed, unchanged=diff.unchanged,
        )
        pipe.multi()
        if not is_new_content:
            if info != old_info:  # only the title, owner or sharing of the list changed
                pipe.hset(self._keys.lists, list_id, info.model_dump_json())
            return report
        self._queue_live_entries(pipe, list_id, staging, payload)
        pipe.hset(self._keys.lists, list_id, info.model_dump_json())
        self._queue_import_changes(pipe, info, diff, payload, moment)
        self._queue_import_audit(pipe, moment, actor, info, diff, current, payload)
        return report

    def _queue_live_entries(self, pipe: WriterPipeline, list_id: str, staging: str, payload: dict[str, bytes]) -> None:
        """The staging hash becomes the live list (RENAME cannot leave an empty hash: delete instead)."""
        entries_key = self._keys.entries(list_id)
        if payload:
            pipe.rename(staging, entries_key)
            pipe.persist(entries_key)
        else:
            pipe.delete(entries_key)

    def _queue_import_changes(
        self, pipe: WriterPipeline, info: WatchlistInfo, diff: _ImportDiff, payload: dict[str, bytes], moment: datetime
    ) -> None:
        """The entry index, the expiry set and the feed events of an import that changed the list."""
        if diff.added:
            pipe.hset(self._keys.entry_list, mapping={entry_id: info.list_id for entry_id in diff.added})
        if diff.removed:
            pipe.hdel(self._keys.entry_list, *diff.removed)
            pipe.zrem(self._keys.expiry, *diff.removed)
        for entry_id in [*diff.added, *diff.changed]:
            entry = WatchlistEntry.model_validate_json(payload[entry_id])
            self._queue_expiry(pipe, entry, moment)
            if info.enabled:
                self._queue_entry_event(pipe, entry, info.version, moment)
        if info.enabled:
            for entry_id in diff.removed:
                self._queue_change(pipe, _removal(info.list_id, entry_id, info.version, moment))

    def _queue_import_audit(
        self,
        pipe: WriterPipeline,
        moment: datetime,
        actor: str,
        info: WatchlistInfo,
        diff: _ImportDiff,
        current: dict[str, bytes],
        payload: dict[str, bytes],
    ) -> None:
        """One record for the import, then one per entry it added, changed or removed."""
        list_id, version = info.list_id, info.version
        counts = {
            "added": len(diff.added), "changed": len(diff.changed),
            "removed": len(diff.removed), "unchanged": len(diff.unchanged),
        }
        self._queue_audit(pipe, moment, actor, "import", list_id, None, version, None, None, counts)
        for entry_id in diff.added:
            self._queue_audit(pipe, moment, actor, "import:add", list_id, entry_id, version, None, payload[entry_id])
        for entry_id in diff.changed:
            before, after = current[entry_id], payload[entry_id]
            self._queue_audit(pipe, moment, actor, "import:change", list_id, entry_id, version, before, after)
        for entry_id in diff.removed:
            self._queue_audit(pipe, moment, actor, "import:remove", list_id, entry_id, version, current[entry_id], None)

    def _check_ids_free(self, pipe: WriterPipeline, list_id: str, entry_ids: list[str]) -> None:
        if not entry_ids:
            return
        owners = cast("list[bytes | None]", pipe.hmget(self._keys.entry_list, entry_ids))
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
        list_id = cast("bytes | None", self._redis.hget(self._keys.entry_list, entry_id))
        if list_id is None:
            raise WatchlistNotFound(f"no watchlist entry {entry_id!r}")
        return list_id.decode()

    def _write_entry(
        self, list_id: str, entry_id: str, entry: WatchlistEntry | None, actor: str, operation: str, must_exist: bool
    ) -> int:
        """Write (or with entry=None remove) one entry, with its feed event and audit record."""
        after = entry.model_dump_json().encode() if entry is not None else None

        def write(pipe: WriterPipeline) -> int:
            info = self._info_in(pipe, list_id)
            before = cast("bytes | None", pipe.hget(self._keys.entries(list_id), entry_id))
            self._check_entry_slot(pipe, list_id, entry_id, before, must_exist)
            count = info.entry_count + (1 if before is None else 0) - (1 if after is None else 0)
            moment = utc_now()
            new_info = info.model_copy(
                update={"version": info.version + 1, "entry_count": count, "updated_at": moment}
            )
            pipe.multi()
            pipe.hset(self._keys.lists, list_id, new_info.model_dump_json())
            if entry is not None:
                self._queue_entry_stored(pipe, new_info, entry, moment)
            else:
                self._queue_entry_removed(pipe, new_info, entry_id, moment)
            self._queue_audit(pipe, moment, actor, operation, list_id, entry_id, new_info.version, before, after)
            return new_info.version

        return self._transaction(write)

    def _check_entry_slot(
        self, pipe: WriterPipeline, list_id: str, entry_id: str, before: bytes | None, must_exist: bool
    ) -> None:
        """An update or removal needs the entry there; an add needs its id free in every list."""
        if must_exist and before is None:
            raise WatchlistNotFound(f"no entry {entry_id!r} in watchlist {list_id!r}")
        if not must_exist:
            if before is not None:
                raise EntryConflict(f"entry {entry_id!r} already exists in {list_id!r}")
            self._check_ids_free(pipe, list_id, [entry_id])

    def _queue_entry_stored(
        self, pipe: WriterPipeline, info: WatchlistInfo, entry: WatchlistEntry, moment: datetime
    ) -> None:
        pipe.hset(self._keys.entries(info.list_id), entry.entry_id, entry.model_dump_json().encode())
        pipe.hset(self._keys.entry_list, entry.entry_id, info.list_id)
        self._queue_expiry(pipe, entry, moment)
        if info.enabled:
            self._queue_entry_event(pipe, entry, info.version, moment)

    def _queue_entry_removed(self, pipe: WriterPipeline, info: WatchlistInfo, entry_id: str, moment: datetime) -> None:
        pipe.hdel(self._keys.entries(info.list_id), entry_id)
        pipe.hdel(self._keys.entry_list, entry_id)
        pipe.zrem(self._keys.expiry, entry_id)
        if info.enabled:
            self._queue_change(pipe, _removal(info.list_id, entry_id, info.version, moment))

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

        def write(pipe: WriterPipeline) -> int:
            if pipe.hexists(self._keys.lists, list_id):
                raise ListExists(f"watchlist {list_id!r} already exists")
            moment = utc_now()
            info = WatchlistInfo(
                list_id=list_id, title=title, owner_country=owner_country, sharing=sharing or Sharing(),
                version=1, entry_count=0, updated_at=moment, enabled=True,
            )
            details = {"owner_country": info.owner_country, "sharing": info.sharing.model_dump(mode="json")}
            pipe.multi()
            pipe.hset(self._keys.lists, list_id, info.model_dump_json())
            self._queue_audit(pipe, moment, actor, "create", list_id, None, info.version, None, None, details)
            return info.version

        return self._transaction(write)

    def enable_list(self, list_id: str, *, actor: str) -> int:
        return self._set_enabled(list_id, True, actor)

    def disable_list(self, list_id: str, *, actor: str) -> int:
        return self._set_enabled(list_id, False, actor)

    def _set_enabled(self, list_id: str, enabled: bool, actor: str) -> int:
        def write(pipe: WriterPipeline) -> int:
            info = self._info_in(pipe, list_id)
            if info.enabled == enabled:
                pipe.multi()
                return info.version
            raw_entries = cast("dict[bytes, bytes]", pipe.hgetall(self._keys.entries(list_id)))
            moment = utc_now()
            new_info = info.model_copy(update={"version": info.version + 1, "enabled": enabled, "updated_at": moment})
            pipe.multi()
            pipe.hset(self._keys.lists, list_id, new_info.model_dump_json())
            if enabled:
                self._queue_list_enabled(pipe, new_info, raw_entries, moment)
            else:
                self._queue_list_disabled(pipe, new_info, raw_entries, moment)
            operation = "enable" if enabled else "disable"
            self._queue_audit(pipe, moment, actor, operation, list_id, None, new_info.version, None, None)
            return new_info.version

        return self._transaction(write)

    def _queue_list_enabled(
        self, pipe: WriterPipeline, info: WatchlistInfo, raw_entries: dict[bytes, bytes], moment: datetime
    ) -> None:
        # Readers dropped the list's entries when it was disabled: send them all again.
        self._queue_change(
            pipe,
            WatchlistChange(op=ChangeOp.LIST_ENABLED, list_id=info.list_id, version=info.version, changed_at=moment),
        )
        for entry_id in sorted(raw_entries):
            entry = WatchlistEntry.model_validate_json(raw_entries[entry_id])
            self._queue_entry_event(pipe, entry, info.version, moment)

    def _queue_list_disabled(
        self, pipe: WriterPipeline, info: WatchlistInfo, raw_entries: dict[bytes, bytes], moment: datetime
    ) -> None:
        self._queue_change(
            pipe,
            WatchlistChange(
                op=ChangeOp.LIST_DISABLED,
                list_id=info.list_id,
                version=info.version,
                changed_at=moment,
                entry_ids=sorted(key.decode() for key in raw_entries),
            ),
        )

    # --- expiry and the feed's length -----------------------------------------------------------

    def sweep_expired(self, *, actor: str = "system:expiry", now: datetime | None = None) -> list[str]:
        """Announce on the feed the entries whose expiry has passed; returns their ids.

        Expiry is not an edit, so list versions do not change; each entry is announced once.
        """
        moment = now or utc_now()

        def sweep(pipe: WriterPipeline) -> list[str]:
            due_raw = cast("list[bytes]", pipe.zrangebyscore(self._keys.expiry, "-inf", moment.timestamp()))
            due = [member.decode() for member in due_raw]
            if not due:
                pipe.multi()
                return []
            owners = cast("list[bytes | None]", pipe.hmget(self._keys.entry_list, due))
            lists_raw = cast("dict[bytes, bytes]", pipe.hgetall(self._keys.lists))
            infos = {key.decode(): WatchlistInfo.model_validate_json(value) for key, value in lists_raw.items()}
            pipe.multi()
            pipe.zrem(self._keys.expiry, *due)
            for entry_id, owner in zip(due, owners, strict=True):
                if owner is not None:
                    self._queue_expired(pipe, infos[owner.decode()], entry_id, moment, actor)
            return due

        # The sweep does not write wl:lists, so it watches the expiry set it consumes as well.
        return self._transaction(sweep, watch=(self._keys.lists, self._keys.expiry))

    def _queue_expired(
        self, pipe: WriterPipeline, info: WatchlistInfo, entry_id: str, moment: datetime, actor: str
    ) -> None:
        if info.enabled:
            self._queue_change(pipe, _removal(info.list_id, entry_id, info.version, moment))
        self._queue_audit(pipe, moment, actor, "expired", info.list_id, entry_id, info.version, None, None)

    def trim_changes(self, keep: int, *, only_if_longer_than: int = 0) -> int:
        """Drop all but the newest `keep` (at least 1) feed events; returns how many were dropped.

        XADD's own MAXLEN would not tell readers what it dropped, so the trim records the id just
        before the first kept event as the stream's max-deleted-entry-id, which read_changes checks.
        """
        if keep < 1:
            raise ValueError("keep at least one event: it carries the feed's position")
        if self._redis.xlen(self._keys.changes) <= max(keep, only_if_longer_than):
            return 0
        return int(self._redis.eval(_TRIM_SCRIPT, 1, self._keys.changes, keep))

    # --- the audit trail ------------------------------------------------------------------------

    def history(
        self,
        entry_id: str | None = None,
        list_id: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]:
        """Audit records, oldest first, matching every filter given (the latest `limit` if given)."""
        records = [
            record
            for record in self._audit_records(entry_id, list_id, actor)
            if (entry_id is None or record.entry_id == entry_id)
            and (list_id is None or record.list_id == list_id)
            and (actor is None or record.actor == actor)
        ]
        records.sort(key=lambda record: record.audit_id)
        return records[-limit:] if limit else records

    def _audit_records(self, entry_id: str | None, list_id: str | None, actor: str | None) -> list[AuditRecord]:
        """The records of the first filter given, through its index (all records without one)."""
        if entry_id is not None:
            index: str | None = self._keys.audit_index("entry", entry_id)
        elif list_id is not None:
            index = self._keys.audit_index("list", list_id)
        elif actor is not None:
            index = self._keys.audit_index("actor", actor)
        else:
            index = None
        if index is not None:
            ids = cast("list[bytes]", self._redis.zrange(index, 0, -1))
            raws = self._redis.hmget(self._keys.audit, ids) if ids else []
        else:
            raws = list(self._redis.hvals(self._keys.audit))
        return [AuditRecord.model_validate_json(raw) for raw in raws if raw is not None]

    # --- maintenance ----------------------------------------------------------------------------

    def delete_everything(self) -> int:
        """Delete every key of this store's prefix (tests and `interdict watchlist reset`)."""
        keys = list(self._redis.scan_iter(match=self._keys.every_key, count=1000))
        return self._redis.delete(*keys) if keys else 0

    # --- transaction plumbing -------------------------------------------------------------------

    def _transaction(self, body: Callable[[WriterPipeline], T], *, watch: tuple[str, ...] | None = None) -> T:
        """Run `body` (see run_transaction) under WATCH of `wl:lists`, which every edit writes."""
        return run_transaction(self._redis, body, watch=watch or (self._keys.lists,))

    def _info_in(self, pipe: WriterPipeline, list_id: str) -> WatchlistInfo:
        raw = pipe.hget(self._keys.lists, list_id)
        if raw is None:
            raise ListNotFound(list_id)
        return WatchlistInfo.model_validate_json(raw)

    def _queue_entry_event(self, pipe: WriterPipeline, entry: WatchlistEntry, version: int, moment: datetime) -> None:
        if entry.expires_at is not None and entry.expires_at <= moment:
            change = _removal(entry.list_id, entry.entry_id, version, moment)
        else:
            change = WatchlistChange(
                op=ChangeOp.UPSERT, list_id=entry.list_id, version=version, changed_at=moment, entry=entry
            )
        self._queue_change(pipe, change)

    def _queue_change(self, pipe: WriterPipeline, change: WatchlistChange) -> None:
        body = change.model_dump_json(exclude={"stream_id"}).encode()
        pipe.xadd(self._keys.changes, {b"change": body})

    def _queue_expiry(self, pipe: WriterPipeline, entry: WatchlistEntry, moment: datetime) -> None:
        if entry.expires_at is not None and entry.expires_at > moment:
            pipe.zadd(self._keys.expiry, {entry.entry_id: entry.expires_at.timestamp()})
        else:
            # No expiry, or one already announced as a removal by _queue_entry_event.
            pipe.zrem(self._keys.expiry, entry.entry_id)

    def _queue_audit(
        self,
        pipe: WriterPipeline,
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
        pipe.hset(self._keys.audit, audit_id, orjson.dumps(record))
        score = at.timestamp()
        pipe.zadd(self._keys.audit_index("list", list_id), {audit_id: score})
        pipe.zadd(self._keys.audit_index("actor", actor), {audit_id: score})
        if entry_id is not None:
            pipe.zadd(self._keys.audit_index("entry", entry_id), {audit_id: score})


def _removal(list_id: str, entry_id: str, version: int, moment: datetime) -> WatchlistChange:
    return WatchlistChange(
        op=ChangeOp.REMOVE, list_id=list_id, version=version, changed_at=moment, entry_ids=[entry_id]
    )


def _imported_info(
    list_id: str,
    old_info: WatchlistInfo | None,
    listing: _Listing,
    entry_count: int,
    is_new_content: bool,
    moment: datetime,
) -> WatchlistInfo:
    """The list's details after an import: a new version only when the entries changed."""
    old_version = old_info.version if old_info else 0
    return WatchlistInfo(
        list_id=list_id,
        title=listing.title or (old_info.title if old_info else ""),
        owner_country=listing.owner_country,
        sharing=listing.sharing or (old_info.sharing if old_info else Sharing()),
        version=old_version + 1 if is_new_content else old_version,
        entry_count=entry_count,
        updated_at=moment if is_new_content or old_info is None else old_info.updated_at,
        enabled=old_info.enabled if old_info else True,
    )
