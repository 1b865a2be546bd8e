"""Reading the watchlists: a consistent snapshot, the change feed after it, and single lists and entries.

What matchers, the re-screener and `interdict screen` use. A WatchlistReader has no method that
writes, so their Redis user can be one that may only read (the keys layout.py names as theirs).
The writer's transactions bump a list's version and append its feed events in one MULTI/EXEC, so
the snapshot, read in one MULTI as well, sees either all of a change or none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, cast

import orjson
import redis

from services.shared.models.watchlist import WatchlistEntry, WatchlistInfo
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings
from services.watchlist.errors import ChangeFeedGap, ListNotFound, WatchlistError, WatchlistNotFound
from services.watchlist.events import StorePosition, WatchlistChange, WatchlistSnapshot
from services.watchlist.layout import WatchlistKeys, utc_now

if TYPE_CHECKING:
    from redis.typing import FieldT, KeyT, StreamIdT, StreamRangeResponse, XReadResponse

T = TypeVar("T")

#: Attempts of a transaction that another writer keeps invalidating.
MAX_ATTEMPTS = 20


# The Redis commands, as redis-py's synchronous client types them, that a reader sends: the
# protocols below are what a fake must offer to stand in for Redis in a unit test.
class ReadCommands(Protocol):
    def hget(self, name: KeyT, key: FieldT) -> bytes | str | None: ...

    def hgetall(self, name: KeyT) -> dict[bytes | str, bytes | str]: ...

    def hkeys(self, name: KeyT) -> list[bytes | str]: ...

    def xrevrange(
        self, name: KeyT, max: StreamIdT = "+", min: StreamIdT = "-", count: int | None = None
    ) -> StreamRangeResponse | None: ...


class ReaderPipeline(ReadCommands, Protocol):
    """A transaction: after WATCH the commands answer at once, after MULTI they wait for EXEC."""

    def watch(self, *names: KeyT) -> object: ...

    def multi(self) -> None: ...

    def execute(self, raise_on_error: bool = True) -> list[Any]: ...

    def reset(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc_value: BaseException | None, traceback: TracebackType | None
    ) -> object: ...


class ReaderClient(ReadCommands, Protocol):
    def pipeline(self, transaction: bool = True) -> ReaderPipeline: ...

    def xread(
        self, streams: dict[KeyT, StreamIdT], count: int | None = None, block: int | None = None
    ) -> XReadResponse: ...

    def xinfo_stream(self, name: KeyT, full: bool = False) -> dict[str, Any]: ...


PipelineT = TypeVar("PipelineT", bound=ReaderPipeline)
PipelineT_co = TypeVar("PipelineT_co", bound=ReaderPipeline, covariant=True)


class OpensPipelines(Protocol[PipelineT_co]):
    def pipeline(self, transaction: bool = True) -> PipelineT_co: ...


def run_transaction(
    client: OpensPipelines[PipelineT],
    body: Callable[[PipelineT], T],
    *,
    watch: tuple[str, ...],
    executes: bool = False,
) -> T:
    """Run `body` under WATCH of `watch` until no writer interferes.

    `body` reads in immediate mode, calls pipe.multi(), queues its writes and returns the
    result; with executes=True it calls pipe.execute() itself (to use the replies).
    """
    with client.pipeline(transaction=True) as pipe:
        for _attempt in range(MAX_ATTEMPTS):
            try:
                pipe.watch(*watch)
                result = body(pipe)
                if not executes:
                    pipe.execute()
                return result
            except redis.WatchError:
                continue
            finally:
                pipe.reset()
    raise WatchlistError(f"gave up after {MAX_ATTEMPTS} attempts: the watchlists keep changing under this write")


# redis-py types every reply as `bytes | str` (it cannot know whether the client decodes). The
# clients here never decode (decode_responses=False), so replies are bytes; the casts below only
# tell mypy so. A stream reply is [(id, {field: value}), ...].
_StreamEvents = list[tuple[bytes, dict[bytes, bytes]]]


def _stream_id(value: str | bytes) -> tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else value
    millis, _, sequence = text.partition("-")
    return int(millis), int(sequence or 0)


def _feed_cursor(last_event: list[tuple[bytes, Any]]) -> str:
    """The id of the feed's last event (XREVRANGE ... COUNT 1), or the id before any event."""
    return last_event[0][0].decode() if last_event else "0-0"


class WatchlistReader:
    """The watchlists of one key prefix, read through an injected Redis client."""

    REDIS_USER = RedisUser.CONSOLE

    def __init__(self, client: ReaderClient, key_prefix: str) -> None:
        self._redis = client
        self._keys = WatchlistKeys.under(key_prefix)

    @classmethod
    def from_settings(cls, settings: Settings, user: RedisUser | None = None) -> Self:
        """A reader (or writer) on its own connection to the configured Redis, as `user`
        (default: a console's read-only login for a reader, the administrators' for a writer)."""
        return cls(sync_client(settings, user or cls.REDIS_USER), settings.redis_key_prefix)

    # --- lists and entries ----------------------------------------------------------------------

    def lists(self) -> list[WatchlistInfo]:
        raw = self._redis.hgetall(self._keys.lists)
        return sorted(
            (WatchlistInfo.model_validate_json(value) for value in raw.values()), key=lambda info: info.list_id
        )

    def info(self, list_id: str) -> WatchlistInfo:
        raw = self._redis.hget(self._keys.lists, list_id)
        if raw is None:
            raise ListNotFound(list_id)
        return WatchlistInfo.model_validate_json(raw)

    def get(self, entry_id: str) -> WatchlistEntry:
        list_id = cast("bytes | None", self._redis.hget(self._keys.entry_list, entry_id))
        raw = self._redis.hget(self._keys.entries(list_id.decode()), entry_id) if list_id else None
        if raw is None:
            raise WatchlistNotFound(f"no watchlist entry {entry_id!r}")
        return WatchlistEntry.model_validate_json(raw)

    def entries(self, list_id: str) -> list[WatchlistEntry]:
        """Every entry of one list (enabled or not, expired or not), in entry id order."""
        raw = self._redis.hgetall(self._keys.entries(list_id))
        return [WatchlistEntry.model_validate_json(raw[key]) for key in sorted(raw)]

    # --- snapshot and change feed ---------------------------------------------------------------

    def snapshot(self) -> WatchlistSnapshot:
        """The live entries of enabled lists, read in one transaction with the feed's position."""

        def read(pipe: ReaderPipeline) -> WatchlistSnapshot:
            list_ids = sorted(key.decode() for key in cast("list[bytes]", pipe.hkeys(self._keys.lists)))
            pipe.multi()
            pipe.hgetall(self._keys.lists)
            pipe.xrevrange(self._keys.changes, count=1)
            for list_id in list_ids:
                pipe.hgetall(self._keys.entries(list_id))
            infos_raw, last, *entry_hashes = pipe.execute()
            infos = {key.decode(): WatchlistInfo.model_validate_json(value) for key, value in infos_raw.items()}
            moment = utc_now()
            entries = [
                entry
                for list_id, raw in zip(list_ids, entry_hashes, strict=True)
                if infos[list_id].enabled
                for entry in (WatchlistEntry.model_validate_json(raw[key]) for key in sorted(raw))
                if entry.expires_at is None or entry.expires_at > moment
            ]
            versions = {list_id: info.version for list_id, info in infos.items()}
            return WatchlistSnapshot(entries=entries, versions=versions, cursor=_feed_cursor(last))

        return run_transaction(self._redis, read, watch=(self._keys.lists,), executes=True)

    def position(self) -> StorePosition:
        """Every list's version and the feed's last event id: what snapshot() would be taken at.

        The same two reads snapshot() starts its transaction with, so the two are comparable, in
        one round trip and without parsing the lists' details (a cache checks this on every call).
        """
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._keys.lists)
            pipe.xrevrange(self._keys.changes, count=1)
            infos_raw, last = pipe.execute()
        versions = {key.decode(): int(orjson.loads(value)["version"]) for key, value in infos_raw.items()}
        return StorePosition(versions=versions, cursor=_feed_cursor(last))

    def read_changes(self, cursor: str, block_ms: int, count: int) -> tuple[list[WatchlistChange], str]:
        """Events after `cursor` (at most `count`), waiting up to `block_ms` (0: do not wait) for one.

        Returns the events and the cursor to pass next time. Raises ChangeFeedGap when events
        after `cursor` were trimmed away: the caller must take a new snapshot.
        """
        self._check_not_trimmed(cursor)
        block = block_ms if block_ms > 0 else None
        answer = cast(
            "list[tuple[bytes, _StreamEvents]] | None",
            self._redis.xread({self._keys.changes: cursor}, count=count, block=block),
        )
        changes: list[WatchlistChange] = []
        for _stream, events in answer or []:
            for event_id, fields in events:
                change = WatchlistChange.model_validate_json(fields[b"change"])
                changes.append(change.model_copy(update={"stream_id": event_id.decode()}))
        return changes, (changes[-1].stream_id if changes else cursor)

    def _check_not_trimmed(self, cursor: str) -> None:
        try:
            stream_info = self._redis.xinfo_stream(self._keys.changes)
        except redis.ResponseError:
            return  # no feed yet: nothing can have been trimmed
        deleted = stream_info.get("max-deleted-entry-id") or b"0-0"
        if _stream_id(deleted) > _stream_id(cursor):
            raise ChangeFeedGap(f"change feed trimmed past cursor {cursor}; take a new snapshot")
