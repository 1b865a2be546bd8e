"""Versions of each manifest, in Redis: the same content is processed once, new content is a new version.

A manifest is known by its feed and id. Each content digest sent for it is either the latest one
again (a duplicate: the feed resent it, or a dead letter was replayed), or a new version (1, 2, 3...)
whose summary is kept so the next version can say what changed.

Each verdict is stored under the input record that earned it (topic, partition, offset). Ingest
decides a batch's verdicts before its outputs are committed; when a worker dies in between, the
batch is redone and must be given the *same* verdicts: otherwise the redone record would find its
own digest stored and call itself a duplicate, and the manifest would be lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

#: How long a manifest's versions are remembered: far longer than any feed resends a manifest.
HISTORY_TTL_SECONDS = 400 * 24 * 3600
#: Verdicts kept per manifest for redone batches (a batch holds far fewer versions of one manifest).
POSITIONS_KEPT = 64
#: Manifests per script run: a batch is a round trip or two, and Redis is never held for long.
SCRIPT_CHUNK = 500

# One call for a whole batch (a round trip and a script run, not one per manifest).
# KEYS: each manifest's hash. ARGV: ttl, positions kept, then per key: position, digest, summary.
# Returns per key {version, duplicate (0|1), summary of the version before (or false)}.
_RECORD_VERSIONS = """
local ttl, kept = tonumber(ARGV[1]), tonumber(ARGV[2])
local replies = {}
for index, key in ipairs(KEYS) do
  local base = 3 * index
  local position, digest, summary = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  local verdict = redis.call('HGET', key, 'at:' .. position)
  if not verdict then
    local version = tonumber(redis.call('HGET', key, 'version') or '0')
    if redis.call('HGET', key, 'digest') == digest then
      verdict = version .. ':1'
    else
      version = version + 1
      redis.call('HSET', key, 'version', version, 'digest', digest, 'summary:' .. version, summary)
      redis.call('HDEL', key, 'summary:' .. (version - 8))
      verdict = version .. ':0'
    end
    redis.call('HSET', key, 'at:' .. position, verdict)
    local order = redis.call('HINCRBY', key, 'positions', 1)
    redis.call('HSET', key, 'position:' .. order, position)
    local old = order - kept
    if old > 0 then
      local stale = redis.call('HGET', key, 'position:' .. old)
      if stale then redis.call('HDEL', key, 'at:' .. stale, 'position:' .. old) end
    end
    redis.call('EXPIRE', key, ttl)
  end
  local sep = string.find(verdict, ':')
  local version = tonumber(string.sub(verdict, 1, sep - 1))
  local before = redis.call('HGET', key, 'summary:' .. (version - 1))
  replies[index] = {version, tonumber(string.sub(verdict, sep + 1)), before or false}
end
return replies
"""


@dataclass(frozen=True)
class VersionRequest:
    feed: str
    manifest_id: str
    digest: str
    summary: dict[str, Any]
    position: str


@dataclass(frozen=True)
class Verdict:
    version: int
    duplicate: bool
    previous_summary: dict[str, Any] | None


class ManifestHistory(Protocol):
    async def record(self, requests: Sequence[VersionRequest]) -> list[Verdict]:
        """One verdict per request, in order (one round trip for a batch)."""
        ...


class ScriptClient(Protocol):
    """The part of redis.asyncio.Redis the history uses."""

    def pipeline(self, transaction: bool = True) -> Any: ...

    def register_script(self, script: str) -> Any: ...


def history_key(prefix: str, feed: str, manifest_id: str) -> str:
    return f"{prefix}:manifest:{feed}:{manifest_id}"


class RedisManifestHistory:
    def __init__(self, client: ScriptClient, key_prefix: str) -> None:
        self._client = client
        self._prefix = key_prefix
        self._script = client.register_script(_RECORD_VERSIONS)

    async def record(self, requests: Sequence[VersionRequest]) -> list[Verdict]:
        verdicts: list[Verdict] = []
        for start in range(0, len(requests), SCRIPT_CHUNK):
            chunk = requests[start : start + SCRIPT_CHUNK]
            keys = [history_key(self._prefix, request.feed, request.manifest_id) for request in chunk]
            arguments: list[str | bytes | int] = [HISTORY_TTL_SECONDS, POSITIONS_KEPT]
            for request in chunk:
                arguments += [request.position, request.digest, orjson.dumps(request.summary)]
            replies = await self._script(keys=keys, args=arguments)
            verdicts += [_verdict(reply) for reply in replies]
        return verdicts


def _verdict(reply: list[Any]) -> Verdict:
    version, duplicate, before = reply
    return Verdict(int(version), bool(int(duplicate)), orjson.loads(before) if before else None)
