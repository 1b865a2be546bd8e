"""The notifier's book of each desk's alerts, in Redis: what the desk was last sent, and by which input.

    {p}:alert:{desk}:{alert_id}               BookEntry: the alert's latest version, the input
                                              record that produced it, the match ids it counted
    {p}:sighting:{desk}:{subject}:{voyage}    Sighting: the alert that holds this voyage's or bill
                                              of lading's hits on an entry (suppression.py)

Recording the producing record is what lets the notifier tell the two reasons it meets a match
it has already counted:

- a *copy* (the matcher redid work after a restart, a re-screen found it again, a feed sent the
  manifest twice): another record; the desk already has it: nothing is sent;
- a *redelivery* of the very record that produced the alert's latest version: the notifier died
  after writing the book and before its transaction committed, so the desk never saw that
  version: it is sent again, the same version with the same content.

The book is written before the batch's alerts are sent, and the desk topics are written in
transactions that commit with the input offsets, so neither a crash between the two nor one
between sending and committing makes a desk miss an update or see one twice.

An alert can be updated from two input partitions at once (a sighting on another manifest of the
same voyage, handled by another worker): every write is a compare-and-set against what was read,
in one Lua script for the whole batch, and a batch that lost the race is assembled again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.notifier.suppression import Sighting
from services.shared.models import Alert

log = logging.getLogger(__name__)

#: How long a desk's alerts are remembered, to update them rather than raise them again.
ALERT_TTL_SECONDS = 90 * 24 * 3600
#: Match ids remembered per match of an alert (the latest), to count each sighting once.
MAX_COUNTED = 1000

AlertKey = tuple[str, str]  # (desk, alert_id)
SightingKey = tuple[str, str, str]  # (desk, subject_id, voyage key)

#: KEYS: every key written. ARGV, three per key: the value read ('' if there was none), the new
#: value, its time to live in seconds. All or nothing: 1 when written, 0 when any key had changed.
COMPARE_AND_SET = """
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  local expected = ARGV[3 * i - 2]
  if (expected == '' and current) or (expected ~= '' and current ~= expected) then
    return 0
  end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[3 * i - 1], 'EX', ARGV[3 * i])
end
return 1
"""


class BookEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alert: Alert
    produced_by: str = Field(description="the input record (topic:partition:offset) of this version")
    counted: dict[str, list[str]] = Field(description="per subject, the match ids counted as sightings")


T = TypeVar("T", BookEntry, Sighting)


@dataclass(frozen=True)
class Stored(Generic[T]):
    """A value as read, with its bytes: a write expects to find exactly these bytes still there.

    `value` is None when the bytes cannot be read (an older notifier wrote another shape): the
    key is then as good as empty, and is overwritten.
    """

    raw: bytes
    value: T | None


@dataclass(frozen=True)
class Write:
    key: str
    expected: bytes | None
    value: bytes
    ttl_seconds: int


class BookClient(Protocol):
    """The part of redis.asyncio.Redis the book uses (tests.fakes.FakeRedis in unit tests)."""

    def mget(self, keys: Sequence[str]) -> Awaitable[list[bytes | str | None]]: ...

    def eval(self, script: str, numkeys: int, *keys_and_args: str | bytes | int) -> Awaitable[object]: ...


def book_patterns(key_prefix: str) -> list[str]:
    """Every key of the book under a prefix (for tools that inspect or reset a namespace)."""
    return [f"{key_prefix}:alert:*", f"{key_prefix}:sighting:*"]


class AlertBook:
    def __init__(self, client: BookClient, key_prefix: str) -> None:
        self._client = client
        self._prefix = key_prefix

    def alert_key(self, key: AlertKey) -> str:
        desk, alert_id = key
        return f"{self._prefix}:alert:{desk}:{alert_id}"

    def sighting_key(self, key: SightingKey) -> str:
        desk, subject, voyage = key
        return f"{self._prefix}:sighting:{desk}:{subject}:{voyage}"

    async def alerts(self, keys: Sequence[AlertKey]) -> dict[AlertKey, Stored[BookEntry] | None]:
        raws = await self._get([self.alert_key(key) for key in keys])
        return {key: _parsed(raw, BookEntry) for key, raw in zip(keys, raws, strict=True)}

    async def sightings(self, keys: Sequence[SightingKey]) -> dict[SightingKey, Stored[Sighting] | None]:
        raws = await self._get([self.sighting_key(key) for key in keys])
        return {key: _parsed(raw, Sighting) for key, raw in zip(keys, raws, strict=True)}

    async def _get(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        values = await self._client.mget(keys)
        return [value.encode() if isinstance(value, str) else value for value in values]

    async def commit(self, writes: Sequence[Write]) -> bool:
        """Write all, provided no key changed since it was read; False (nothing written) otherwise."""
        if not writes:
            return True
        args: list[str | bytes | int] = []
        for write in writes:
            args += [write.expected or b"", write.value, write.ttl_seconds]
        keys = [write.key for write in writes]
        return bool(await self._client.eval(COMPARE_AND_SET, len(keys), *keys, *args))


def _parsed(raw: bytes | None, model: type[T]) -> Stored[T] | None:
    if raw is None:
        return None
    try:
        return Stored(raw, model.model_validate_json(raw))
    except ValidationError as error:
        # Written by an older notifier in another shape: start the alert afresh, overwriting it.
        log.warning("unreadable %s in the alert book, replaced: %s", model.__name__, error)
        return Stored(raw, None)
