"""What the pipeline wrote for people to read: the alerts on the desk topics and the dead letters,
read as a desk reads them (committed records only), from marks taken before some traffic.

The demo prints them, the end-to-end tests check them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kafka import TopicPartition

from services.shared import topics
from services.shared.dead_letter import decode_headers
from services.shared.kafka_clients import kafka_consumer
from services.shared.kafka_security import OPERATOR
from services.shared.models import Alert
from services.shared.progress import end_offsets
from services.shared.settings import PARTNER_COUNTRIES, Settings


@dataclass(frozen=True)
class DeadLetter:
    key: str
    reason: str
    message: str


@dataclass
class Outputs:
    alerts: list[Alert] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    #: the latest record timestamp read (when the broker received the newest output)
    newest_ms: int = 0

    def alert_keys(self) -> list[tuple[str, str, str]]:
        """(desk, manifest id, entry id) of every sighting of every match in every alert version.

        A match counted on another manifest's alert (suppression) is there under its own manifest:
        what each desk was told about each manifest, whichever alert told it.
        """
        return [
            (alert.desk_country, sighting.manifest_id, match.subject_id)
            for alert in self.alerts
            for match in alert.matches
            for sighting in match.occurrences
        ]

    def latest(self) -> dict[tuple[str, str], Alert]:
        """Each (desk, alert id)'s latest version: what a desk holds once it has read everything."""
        latest: dict[tuple[str, str], Alert] = {}
        for alert in self.alerts:
            key = (alert.desk_country, alert.alert_id)
            if key not in latest or alert.version > latest[key].version:
                latest[key] = alert
        return latest

    def repeated_versions(self) -> list[tuple[str, str, int]]:
        """(desk, alert id, version) read more than once: what a desk must never see."""
        counts = Counter((alert.desk_country, alert.alert_id, alert.version) for alert in self.alerts)
        return [key for key, count in counts.items() if count > 1]


def output_topics(settings: Settings) -> list[str]:
    watched = [topics.desk_topic(settings, desk) for desk in PARTNER_COUNTRIES]
    return [*watched, topics.qualified(settings, topics.MANIFESTS_DLQ)]


def marks(settings: Settings) -> dict[TopicPartition, int]:
    """Where every desk topic and the dead-letter topic end now: read from here for what follows."""
    return {tp: offset for topic in output_topics(settings) for tp, offset in end_offsets(settings, topic).items()}


def read_outputs(settings: Settings, since: dict[TopicPartition, int]) -> Outputs:
    """Every committed alert and dead letter written after `since`, up to the end now."""
    consumer = kafka_consumer(settings, OPERATOR, enable_auto_commit=False, isolation_level="read_committed")
    outputs = Outputs()
    dead_letter_topic = topics.qualified(settings, topics.MANIFESTS_DLQ)
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        end = consumer.end_offsets(list(since))
        while any((consumer.position(tp) or 0) < end[tp] for tp in since):
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    outputs.newest_ms = max(outputs.newest_ms, record.timestamp)
                    if tp.topic == dead_letter_topic:
                        outputs.dead_letters.append(_dead_letter(record.key, record.headers))
                    else:
                        outputs.alerts.append(Alert.model_validate_json(record.value))
    finally:
        consumer.close()
    return outputs


def _dead_letter(key: bytes | None, headers: list[tuple[str, bytes]]) -> DeadLetter:
    decoded = decode_headers(headers)
    return DeadLetter(
        key=(key or b"<no key>").decode("utf-8", "replace"),
        reason=decoded.get("interdict.errors.reason", "?"),
        message=decoded.get("__connect.errors.exception.message", ""),
    )
