"""Faust plumbing shared by the three services: app factory, confirmed sends, retries, worker start.

Delivery is at least once. Each agent handles one event at a time (concurrency 1, because faust
can commit past a message still in flight at higher concurrency) and awaits the broker's
acknowledgement of everything it produces before the event is acked, so a worker killed at any
point leaves its input uncommitted and a restart redoes the work. Deterministic ids make the
redone work produce the same matches and alerts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import faust
import redis.exceptions

from services.shared.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Errors worth waiting out rather than dead-lettering: the broker or Redis is away for a while.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    OSError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
)


def create_app(service: str, settings: Settings, web_port: int) -> faust.App:
    datadir = settings.state_dir / "faust" / service
    datadir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        f"{settings.app_id_prefix}-{service}",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        # Topics are created by `interdict stack up` (or deploy/), never by a worker, so that
        # partition counts are decided once and a typo cannot silently create a new topic.
        topic_allow_declare=False,
        topic_disable_leader=True,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_commit_interval=1.0,
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.kafka_session_timeout_seconds / 3),
        web_port=web_port,
        web_host=settings.web_host,
        datadir=str(datadir),
    )


def raw_topic(app: faust.App, name: str) -> faust.TopicT:
    """A topic whose keys and values stay bytes: services parse them with pydantic themselves."""
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


async def send_confirmed(
    topic: faust.TopicT,
    key: bytes | None,
    value: bytes,
    headers: Mapping[str, bytes] | None = None,
) -> None:
    """Send and wait until the broker has the record, so the input is not acked before its output."""
    pending = await topic.send(key=key, value=value, headers=dict(headers) if headers else None)
    await pending


async def retry_transient(
    operation: Callable[[], Awaitable[T]],
    what: str,
    on_retry: Callable[[BaseException], None] | None = None,
    first_delay: float = 0.2,
    max_delay: float = 10.0,
) -> T:
    """Run `operation` until it succeeds, backing off while Redis or Kafka is unreachable.

    Giving up would mean skipping a manifest, which is worse than stalling the partition: the
    consumer lag metric shows the stall to operators.
    """
    delay = first_delay
    while True:
        try:
            return await operation()
        except TRANSIENT_ERRORS as error:
            log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(error).__name__, error, delay)
            if on_retry is not None:
                on_retry(error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)


def run_worker(app: faust.App, loglevel: str = "INFO") -> None:
    """Start a faust worker in this process until it is told to stop (SIGINT or SIGTERM)."""
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False)
    worker.execute_from_commandline()
