"""Refused admin requests: appended to a Redis stream for review and counted for Prometheus.

    {p}:admin:denied   stream  one event per 401/403: at, token (name or ""), method, path, reason, client
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import redis
from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.admin.metrics import DENIED
from services.shared.settings import Settings

#: Events kept; the stream is trimmed (approximately) beyond this, oldest first.
DENIED_MAXLEN = 100_000


class DeniedAttempt(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    token: str = ""
    method: str
    path: str
    reason: str
    status: int
    client: str = ""


class DeniedLog:
    def __init__(self, redis_client: redis.Redis, settings: Settings) -> None:
        self._redis = redis_client
        self._key = f"{settings.redis_key_prefix}:admin:denied"

    def record(self, attempt: DeniedAttempt) -> None:
        DENIED.labels(attempt.reason).inc()
        self._redis.xadd(self._key, {"attempt": attempt.model_dump_json()}, maxlen=DENIED_MAXLEN, approximate=True)

    def recent(self, count: int = 100) -> list[DeniedAttempt]:
        """The latest `count` attempts, oldest first."""
        # redis-py types replies as `bytes | str` and this one as optional; a client that does not
        # decode (the admin app's) gets a list of (id, {field: value}) in bytes.
        events = cast("list[tuple[bytes, dict[bytes, bytes]]]", self._redis.xrevrange(self._key, count=count))
        return [DeniedAttempt.model_validate_json(fields[b"attempt"]) for _id, fields in reversed(events)]

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)
