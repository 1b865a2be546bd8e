"""How far a consumer group has got: the basis of "the pipeline has caught up" in the demo and tests."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from services.shared.settings import Settings


def end_offsets(settings: Settings, topic: str) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        return consumer.end_offsets([TopicPartition(topic, partition) for partition in partitions])
    finally:
        consumer.close()


def group_lag(settings: Settings, group_id: str, topic: str) -> int | None:
    """Records of `topic` that `group_id` has not committed yet (all of them if it never committed).

    None while the broker cannot tell yet (its group coordinator is still starting up).
    """
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        committed = admin.list_group_offsets({group_id: None}).get(group_id, {})
    except KafkaError as error:
        if error.retriable:
            return None
        raise
    finally:
        admin.close()
    lag = 0
    for partition, end in end_offsets(settings, topic).items():
        position = committed.get(partition)
        lag += end - (position.offset if position is not None and position.offset >= 0 else 0)
    return lag
