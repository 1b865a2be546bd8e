"""Every Kafka client of the project is made here (kafka-python: the command-line tools, the
operator's readings, the tests; aiokafka: the stages), so that each one connects as a principal,
with the security settings of services/shared/kafka_security.py.

The services themselves run on faust and aiokafka; the kafka-python clients are for short-lived
commands and tests.
"""

from __future__ import annotations

import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import UnknownTopicOrPartitionError

from services.shared.kafka_security import aiokafka_options, kafka_python_options
from services.shared.settings import Settings

#: How long a reader asks again for a topic's partitions before it takes the topic as missing.
TOPIC_METADATA_WAIT_S = 10.0

#: What a record batch adds around one record at most (batch header, record framing, key and
#: headers), so that every record a producer accepts under INTERDICT_MAX_MESSAGE_BYTES also fits
#: the topic, whatever the broker's own default.
RECORD_BATCH_OVERHEAD_BYTES = 64 * 1024


def kafka_producer(settings: Settings, principal: str, **options: Any) -> KafkaProducer:
    return KafkaProducer(**kafka_python_options(settings, principal), **options)


def kafka_consumer(settings: Settings, principal: str, *topics: str, **options: Any) -> KafkaConsumer:
    return KafkaConsumer(*topics, **kafka_python_options(settings, principal), **options)


def kafka_admin(settings: Settings, principal: str, **options: Any) -> KafkaAdminClient:
    return KafkaAdminClient(**kafka_python_options(settings, principal), **options)


def aio_producer(settings: Settings, principal: str, **options: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**aiokafka_options(settings, principal), **options)


def aio_consumer(settings: Settings, principal: str, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **aiokafka_options(settings, principal), **options)


def make_producer(settings: Settings, principal: str) -> KafkaProducer:
    # acks=all and idempotence-free retries: a feed's message is either on the broker or the
    # command fails loudly; duplicates are harmless downstream thanks to deterministic ids.
    return kafka_producer(
        settings,
        principal,
        acks="all",
        retries=5,
        linger_ms=5,
        client_id="interdict-cli",
        # a record at the ingest limit, with its key and headers, must not be refused here first
        max_request_size=settings.max_message_bytes + RECORD_BATCH_OVERHEAD_BYTES,
    )


def make_consumer(
    settings: Settings,
    principal: str,
    topics: list[str],
    group_id: str | None = None,
    from_beginning: bool = True,
    idle_timeout_ms: int | None = None,
) -> KafkaConsumer:
    return kafka_consumer(
        settings,
        principal,
        *topics,
        group_id=group_id,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=group_id is not None,
        client_id="interdict-cli",
        # desk topics are written in transactions: an aborted alert must never be shown
        isolation_level="read_committed",
        # kafka-python's own default: wait for records forever
        consumer_timeout_ms=idle_timeout_ms if idle_timeout_ms is not None else float("inf"),
    )


def topic_partitions(
    consumer: KafkaConsumer, topic: str, wait_s: float = TOPIC_METADATA_WAIT_S
) -> list[TopicPartition]:
    """Every partition of `topic`, in order; [] if the brokers still do not know it after `wait_s`.

    kafka-python answers "no partitions" alike for a topic that does not exist and for one the
    broker it asked has not heard of yet: in a cluster, a topic just created reaches each broker's
    metadata a moment apart. Taking the first empty answer as final once made a reader skip a
    whole desk topic, whose alerts then looked lost; asking again tells the two apart.
    """
    deadline = time.monotonic() + wait_s
    while True:
        numbers = consumer.partitions_for_topic(topic)  # each miss asks the cluster afresh
        if numbers:
            return [TopicPartition(topic, number) for number in sorted(numbers)]
        if time.monotonic() >= deadline:
            return []
        time.sleep(0.2)  # the next metadata request, not a busy loop


def required_partitions(
    consumer: KafkaConsumer, topic: str, wait_s: float = TOPIC_METADATA_WAIT_S
) -> list[TopicPartition]:
    """Every partition of a topic that must exist; UnknownTopicOrPartitionError (retriable) when no
    broker knows it, for a reader that would otherwise take the topic as empty."""
    partitions = topic_partitions(consumer, topic, wait_s)
    if not partitions:
        raise UnknownTopicOrPartitionError(f"no broker knows the partitions of {topic}")
    return partitions
