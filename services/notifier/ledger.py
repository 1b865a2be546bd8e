"""Which alerts each desk already received: the notifier's delivery ledger in Redis.

Each entry says which input record delivered the alert (its topic, partition and offset). That is
what lets the notifier tell the two reasons it can meet an alert again:

- a *copy* of the match (the matcher redid work after a restart, a re-screen found it again, a
  feed sent the manifest twice): another record, so the desk already has it: skip;
- a *redelivery* of the very same record: the notifier died after claiming it and before its
  transaction committed, so the desk never saw it: send it.

The notifier claims a batch's alerts before it sends them, in one pipelined round trip, and the
desk topics are written in transactions that commit with the input offsets, so neither a crash
between claim and send nor one between send and commit can make a desk miss an alert or see it
twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol

#: How long a desk's delivered alert ids are remembered, to send each alert to a desk only once
#: even when a match is redelivered or found again by re-screening.
DELIVERED_TTL_SECONDS = 90 * 24 * 3600

Delivery = tuple[str, str]  # (desk, alert_id)


class LedgerClient(Protocol):
    """The part of redis.asyncio.Redis the ledger uses (a fake in unit tests)."""

    def mget(self, keys: Sequence[str]) -> Awaitable[list[bytes | str | None]]: ...

    def pipeline(self, transaction: bool = True) -> LedgerPipeline: ...


class LedgerPipeline(Protocol):
    def set(self, name: str, value: bytes, ex: int | None = None) -> object: ...

    async def execute(self) -> list[object]: ...


def delivered_key(prefix: str, desk: str, alert_id: str) -> str:
    return f"{prefix}:delivered:{desk}:{alert_id}"


def delivered_pattern(prefix: str) -> str:
    """Every ledger key under a prefix (for tools that inspect or reset a test namespace)."""
    return f"{prefix}:delivered:*"


class DeliveryLedger:
    def __init__(self, client: LedgerClient, key_prefix: str) -> None:
        self._client = client
        self._prefix = key_prefix

    async def claims(self, deliveries: Sequence[Delivery]) -> list[str | None]:
        """For each delivery, the position of the record that claimed it, or None."""
        if not deliveries:
            return []
        keys = [delivered_key(self._prefix, desk, alert_id) for desk, alert_id in deliveries]
        values = await self._client.mget(keys)
        # Entries written before positions were recorded hold b"1": delivered, from elsewhere.
        return [value.decode() if isinstance(value, bytes) else value for value in values]

    async def claim(self, deliveries: Sequence[Delivery], position: Sequence[str]) -> None:
        """Record that these deliveries come from these records (one round trip)."""
        if not deliveries:
            return
        pipeline = self._client.pipeline(transaction=False)
        for (desk, alert_id), where in zip(deliveries, position, strict=True):
            pipeline.set(delivered_key(self._prefix, desk, alert_id), where.encode(), ex=DELIVERED_TTL_SECONDS)
        await pipeline.execute()
