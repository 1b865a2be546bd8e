"""The notifier worker on the real broker and Redis: one alert per manifest, updated in versions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import TopicPartition

from services.shared import topics
from services.shared.kafka_clients import make_producer
from services.shared.kafka_security import OPERATOR
from services.shared.models import Alert, EntityKind, EntrySummary, Evidence, ManifestRef, Match
from services.shared.models.alert import alert_id_for, match_id_for
from services.shared.outputs import marks, read_outputs
from services.shared.progress import wait_until_caught_up
from services.shared.settings import Settings
from tests.support.pipeline import wait_for, workers

pytestmark = pytest.mark.integration

REFERENCE = ManifestRef(
    manifest_id="MZO-GROUP-1",
    kind="shipment",
    feed="port-manzanillo-mx",
    reported_at=datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
    bill_of_lading="MEDUBN1",
    route_ports=["COBUN", "MXZLO"],
    route_countries=["CO", "MX"],
    version=1,
)


def hit(entry_id: str, name: str) -> Match:
    return Match(
        match_id=match_id_for(REFERENCE.feed, REFERENCE.manifest_id, entry_id),
        manifest=REFERENCE,
        entry=EntrySummary(
            entry_id=entry_id,
            list_id="us-test",
            list_version=1,
            kind=EntityKind.ORGANIZATION,
            primary_name=name,
            owner_country="US",
        ),
        score=0.93,
        evidence=[
            Evidence(
                where="parties[1] (consignee)",
                method="name:fuzzy",
                query_value=name.title(),
                matched_value=name,
                contribution=0.93,
                explanation="names match",
            )
        ],
        explanation="names match",
    )


def publish_matches(settings: Settings, *matches: Match) -> None:
    producer = make_producer(settings, OPERATOR)
    key = f"{REFERENCE.feed}:{REFERENCE.manifest_id}".encode()
    for match in matches:
        producer.send(topics.qualified(settings, topics.MATCHES), key=key, value=match.model_dump_json().encode())
    producer.flush(30)
    producer.close()


def mexico(settings: Settings, start: dict[TopicPartition, int], at_least: int = 1) -> list[Alert] | None:
    """The alert records on Mexico's desk since `start`, once there are `at_least` of them."""
    found = [alert for alert in read_outputs(settings, start).alerts if alert.desk_country == "MX"]
    return found if len(found) >= at_least else None


def test_two_hits_are_one_alert_and_a_later_hit_is_its_version_2(isolated_settings: Settings, tmp_path: Path) -> None:
    settings = isolated_settings
    start = marks(settings)
    # Both hits are on the topic before the notifier starts: it reads them in one batch.
    publish_matches(settings, hit("us-test:1", "ACME TRADING"), hit("us-test:2", "GLOBEX CORP"))
    with workers(settings, tmp_path / "logs", "notifier"):
        wait_until_caught_up(settings, services=("notifier",))
        [first] = wait_for(lambda: mexico(settings, start), "the first alert on Mexico's desk")
        publish_matches(settings, hit("us-test:3", "INITECH SA"))
        wait_until_caught_up(settings, services=("notifier",))
        seen = wait_for(lambda: mexico(settings, start, at_least=2), "version 2 on Mexico's desk")

    alert_id = alert_id_for(REFERENCE.feed, REFERENCE.manifest_id)
    assert (first.alert_id, first.version) == (alert_id, 1)
    assert sorted(match.subject_id for match in first.matches) == ["us-test:1", "us-test:2"]
    assert [(alert.alert_id, alert.version) for alert in seen] == [(alert_id, 1), (alert_id, 2)]
    assert sorted(match.subject_id for match in seen[1].matches) == ["us-test:1", "us-test:2", "us-test:3"]
    assert seen[1].raised_at == first.raised_at < seen[1].updated_at
    assert seen[1].changes == ["nueva coincidencia: INITECH SA [us-test:3]"]
    assert {alert.desk_country for alert in read_outputs(settings, start).alerts} == {"US", "CO", "MX"}
