"""`interdict status` on a running pipeline of the test's own namespace, then with services down,
then with Kafka and Redis out of reach: it always answers, and --check says whether all is well."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis

from services.feed.publish import publish_file
from services.shared.progress import wait_until_caught_up
from services.shared.settings import PROJECT_ROOT, Settings
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from services.watchlist.writer import WatchlistWriter
from tests.support import free_ports
from tests.support.pipeline import marks, read_outputs, wait_for, workers

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SAMPLE_FEED = PROJECT_ROOT / "feeds" / "sample-manifests.jsonl"
ALL = ("ingest", "matcher", "notifier", "rescreener", "admin", "deskstore")


def status(settings: Settings, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "services", "status", "--sample", "0.5", *args],
        env={**os.environ, **settings.as_environment(), "COLUMNS": "200"},
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=60,
    )


def report(settings: Settings, *args: str) -> tuple[int, dict[str, Any]]:
    done = status(settings, "--json", *args)
    assert done.stdout, done.stderr.decode()
    return done.returncode, orjson.loads(done.stdout)


def by_service(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {state["service"]: state for state in document["services"]}


def all_ready(settings: Settings) -> dict[str, Any] | None:
    code, document = report(settings, "--check")
    return document if code == 0 else None


def test_status_of_a_running_pipeline_then_with_services_down(
    isolated_settings: Settings, demo_watchlist: Path, tmp_path: Path
) -> None:
    settings = isolated_settings
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    store.import_list("ofac-sdn", parse_ofac_sdn(demo_watchlist), owner_country="US", actor="test")
    with workers(settings, tmp_path / "logs", *ALL) as running:
        start = marks(settings)
        publish_file(SAMPLE_FEED, settings)
        wait_until_caught_up(settings)
        outputs = read_outputs(settings, start)
        assert outputs.alerts and outputs.dead_letters

        document = wait_for(lambda: all_ready(settings), "status --check passing with every service ready", 90)
        assert all(state["ready"] for state in document["services"]) and document["problems"] == []
        assert [(g["service"], g["lag"]) for g in document["broker"]["groups"]] == [
            ("ingest", 0), ("matcher", 0), ("notifier", 0)
        ]
        assert document["broker"]["dead_letters"]["on_topic"] == len(outputs.dead_letters)
        assert document["broker"]["dead_letters"]["last_hour"] == len(outputs.dead_letters)
        desks = {desk["desk"]: desk["last_alert_at"] for desk in document["broker"]["desks"]}
        assert {desk for desk, at in desks.items() if at} == {alert.desk_country for alert in outputs.alerts}
        (ofac,) = document["watchlists"]["lists"]
        assert (ofac["list_id"], ofac["version"], ofac["matcher_version"], ofac["matcher_behind"]) == (
            "ofac-sdn", 1, 1, False
        )

        running.kill("rescreener")
        running.kill("admin")
        code, document = report(settings, "--check")
        assert code == 1
        states = by_service(document)
        assert [s for s, state in states.items() if not state["up"]] == ["rescreener", "admin"]
        assert all(states[s]["ready"] for s in ("ingest", "matcher", "notifier"))
        assert len(document["problems"]) == 2 and "rescreener down" in document["problems"][0]

        assert status(settings, "--json").returncode == 0  # without --check, a report is a success
        screen = status(settings)
        assert screen.returncode == 0
        text = screen.stdout.decode()
        assert "down" in text and "ready" in text and "ofac-sdn" in text and "problem: admin down" in text


def test_status_answers_with_kafka_and_redis_out_of_reach(isolated_settings: Settings) -> None:
    kafka_port, redis_port = free_ports(2)
    settings = isolated_settings.model_copy(
        update={"kafka_bootstrap": f"127.0.0.1:{kafka_port}", "redis_url": f"redis://127.0.0.1:{redis_port}/0"}
    )
    code, document = report(settings, "--check")
    assert code == 1
    assert document["broker"]["reachable"] is False and document["watchlists"]["reachable"] is False
    assert any(problem.startswith("Kafka unreachable") for problem in document["problems"])
    assert any(problem.startswith("Redis unreachable") for problem in document["problems"])
