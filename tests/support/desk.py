"""The desk topics in tests: alerts put on them as the notifier would, actions read back from them."""

from __future__ import annotations

from services.shared import topics
from services.shared.kafka_clients import kafka_consumer, make_producer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.models import Alert
from services.shared.models.desk import DeskAction
from services.shared.settings import Settings


def publish(settings: Settings, *sent: Alert, key: str | None = None) -> None:
    """Put alerts on their desks' topics, keyed by alert id as the notifier does (or all by `key`)."""
    producer = make_producer(settings, OPERATOR)
    for alert in sent:
        producer.send(
            topics.desk_topic(settings, alert.desk_country),
            key=(key or alert.alert_id).encode(),
            value=alert.model_dump_json().encode(),
        )
    producer.flush(30)
    producer.close()


def actions_on(settings: Settings, country: str) -> list[DeskAction]:
    consumer = kafka_consumer(settings, OPERATOR, enable_auto_commit=False)
    try:
        topic = topics.actions_topic(settings, country)
        partitions = required_partitions(consumer, topic)
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        found: list[DeskAction] = []
        while any((consumer.position(partition) or 0) < ends[partition] for partition in partitions):
            for records in consumer.poll(timeout_ms=500).values():
                found += [DeskAction.model_validate_json(record.value) for record in records]
        return found
    finally:
        consumer.close()
