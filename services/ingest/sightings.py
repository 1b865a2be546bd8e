"""What each vessel said it was, last time: to catch an identity that disagrees with itself.

Per IMO number the last identity seen (MMSI, name, from which feed, when), and per MMSI the last
IMO; from AIS broadcasts and from manifests alike. A new sighting is compared with the one before
and then replaces it.

As with manifest versions (history.py), a redone batch must compare against the same sighting as
the first attempt did, not against its own: so each key keeps the sighting before the latest and
the input record that wrote the latest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from services.ingest.history import SCRIPT_CHUNK, ScriptClient

SIGHTING_TTL_SECONDS = 400 * 24 * 3600

# One call for a batch. KEYS: every sighting's keys (by IMO, by MMSI), in order. ARGV: ttl, then
# per sighting: its number of keys, its position, itself. Returns, per key, the sighting to
# compare with (or false).
_SIGHT = """
local ttl = tonumber(ARGV[1])
local known, key_index, arg = {}, 1, 2
while arg <= #ARGV do
  local count, position, sighting = tonumber(ARGV[arg]), ARGV[arg + 1], ARGV[arg + 2]
  for _ = 1, count do
    local key = KEYS[key_index]
    local latest = redis.call('HMGET', key, 'at', 'latest', 'before')
    if latest[1] == position then
      known[key_index] = latest[3] or false
    else
      known[key_index] = latest[2] or false
      if latest[2] then redis.call('HSET', key, 'before', latest[2]) end
      redis.call('HSET', key, 'at', position, 'latest', sighting)
      redis.call('EXPIRE', key, ttl)
    end
    key_index = key_index + 1
  end
  arg = arg + 3
end
return known
"""


@dataclass(frozen=True)
class Sighting:
    """A vessel's identity as one feed gave it at one moment."""

    name: str | None
    imo: str | None
    mmsi: str | None
    feed: str
    at: datetime

    def as_json(self) -> bytes:
        return orjson.dumps(
            {"name": self.name, "imo": self.imo, "mmsi": self.mmsi, "feed": self.feed, "at": self.at.isoformat()}
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Sighting:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(data["name"], data["imo"], data["mmsi"], data["feed"], datetime.fromisoformat(data["at"]))


@dataclass(frozen=True)
class Previous:
    """The sightings a new one is compared with: the last one of its IMO, and of its MMSI."""

    by_imo: Sighting | None
    by_mmsi: Sighting | None


class SightingLog(Protocol):
    async def sight(self, sightings: Sequence[tuple[Sighting, str]]) -> list[Previous]:
        """Record (sighting, input position) pairs in order; for each, what was known before it."""
        ...


class RedisSightingLog:
    def __init__(self, client: ScriptClient, key_prefix: str) -> None:
        self._prefix = key_prefix
        self._client = client
        self._script = client.register_script(_SIGHT)

    async def sight(self, sightings: Sequence[tuple[Sighting, str]]) -> list[Previous]:
        found: list[Previous] = []
        for start in range(0, len(sightings), SCRIPT_CHUNK):
            chunk = sightings[start : start + SCRIPT_CHUNK]
            keys: list[str] = []
            arguments: list[str | bytes | int] = [SIGHTING_TTL_SECONDS]
            counts: list[int] = []
            for sighting, position in chunk:
                own = self._keys(sighting)
                keys += own
                counts.append(len(own))
                arguments += [len(own), position, sighting.as_json()]
            known = iter(await self._script(keys=keys, args=arguments) if keys else [])
            for (sighting, _), count in zip(chunk, counts, strict=True):
                found.append(_previous(sighting, [next(known) for _ in range(count)]))
        return found

    def _keys(self, sighting: Sighting) -> list[str]:
        keys = [f"{self._prefix}:vessel:imo:{sighting.imo}"] if sighting.imo else []
        return keys + ([f"{self._prefix}:vessel:mmsi:{sighting.mmsi}"] if sighting.mmsi else [])


def _previous(sighting: Sighting, reply: list[Any]) -> Previous:
    known = [Sighting.from_json(value) if value else None for value in reply]
    by_imo = known.pop(0) if sighting.imo else None
    by_mmsi = known.pop(0) if sighting.mmsi else None
    return Previous(by_imo, by_mmsi)
