"""Plain Kafka clients (kafka-python) for the command-line tools: feeds publishing, desks reading.

The services themselves run on faust; these are for short-lived commands and tests.
"""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer

from services.shared.kafka_admin import RECORD_BATCH_OVERHEAD_BYTES
from services.shared.settings import Settings


def make_producer(settings: Settings) -> KafkaProducer:
    # acks=all and idempotence-free retries: a feed's message is either on the broker or the
    # command fails loudly; duplicates are harmless downstream thanks to deterministic ids.
    return KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        retries=5,
        linger_ms=5,
        client_id="interdict-cli",
        # a record at the ingest limit, with its key and headers, must not be refused here first
        max_request_size=settings.max_message_bytes + RECORD_BATCH_OVERHEAD_BYTES,
    )


def make_consumer(
    settings: Settings,
    topics: list[str],
    group_id: str | None = None,
    from_beginning: bool = True,
    idle_timeout_ms: int | None = None,
) -> KafkaConsumer:
    return KafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=group_id is not None,
        client_id="interdict-cli",
        # desk topics are written in transactions: an aborted alert must never be shown
        isolation_level="read_committed",
        # kafka-python's own default: wait for records forever
        consumer_timeout_ms=idle_timeout_ms if idle_timeout_ms is not None else float("inf"),
    )
