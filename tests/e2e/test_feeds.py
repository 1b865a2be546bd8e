"""Feeds end to end on the real broker: every format to the expected desks, and the entrance losing
nothing (the cases that once crashed or slipped through ingest)."""

from __future__ import annotations

import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from services.feed.generate import FORMAT_KINDS, ManifestGenerator, as_sent, load_demo_watchlist
from services.feed.publish import publish_file
from services.ingest.formats.registry import FORMATS
from services.shared import topics
from services.shared.dead_letter import dead_letter_headers
from services.shared.kafka_clients import make_producer
from services.shared.kafka_security import OPERATOR
from services.shared.models.ais import AisReport
from services.shared.progress import wait_until_caught_up
from services.shared.settings import PARTNER_COUNTRIES, PROJECT_ROOT, Settings, get_settings
from services.shared.stage import InputRecord
from tests.e2e.test_pipeline import import_watchlist
from tests.integration.test_stage_kafka import read_all
from tests.support.pipeline import marks, read_outputs, workers

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SAMPLES = PROJECT_ROOT / "feeds" / "samples"
#: The feed each generated format is published as (feeds/feeds.toml).
FEEDS = {"json": None, "csv": "customs-anam-mx", "cuscar": "customs-dian-co", "ais": "ais-caribbean"}


def generated_file(tmp_path: Path, format_name: str, count: int, seed: int) -> tuple[Path, list[dict[str, Any]]]:
    """A realistic feed file in that format, from the generator, and the planted documents as sent."""
    generator = ManifestGenerator(load_demo_watchlist(), hit_rate=0.5, seed=seed, format_name=format_name)
    documents, planted = [], []
    for manifest in generator.generate(count, kinds=FORMAT_KINDS[format_name]):
        document = as_sent(manifest.document, format_name, FEEDS[format_name])
        documents.append(document)
        if manifest.planted:
            planted.append({**document, "planted": manifest.planted})
    path = tmp_path / f"feed.{format_name}"
    path.write_bytes(FORMATS[format_name].encode(documents))
    return path, planted


def expected_desks(document: dict[str, Any]) -> set[str]:
    """The entry's owner (OFAC: US) and the partners on the route, as the notifier routes."""
    if document["kind"] == "shipment":
        keys = ("port_of_origin", "port_of_loading", "port_of_discharge", "place_of_destination")
        ports = [document.get(key) for key in keys] + list(document.get("transshipment_ports", []))
    else:
        voyage = document.get("voyage") or {}
        ports = [voyage.get("last_port"), voyage.get("next_port") or voyage.get("destination")]
        ports += [call["port"] for call in voyage.get("port_calls", [])]
    return {"US"} | {port[:2] for port in ports if port and port[:2] in PARTNER_COUNTRIES}


def test_every_format_reaches_the_expected_desks(
    isolated_settings: Settings, demo_watchlist: Path, tmp_path: Path
) -> None:
    settings = isolated_settings
    import_watchlist(settings, demo_watchlist)
    files = {name: generated_file(tmp_path, name, 24, seed=11) for name in FORMATS}
    with workers(settings, tmp_path / "logs", "ingest", "matcher", "notifier"):
        start = marks(settings)
        for name, (path, _) in files.items():
            publish_file(path, settings, format_name=name, feed=FEEDS[name])
        for sample in sorted(SAMPLES.iterdir()):
            publish_file(sample, settings)  # the format detected from the content
        wait_until_caught_up(settings)
        result = read_outputs(settings, start)

    assert result.dead_letters == [], "generated and sample feeds are valid"
    desks: dict[tuple[str, str], set[str]] = {}
    for alert in result.alerts:
        for match in alert.matches:
            for sighting in match.occurrences:  # a manifest counted on another's alert is told there
                told = (f"{sighting.feed}:{sighting.manifest_id}", match.subject_id)
                desks.setdefault(told, set()).add(alert.desk_country)
    for name, (_, planted) in files.items():
        assert planted, f"the {name} file has planted identities"
        for document in planted:
            key = f"{document['feed']}:{document['manifest_id']}"
            for entry in document["planted"]:
                assert desks.get((key, entry)) == expected_desks(document), (name, key, entry)
    formats = Counter(alert.manifest.format for alert in result.alerts)
    assert set(formats) >= set(FORMATS), formats
    # the AIS sample's position reports are kept for voyage context, keyed by MMSI
    reports = [AisReport.model_validate_json(value) for value, _ in read_all(settings, topics.VESSELS_AIS)]
    assert reports and all(report.feed and len(report.mmsi) == 9 for report in reports)
    assert {report.message_type for report in reports} >= {1, 18}


def metric(port: int, name: str) -> dict[str, float]:
    """Every sample of a counter on a worker's /metrics, by its label text."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) :].rsplit(" ", 1)
            samples[labels] = float(value)
    return samples


def manifest(**overrides: Any) -> bytes:
    document: dict[str, Any] = {
        "kind": "shipment",
        "manifest_id": "OK-1",
        "feed": "port-manzanillo-mx",
        "reported_at": "2026-11-20T08:00:00Z",
        "bill_of_lading": "MEDU0000001",
        "port_of_loading": "COBUN",
        "port_of_discharge": "MXZLO",
        "parties": [{"role": "consignee", "name": "ACME", "country": "MX"}],
    }
    document.update(overrides)
    return orjson.dumps(document)


ENTRANCE_CASES: list[tuple[bytes, str | None]] = [
    (manifest(), None),
    (b'{"padding": "' + b"x" * (1024 * 1024 + 10) + b'"}', "too_large"),
    (
        manifest(manifest_id="PAD", parties=[{"role": "notify_party", "name": f"P{n}"} for n in range(10_000)]),
        "limit_exceeded",
    ),
    (manifest(manifest_id="DESC", commodities=[{"hs_code": "0803", "description": "y" * 1_000_000}]), "limit_exceeded"),
    (manifest(manifest_id="ZZ", parties=[{"role": "consignee", "name": "A", "country": "ZZ"}]), "invalid_code"),
    (manifest(manifest_id="PORT", port_of_loading="XXABC"), "invalid_code"),
    (manifest(manifest_id="MMSI", vessel={"name": "X", "mmsi": "12"}), "invalid_code"),
    (manifest(manifest_id="Y2099", reported_at="2099-01-01T00:00:00Z"), "implausible_date"),
    (manifest(manifest_id="CHECK", containers=[{"number": "MSCU1234567"}]), None),  # kept, with a warning
    (manifest(manifest_id="OK-2"), None),
]


def test_the_entrance_loses_nothing_and_says_why(isolated_settings: Settings, tmp_path: Path) -> None:
    settings = isolated_settings
    feed = tmp_path / "entrance.jsonl"
    feed.write_bytes(b"\n".join(value for value, _ in ENTRANCE_CASES) + b"\n")
    from services.cli import app

    with workers(settings, tmp_path / "logs", "ingest"):
        start = marks(settings)
        get_settings.cache_clear()
        try:
            outcome = CliRunner().invoke(app, ["feed", "publish", str(feed)], env=settings.as_environment())
        finally:
            get_settings.cache_clear()
        wait_until_caught_up(settings, services=["ingest"])
        result = read_outputs(settings, start)
        ingest_in = sum(metric(settings.ingest_metrics_port, "interdict_messages_in_total").values())
        processed = sum(metric(settings.ingest_metrics_port, "interdict_messages_processed_total").values())
        rejected = metric(settings.ingest_metrics_port, "interdict_messages_rejected_total")
        valid = sum(metric(settings.ingest_metrics_port, "interdict_messages_out_total").values())

    # the publisher names the line it could not send, sends every other, and says so by its exit status
    assert outcome.exit_code == 1, outcome.output
    assert "line 2:" in outcome.output and "dead-lettered" in outcome.output
    expected = Counter(reason for _, reason in ENTRANCE_CASES if reason)
    assert Counter(letter.reason for letter in result.dead_letters) == expected
    # every message the broker took is counted in, and ends valid or rejected
    assert ingest_in == len(ENTRANCE_CASES) - 1 == processed + sum(rejected.values())
    assert valid == processed == sum(1 for _, reason in ENTRANCE_CASES if reason is None)


def test_a_cuscar_file_is_published_as_cuscar_not_as_lines(isolated_settings: Settings, tmp_path: Path) -> None:
    """A CUSCAR file written one segment a line (as ../shared/data/cuscar/simple.edi is) was once
    published line by line, each line dead-lettered as invalid_json."""
    sample = SAMPLES / "cuscar-buenaventura-vessel-report.edi"
    assert len(sample.read_bytes().splitlines()) > 50
    settings = isolated_settings
    with workers(settings, tmp_path / "logs", "ingest"):
        start = marks(settings)
        sent = publish_file(sample, settings)
        wait_until_caught_up(settings, services=["ingest"])
        result = read_outputs(settings, start)
    assert sent == 1  # one UNH...UNT message, not a message a line
    assert result.dead_letters == []
    manifests = [orjson.loads(value) for value, _ in read_all(settings, topics.MANIFESTS_VALID)]
    assert [manifest["ingest"]["format"] for manifest in manifests] == ["cuscar", "cuscar"]  # two consignments


def test_replaying_a_dead_letter_twice_gives_its_alerts_once(
    isolated_settings: Settings, demo_watchlist: Path, tmp_path: Path
) -> None:
    """A manifest an older ingest refused is replayed after the fix, then replayed again by mistake:
    the desks see its alerts once, and manifests.valid has it once."""
    settings = isolated_settings
    import_watchlist(settings, demo_watchlist)
    generator = ManifestGenerator(load_demo_watchlist(), hit_rate=1.0, seed=21)
    planted = next(m for m in generator.generate(20, kinds=("shipment",)) if m.planted)
    raw = topics.qualified(settings, topics.MANIFESTS_RAW)
    source = InputRecord(raw, 0, 0, planted.key, planted.to_json())
    headers = dead_letter_headers(source, "InvalidManifest", "refused by an older ingest", "ingest", "invalid_code")
    producer = make_producer(settings, OPERATOR)
    dead_letters = topics.qualified(settings, topics.MANIFESTS_DLQ)
    producer.send(dead_letters, key=planted.key, value=planted.to_json(), headers=list(headers.items())).get(30)
    producer.close()
    from services.cli import app

    with workers(settings, tmp_path / "logs", "ingest", "matcher", "notifier"):
        start = marks(settings)
        for _ in range(2):
            get_settings.cache_clear()
            try:
                outcome = CliRunner().invoke(app, ["dlq", "replay", "--yes"], env=settings.as_environment())
            finally:
                get_settings.cache_clear()
            assert outcome.exit_code == 0, outcome.output
            wait_until_caught_up(settings)
        result = read_outputs(settings, start)

    mine = [alert for alert in result.alerts if alert.manifest.manifest_id == planted.manifest_id]
    assert {match.subject_id for alert in mine for match in alert.matches} >= set(planted.planted)
    assert len(mine) == len({(alert.desk_country, alert.alert_id, alert.version) for alert in mine})
    valid = read_all(settings, topics.MANIFESTS_VALID)
    assert [orjson.loads(value)["manifest_id"] for value, _ in valid] == [planted.manifest_id]


def test_versions_on_the_broker_resends_once_amendments_say_what_changed(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings
    first = manifest(manifest_id="VER-1")
    amended = manifest(
        manifest_id="VER-1",
        parties=[
            {"role": "consignee", "name": "ACME", "country": "MX"},
            {"role": "notify_party", "name": "NUEVO AMIGO S.A.", "country": "CO"},
        ],
    )
    restamped = manifest(manifest_id="VER-1", reported_at="2026-11-20T09:00:00Z")  # first again, later
    feed = tmp_path / "versions.jsonl"
    feed.write_bytes(b"\n".join([first, first, amended, amended]) + b"\n")
    with workers(settings, tmp_path / "logs", "ingest"):
        publish_file(feed, settings)
        wait_until_caught_up(settings, services=["ingest"])
        feed.write_bytes(restamped + b"\n")
        publish_file(feed, settings)
        wait_until_caught_up(settings, services=["ingest"])
    versions = [orjson.loads(value)["ingest"] for value, _ in read_all(settings, topics.MANIFESTS_VALID)]
    assert [info["version"] for info in versions] == [1, 2, 3]
    assert versions[1]["changes"] == ["parties added: notify_party: NUEVO AMIGO S.A. (CO)"]
    assert versions[2]["changes"] == ["parties removed: notify_party: NUEVO AMIGO S.A. (CO)"]
