"""Joint cases in tests: the alerts a case is opened from, and the events on `cases` read back."""

from __future__ import annotations

from services.shared import topics
from services.shared.kafka_clients import kafka_consumer, required_partitions
from services.shared.kafka_security import OPERATOR
from services.shared.models import Alert
from services.shared.models.case import CaseEvent
from services.shared.models.watchlist import Sharing, SharingScope
from services.shared.settings import Settings
from tests.support.alerts import Notifier, a_match, alerts, manifest
from tests.support.desk import publish


def events_on(settings: Settings) -> list[CaseEvent]:
    consumer = kafka_consumer(settings, OPERATOR, enable_auto_commit=False)
    try:
        topic = topics.cases_topic(settings)
        partitions = required_partitions(consumer, topic)
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        found: list[CaseEvent] = []
        while any((consumer.position(partition) or 0) < ends[partition] for partition in partitions):
            for records in consumer.poll(timeout_ms=500).values():
                found += [CaseEvent.model_validate_json(record.value) for record in records]
        return found
    finally:
        consumer.close()


async def route_alerts(settings: Settings) -> dict[str, Alert]:
    """A US entry on a manifest bound Colombia → Panama → Mexico; a second, shared with Mexico only, on
    another manifest of the same route: each desk's alerts, on its topic."""
    notifier = Notifier()
    shared = alerts(await notifier.batch(a_match("test:1", owner="US", on=manifest("M-1"))))
    mexico_only = Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["MX"])
    withheld = alerts(await notifier.batch(a_match("test:2", owner="US", sharing=mexico_only, on=manifest("M-2"))))
    publish(settings, *shared, *withheld)
    found = {alert.desk_country: alert for alert in shared}
    found["MX-withheld"] = next(alert for alert in withheld if alert.desk_country == "MX")
    return found
