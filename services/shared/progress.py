"""How far the pipeline has got: the basis of "every service has caught up" in the demo, the
benchmark and the tests, read from the broker (end offsets and each group's committed offsets)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from kafka import TopicPartition
from kafka.errors import KafkaError

from services.shared import lag, topics
from services.shared.kafka_clients import kafka_consumer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.lag import LagReader
from services.shared.settings import Settings


def end_offsets(settings: Settings, topic: str) -> dict[TopicPartition, int]:
    """The last stable offset of each partition: what a read-committed consumer can reach.

    Raises UnknownTopicOrPartitionError (retriable) when no broker knows the topic: an empty answer
    would read as "nothing there", and marks taken from it leave the topic out of what follows.
    """
    consumer = kafka_consumer(settings, OPERATOR, enable_auto_commit=False, isolation_level="read_committed")
    try:
        return consumer.end_offsets(required_partitions(consumer, topic))
    finally:
        consumer.close()


def group_lag(settings: Settings, group_id: str, topic: str) -> int | None:
    """Records of `topic` that `group_id` has not committed yet (all of them if it never committed).

    None while the broker cannot tell yet (its group coordinator is still starting up).
    """
    try:
        with LagReader(settings) as reader:
            return lag.total(reader.measure([group_id], [topic]))
    except KafkaError as error:
        if error.retriable:
            return None
        raise


def wait_until_caught_up(
    settings: Settings,
    timeout_s: float = 120.0,
    poll_s: float = 0.2,
    services: Sequence[str] = tuple(topics.SERVICE_INPUTS),
) -> None:
    """Return once every service (or those named, when only they run) has committed everything on
    its input, in pipeline order (a stage is only done once the stage before it is: its input is
    then complete)."""
    deadline = time.monotonic() + timeout_s
    for service, base in topics.SERVICE_INPUTS.items():
        if service not in services:
            continue
        group, topic = topics.group_id(settings, service), topics.qualified(settings, base)
        while (lag := group_lag(settings, group, topic)) != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{group} still has {lag} records of {topic} to process after {timeout_s:.0f}s")
            time.sleep(poll_s)
