"""The three services end to end on the real broker and Redis, as separate worker processes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
import redis
from kafka import TopicPartition

from services.shared.models import Alert, EntityKind, EntryName, Sharing, SharingScope, WatchlistEntry
from services.shared.models.alert import alert_id_for
from services.shared.progress import wait_until_caught_up
from services.shared.settings import PROJECT_ROOT, Settings
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from services.watchlist.writer import WatchlistWriter
from tests.support.pipeline import (
    Outputs,
    input_progress,
    kill_mid_stream,
    marks,
    read_outputs,
    wait_for,
    workers,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SAMPLE_FEED = PROJECT_ROOT / "feeds" / "sample-manifests.jsonl"

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
# The listed tanker ARK flies Panama's flag with a Maltese MMSI (MID 256): an identity conflict of its
# own, for the desks of the route (Panama is also the declared flag; Malta is no partner).
EXPECTED_CONFLICTS = {
    (desk, "AIS-2026-11-9187655", "identity:flag_not_mmsi_country:9187655:256842000") for desk in ("PA", "GT")
}
EXPECTED_DEAD_LETTERS = Counter({"invalid_json": 1, "schema_violation": 2, "unknown_kind": 1})


def expected_alerts(suffixes: list[str] | None = None) -> set[tuple[str, str, str]]:
    suffixes = suffixes or [""]
    hits = {
        (desk, manifest + suffix, entry)
        for (manifest, entry), desks in EXPECTED_HITS.items()
        for desk in desks
        for suffix in suffixes
    }
    return hits | {
        (desk, manifest + suffix, subject) for desk, manifest, subject in EXPECTED_CONFLICTS for suffix in suffixes
    }


def import_watchlist(settings: Settings, ofac_dir: Path) -> None:
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    store.import_list("ofac-sdn", parse_ofac_sdn(ofac_dir), owner_country="US", actor="test")


def publish(settings: Settings, feed: Path) -> int:
    from services.feed.publish import publish_file

    return publish_file(feed, settings)


def assert_each_alert_once(outputs: Outputs) -> None:
    """Each version of each alert reaches its desk once (an alert has a version per update)."""
    repeated = outputs.repeated_versions()
    assert not repeated, f"{len(repeated)} alert versions reached a desk more than once, e.g. {repeated[:3]}"


def test_sample_feed_gives_exact_alerts_on_exact_desks(
    isolated_settings: Settings, demo_watchlist: Path, tmp_path: Path
) -> None:
    settings = isolated_settings
    import_watchlist(settings, demo_watchlist)
    with workers(settings, tmp_path / "logs", "ingest", "matcher", "notifier"):
        start = marks(settings)
        publish(settings, SAMPLE_FEED)
        wait_until_caught_up(settings)
        result = read_outputs(settings, start)

    assert set(result.alert_keys()) == expected_alerts()
    assert_each_alert_once(result)
    # one alert per manifest and desk, however many entries it matched
    latest = result.latest()
    assert {(desk, alert.manifest.manifest_id) for (desk, _), alert in latest.items()} == {
        (desk, manifest) for desk, manifest, _ in expected_alerts()
    }
    matches = [match for alert in latest.values() for match in alert.matches]
    conflicts = [match.conflict for match in matches if match.conflict is not None]
    assert {conflict.kind for conflict in conflicts} == {"flag_not_mmsi_country"}
    for match in matches:
        if match.entry is None:
            continue
        assert match.explanation and match.evidence and match.detail
        assert match.entry.source_ids == {"ent_num": match.subject_id.split(":")[1]}
        assert match.entry.list_version >= 1
    ark = next(match for match in matches if match.subject_id == "ofac-sdn:15037")
    assert ark.severity.value == "critical"
    ark_on_panama = latest[("PA", alert_id_for("ais-receiver-pa", "AIS-2026-11-9187655"))]
    assert {match.subject_id for match in ark_on_panama.matches} == {
        "ofac-sdn:15037", "identity:flag_not_mmsi_country:9187655:256842000"
    }
    assert ark_on_panama.severity.value == "critical" and ark_on_panama.manifest.eta is not None
    assert Counter(letter.reason for letter in result.dead_letters) == EXPECTED_DEAD_LETTERS
    assert all(letter.message for letter in result.dead_letters)


def many_copies(path: Path, copies: int) -> tuple[Path, list[str]]:
    """The sample feed repeated with distinct manifest ids, to have a stream long enough to kill."""
    lines = [line for line in SAMPLE_FEED.read_bytes().splitlines() if line.strip() and not line.startswith(b"#")]
    suffixes = [f"-c{index:04d}" for index in range(copies)]
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


@pytest.mark.timeout(900)
def test_workers_killed_at_full_load_lose_nothing_and_repeat_nothing(
    isolated_settings: Settings, demo_watchlist: Path, tmp_path: Path
) -> None:
    """Each worker is SIGKILLed in the middle of a busy stream (the notifier three times while it
    works through a backlog of matches); every expected alert still arrives, and no desk receives
    one twice."""
    # The copies share their bills of lading and voyages: counted as sightings on one alert, they
    # would test suppression, not delivery; with suppression off each copy is an alert of its own.
    settings = isolated_settings.model_copy(
        update={"kafka_session_timeout_seconds": 6.0, "suppression_window_seconds": 0}
    )
    import_watchlist(settings, demo_watchlist)
    feed, suffixes = many_copies(tmp_path / "feed.jsonl", copies=1500)
    expected = expected_alerts(suffixes)
    start = marks(settings)
    publish(settings, feed)
    # Each service starts on a backlog, so that it is busy whenever it is killed.
    with workers(settings, tmp_path / "logs", "ingest") as running:
        kill_mid_stream(running, settings, "ingest", 0.2)
        wait_for(lambda: finished(settings, "ingest"), "ingest to finish", 300)
        running.start("matcher")
        kill_mid_stream(running, settings, "matcher", 0.3)
        kill_mid_stream(running, settings, "matcher", 0.6)
        wait_for(lambda: finished(settings, "matcher"), "matcher to finish", 300)
        # the notifier meets a backlog of matches, some of them twice (the matcher redid work)
        running.start("notifier")
        for fraction in (0.1, 0.4, 0.7):
            kill_mid_stream(running, settings, "notifier", fraction)
        wait_until_caught_up(settings, timeout_s=300)
        result = read_outputs(settings, start)

    assert running.kills == {"ingest": 1, "matcher": 2, "notifier": 3}
    missing = expected - set(result.alert_keys())
    assert not missing, f"{len(missing)} expected alerts never arrived, e.g. {sorted(missing)[:3]}"
    assert set(result.alert_keys()) == expected
    assert_each_alert_once(result)
    # Dead letters are delivered at least once: ingest redoes the batch it was killed in.
    counted = Counter(letter.reason for letter in result.dead_letters)
    for reason, count in EXPECTED_DEAD_LETTERS.items():
        assert count * len(suffixes) <= counted[reason] <= count * len(suffixes) + settings.batch_max_records
    assert set(counted) == set(EXPECTED_DEAD_LETTERS)


def finished(settings: Settings, service: str) -> bool:
    done, total = input_progress(settings, service)
    return done == total > 0


def test_entry_listed_after_the_manifest_passed_alerts_retroactively(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    store.import_list(
        "us-test", [listed(1, "Placeholder Holdings Limited Partnership", "US")], owner_country="US", actor="admin-us"
    )
    manifest = {
        "kind": "shipment",
        "manifest_id": "CTG-RETRO-1",
        "feed": "customs-dian-co",
        "reported_at": "2026-11-18T09:00:00Z",
        "bill_of_lading": "RETRO1",
        "port_of_loading": "COCTG",
        "transshipment_ports": ["PAMIT"],
        "port_of_discharge": "MXVER",
        "parties": [
            {
                "role": "shipper",
                "name": "Transportes Fluviales Rio Magdalena S.A.S.",
                "kind": "organization",
                "country": "CO",
            }
        ],
    }
    feed = tmp_path / "retro.jsonl"
    feed.write_bytes(orjson.dumps(manifest) + b"\n")
    with workers(settings, tmp_path / "logs", "ingest", "matcher", "notifier", "rescreener"):
        start = marks(settings)
        publish(settings, feed)
        wait_until_caught_up(settings)
        assert read_outputs(settings, start).alerts == []  # nothing listed matches it yet

        # Colombia lists the company a week later and shares the entry with Panama only.
        sharing = Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["PA"])
        entry = listed(7, "TRANSPORTES FLUVIALES RIO MAGDALENA SAS", "CO", kind=EntityKind.ORGANIZATION)
        store.import_list(
            "co-national",
            [entry.model_copy(update={"sharing": sharing})],
            owner_country="CO",
            actor="admin-co",
            sharing=sharing,
        )
        # The alerts of one match are committed in one transaction on every desk topic: once
        # the CO and PA alerts are visible, an alert for MX would be visible too.
        found = wait_for(lambda: retro_alerts(settings, start, want={"CO", "PA"}), "retroactive alerts on CO and PA")

    assert sorted(alert.desk_country for alert in found) == ["CO", "PA"]  # MX is on the route but not shared with
    assert all([(m.subject_id, m.retroactive) for m in alert.matches] == [("co-national:7", True)] for alert in found)


def retro_alerts(settings: Settings, start: dict[TopicPartition, int], want: set[str]) -> list[Alert] | None:
    alerts = [a for a in read_outputs(settings, start).alerts if a.manifest.manifest_id == "CTG-RETRO-1"]
    return alerts if want <= {a.desk_country for a in alerts} else None


def listed(number: int, name: str, owner: str, kind: EntityKind = EntityKind.PERSON) -> WatchlistEntry:
    list_id = "co-national" if owner == "CO" else "us-test"
    return WatchlistEntry(
        entry_id=f"{list_id}:{number}", list_id=list_id, kind=kind, names=[EntryName(name=name)], owner_country=owner
    )
