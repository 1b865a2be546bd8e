"""The three services end to end on the real broker and Redis, as separate worker processes."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import orjson
import pytest
import redis
from kafka import TopicPartition

from services.demo import SAMPLE_FEED, read_since, running_service, wait_for_pipeline
from services.feed.publish import publish_file
from services.shared import topics
from services.shared.models import Alert, EntityKind, EntryName, Sharing, SharingScope, WatchlistEntry
from services.shared.progress import end_offsets
from services.shared.settings import PARTNER_COUNTRIES, Settings
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from services.watchlist.store import WatchlistStore

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# (manifest, OFAC entry) -> the desks that must receive it: the entry's owner (US) and the
# partner countries on the route.
EXPECTED_HITS = {
    ("MZO-2026-11-0001", "ofac-sdn:7156"): {"US", "CO", "MX"},  # RFC and legal-form variant
    ("CTG-2026-11-0042", "ofac-sdn:4106"): {"US", "CO", "PA"},  # word order
    ("SSZ-2026-11-0777", "ofac-sdn:7157"): {"US", "BR", "MX"},  # punctuation of S.A. de C.V.
    ("AIS-2026-11-9187655", "ofac-sdn:15037"): {"US", "PA", "GT"},  # IMO, MMSI, call sign
    ("PCR-2026-11-0055", "ofac-sdn:4107"): {"US", "HN", "CR"},  # accents, passenger
    ("GYE-2026-11-0333", "ofac-sdn:4149"): {"US", "EC", "CO"},  # cedula, missing second surname
}
EXPECTED_DEAD_LETTERS = Counter({"invalid_json": 1, "schema_violation": 2, "unknown_kind": 1})


def expected_alerts(suffixes: list[str] | None = None) -> set[tuple[str, str, str]]:
    suffixes = suffixes or [""]
    return {
        (desk, manifest + suffix, entry)
        for (manifest, entry), desks in EXPECTED_HITS.items()
        for desk in desks
        for suffix in suffixes
    }


def import_ofac(settings: Settings, shared_data: Path) -> None:
    store = WatchlistStore(redis.Redis.from_url(settings.redis_url), settings)
    store.import_list("ofac-sdn", parse_ofac_sdn(shared_data / "ofac-sdn"), owner_country="US", actor="test")


def output_start(settings: Settings) -> dict[TopicPartition, int]:
    watched = [topics.desk_topic(settings, desk) for desk in PARTNER_COUNTRIES]
    watched.append(topics.qualified(settings, topics.MANIFESTS_DLQ))
    return {partition: offset for topic in watched for partition, offset in end_offsets(settings, topic).items()}


def test_sample_feed_gives_exact_alerts_on_exact_desks(isolated_settings: Settings, shared_data: Path) -> None:
    settings = isolated_settings
    import_ofac(settings, shared_data)
    with ExitStack() as stack:
        for service in ("ingest", "matcher", "notifier"):
            stack.enter_context(running_service(service, settings))
        start = output_start(settings)
        publish_file(SAMPLE_FEED, settings)
        wait_for_pipeline(settings)
        result = read_since(settings, start)

    received = [alert for alerts in result.alerts.values() for alert in alerts]
    assert {(a.desk_country, a.manifest.manifest_id, a.entry.entry_id) for a in received} == expected_alerts()
    assert len(received) == len(expected_alerts()), "an alert reached a desk twice"
    for alert in received:
        assert alert.explanation and alert.evidence
        assert alert.entry.source_ids == {"ent_num": alert.entry.entry_id.split(":")[1]}
        assert alert.entry.list_version >= 1
    ark = next(a for a in received if a.entry.entry_id == "ofac-sdn:15037")
    assert ark.severity.value == "critical"
    assert Counter(letter.reason for letter in result.dead_letters) == EXPECTED_DEAD_LETTERS
    assert all(letter.message for letter in result.dead_letters)


def many_copies(path: Path, copies: int) -> tuple[Path, list[str]]:
    """The sample feed repeated with distinct manifest ids, to have a stream long enough to kill."""
    lines = [line for line in SAMPLE_FEED.read_bytes().splitlines() if line.strip() and not line.startswith(b"#")]
    suffixes = [f"-c{index:03d}" for index in range(copies)]
    with path.open("wb") as out:
        for suffix in suffixes:
            for line in lines:
                try:
                    document = orjson.loads(line)
                except orjson.JSONDecodeError:
                    out.write(line + b"\n")
                    continue
                document["manifest_id"] = str(document.get("manifest_id", "")) + suffix
                out.write(orjson.dumps(document) + b"\n")
    return path, suffixes


def wait_until_partway(settings: Settings, topic: str, at_least: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while sum(end_offsets(settings, topic).values()) < at_least:
        assert time.monotonic() < deadline, f"{topic} never reached {at_least} records"
        time.sleep(0.05)


def test_workers_killed_mid_stream_lose_nothing_and_never_alert_differently(
    isolated_settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    settings = isolated_settings
    import_ofac(settings, shared_data)
    feed, suffixes = many_copies(tmp_path / "feed.jsonl", copies=60)
    expected = expected_alerts(suffixes)
    matches_topic = topics.qualified(settings, topics.MATCHES)
    with ExitStack() as stack:
        stack.enter_context(running_service("ingest", settings))
        matcher = stack.enter_context(running_service("matcher", settings))
        notifier = stack.enter_context(running_service("notifier", settings))
        start = output_start(settings)
        publish_file(feed, settings)
        wait_until_partway(settings, matches_topic, at_least=len(suffixes) * len(EXPECTED_HITS) // 4)
        matcher.kill()  # SIGKILL: no chance to commit or flush anything
        notifier.kill()
        matcher.wait()
        notifier.wait()
        assert sum(end_offsets(settings, matches_topic).values()) < len(suffixes) * len(EXPECTED_HITS), (
            "the matcher finished before it was killed; the test proves nothing"
        )
        stack.enter_context(running_service("matcher", settings))
        stack.enter_context(running_service("notifier", settings))
        wait_for_pipeline(settings, timeout_s=240)
        result = read_since(settings, start)

    received = [alert for alerts in result.alerts.values() for alert in alerts]
    assert {(a.desk_country, a.manifest.manifest_id, a.entry.entry_id) for a in received} == expected
    by_id: dict[tuple[str, str], Alert] = {}
    for alert in received:
        first = by_id.setdefault((alert.desk_country, alert.alert_id), alert)
        assert first == alert, "two different alerts for the same manifest and entry"


def alerts_for(settings: Settings, start: dict[TopicPartition, int], manifest_id: str, timeout_s: float = 90) -> list[Alert]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = [
            alert
            for alerts in read_since(settings, start).alerts.values()
            for alert in alerts
            if alert.manifest.manifest_id == manifest_id
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_entry_listed_after_the_manifest_passed_alerts_retroactively(isolated_settings: Settings, tmp_path: Path) -> None:
    settings = isolated_settings
    store = WatchlistStore(redis.Redis.from_url(settings.redis_url), settings)
    store.import_list("us-test", [listed(1, "Placeholder Holdings Limited Partnership", "US")], owner_country="US", actor="admin-us")
    manifest = {
        "kind": "shipment", "manifest_id": "CTG-RETRO-1", "feed": "customs-dian-co",
        "reported_at": "2026-11-18T09:00:00Z", "bill_of_lading": "RETRO1",
        "port_of_loading": "COCTG", "transshipment_ports": ["PAMIT"], "port_of_discharge": "MXVER",
        "parties": [{"role": "shipper", "name": "Transportes Fluviales Rio Magdalena S.A.S.", "kind": "organization", "country": "CO"}],
    }
    feed = tmp_path / "retro.jsonl"
    feed.write_bytes(orjson.dumps(manifest) + b"\n")
    with ExitStack() as stack:
        for service in ("ingest", "matcher", "notifier", "rescreener"):
            stack.enter_context(running_service(service, settings))
        start = output_start(settings)
        publish_file(feed, settings)
        wait_for_pipeline(settings)
        assert alerts_for(settings, start, "CTG-RETRO-1", timeout_s=0) == []

        # Colombia lists the company a week later and shares the entry with Panama only.
        entry = listed(7, "TRANSPORTES FLUVIALES RIO MAGDALENA SAS", "CO", kind=EntityKind.ORGANIZATION)
        entry = entry.model_copy(update={"sharing": Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["PA"])})
        store.import_list("co-national", [entry], owner_country="CO", actor="admin-co",
                          sharing=Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["PA"]))
        found = alerts_for(settings, start, "CTG-RETRO-1")
        time.sleep(2)  # anything that would (wrongly) reach a third desk has had time to arrive
        found = alerts_for(settings, start, "CTG-RETRO-1")

    assert {alert.desk_country for alert in found} == {"CO", "PA"}  # MX is on the route but not shared with
    assert all(alert.retroactive and alert.entry.entry_id == "co-national:7" for alert in found)
    assert len(found) == 2


def listed(number: int, name: str, owner: str, kind: EntityKind = EntityKind.PERSON) -> WatchlistEntry:
    list_id = "co-national" if owner == "CO" else "us-test"
    return WatchlistEntry(
        entry_id=f"{list_id}:{number}", list_id=list_id, kind=kind, names=[EntryName(name=name)], owner_country=owner
    )
