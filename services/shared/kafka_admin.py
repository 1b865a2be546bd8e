"""Kafka administration the system needs: is the broker there, and do our topics exist.

Topics are always created explicitly with the configured partition count: the local broker runs
with auto.create.topics.enable=false so a misspelt topic name fails loudly instead of silently
creating a one-partition topic nobody reads.
"""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from services.shared.kafka_clients import RECORD_BATCH_OVERHEAD_BYTES, kafka_admin
from services.shared.kafka_security import OPERATOR, KafkaCredentialsMissing
from services.shared.settings import Settings
from services.shared.topics import MANIFESTS_VALID, all_topics, is_desk_record, qualified

#: How long one probe may take; wait_for_kafka retries probes until its own deadline.
_PROBE_TIMEOUT_MS = 3000
_CLIENT_ID = "interdict-admin"


class KafkaNotReady(TimeoutError):
    """The broker did not answer within the allowed time."""


def admin_client(settings: Settings, timeout_ms: int = 30000, principal: str = OPERATOR) -> KafkaAdminClient:
    """Topics are the operator's: creating and deleting them is no service's right."""
    return kafka_admin(
        settings,
        principal,
        client_id=_CLIENT_ID,
        bootstrap_timeout_ms=timeout_ms,
        request_timeout_ms=timeout_ms,
    )


def probe_kafka(settings: Settings, timeout_ms: int = _PROBE_TIMEOUT_MS, principal: str = OPERATOR) -> str | None:
    """None when a broker answers cluster metadata with at least one live broker, else why not."""
    try:
        with admin_client(settings, timeout_ms, principal) as admin:
            cluster = admin.describe_cluster()
    except (KafkaError, OSError, KafkaCredentialsMissing) as error:
        # kafka-python's messages already start with the error class name.
        return str(error) or type(error).__name__
    if not cluster.get("brokers"):
        return "the cluster reports no live brokers yet"
    return None


def wait_for_kafka(settings: Settings, timeout_s: float) -> None:
    """Block until the broker at settings.kafka_bootstrap answers, or raise KafkaNotReady."""
    deadline = time.monotonic() + timeout_s
    while True:
        remaining_ms = int((deadline - time.monotonic()) * 1000)
        reason = probe_kafka(settings, max(500, min(_PROBE_TIMEOUT_MS, remaining_ms)))
        if reason is None:
            return
        if time.monotonic() >= deadline:
            raise KafkaNotReady(
                f"Kafka at {settings.kafka_bootstrap} not ready after {timeout_s:.0f}s: {reason}"
            )
        time.sleep(0.5)


def ensure_topics(
    settings: Settings, topics: list[str] | None = None, partitions: int | None = None
) -> list[str]:
    """Create whichever of `topics` (default: every topic of the system) does not exist yet.

    Returns the names created by this call. Existing topics are left exactly as they are, even
    with a different partition count: repartitioning a live topic reorders keys, which is a
    decision for an operator, not a side effect of starting up.
    """
    wanted = list(dict.fromkeys(topics if topics is not None else all_topics(settings)))
    partition_count = partitions if partitions is not None else settings.topic_partitions
    if partition_count < 1:
        raise ValueError(f"partitions must be at least 1, got {partition_count}")
    with admin_client(settings) as admin:
        existing = set(admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        new_topics = [
            NewTopic(
                name,
                num_partitions=partition_count,
                replication_factor=settings.topic_replication,
                topic_configs=topic_configs(settings, name),
            )
            for name in missing
        ]
        response = admin.create_topics(new_topics, raise_errors=False)
        created = _created_names(response)
        # CreateTopics only says the controller accepted them; producers need partition leaders.
        admin.wait_for_topics(created, timeout_ms=30000)
    return created


def topic_configs(settings: Settings, name: str) -> dict[str, str]:
    """Every topic takes what the producers may send (one size limit end to end: README, Limits),
    and acknowledges a write once all its replicas but one have it.

    Validated manifests are kept long enough to re-screen them when a watchlist entry is added; the
    desks' alerts and actions are kept for good.
    """
    configs = {
        "max.message.bytes": str(settings.max_message_bytes + RECORD_BATCH_OVERHEAD_BYTES),
        # A write (acks=all) is acknowledged only once all replicas but one have it: with three,
        # one broker may die without losing an acknowledged record or stopping the producers.
        "min.insync.replicas": str(min_insync_replicas(settings.topic_replication)),
    }
    if name == qualified(settings, MANIFESTS_VALID):
        days = settings.rescreen_days + 7  # a week's margin for a re-screen that starts late
        configs["retention.ms"] = str(days * 24 * 3600 * 1000)
    elif is_desk_record(name.removeprefix(settings.topic_prefix)):
        configs["retention.ms"] = "-1"  # the desks' record: the desk store is rebuilt from it
    return configs


def min_insync_replicas(replication: int) -> int:
    """All replicas but one, at least one: 2 of 3, 1 of 1 (a single broker)."""
    return max(1, replication - 1)


def _created_names(response: dict[str, Any]) -> list[str]:
    created: list[str] = []
    failures: list[str] = []
    for topic in response["topics"]:
        error = for_code(topic["error_code"])
        if topic["error_code"] == 0:
            created.append(topic["name"])
        elif error is TopicAlreadyExistsError:
            continue  # created concurrently by someone else: the goal is met
        else:
            detail = topic.get("error_message") or error.__name__
            failures.append(f"{topic['name']}: {detail}")
    if failures:
        raise KafkaError("could not create topics: " + "; ".join(failures))
    return created


def delete_topics(settings: Settings, topics: list[str]) -> None:
    """Delete the given topics if they exist (tests clean up their prefixed topics with this)."""
    with admin_client(settings) as admin:
        existing = set(admin.list_topics())
        present = [name for name in topics if name in existing]
        if present:
            admin.delete_topics(present)


def partition_counts(settings: Settings, topics: list[str]) -> dict[str, int]:
    """Number of partitions of each existing topic among `topics`."""
    with admin_client(settings) as admin:
        described = admin.describe_topics(topics)
    return {t["name"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
