"""Redis is SIGKILLed mid-stream and started again from its append-only file: no watchlist change
and no alert-book entry is lost, so every expected alert reaches its desk, and exactly once.

Redis runs on a port and in a directory of its own, with the stack's ACL users and AOF (the
shared test Redis is left alone); Kafka is the shared one, under the test's own topics.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.localstack.config import stack_paths
from services.localstack.servers import RedisServer
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, Sharing, SharingScope, WatchlistEntry
from services.shared.outputs import marks, read_outputs
from services.shared.progress import wait_until_caught_up
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from services.watchlist.writer import WatchlistWriter
from tests.e2e.test_pipeline import assert_each_alert_once, expected_alerts, many_copies, publish
from tests.support import free_ports
from tests.support.pipeline import ProgressReader, wait_for, workers

pytestmark = [pytest.mark.faults, pytest.mark.integration]

SERVICES = ("ingest", "matcher", "notifier")


class PrivateRedis:
    """The local stack's Redis (its redis.conf: ACL users, AOF) on a port of the test's own."""

    def __init__(self, settings: Settings) -> None:
        self.server = RedisServer(settings, stack_paths(settings))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.server.prepare(lambda _: None)
        self.process = self.server.start()
        wait_for(lambda: self.server.probe() is None or None, "the private Redis to answer", 30)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@pytest.fixture
def private_redis(isolated_settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, PrivateRedis]]:
    (port,) = free_ports(1)
    state = tmp_path / "redis-stack"
    settings = isolated_settings.model_copy(
        update={
            "redis_url": f"redis://127.0.0.1:{port}/0",
            "state_dir": state,
            "redis_credentials_file": state / "redis-credentials.json",
            # each copy of the feed an alert of its own (they share bills of lading and voyages)
            "suppression_window_seconds": 0,
            "kafka_session_timeout_seconds": 6.0,
            "batch_max_records": 100,
        }
    )
    server = PrivateRedis(settings)
    server.start()
    try:
        yield settings, server
    finally:
        server.stop()


def listed_by_panama() -> WatchlistEntry:
    return WatchlistEntry(
        entry_id="pa-uaf:1",
        list_id="pa-uaf",
        kind=EntityKind.ORGANIZATION,
        owner_country="PA",
        sharing=Sharing(scope=SharingScope.OWNER_ONLY),
        names=[EntryName(name="TRANSPORTES FICTICIOS DEL ISTMO S.A.")],
    )


@pytest.mark.timeout(900)
def test_redis_killed_mid_stream_loses_no_watchlist_change_and_no_alert(
    private_redis: tuple[Settings, PrivateRedis], demo_watchlist: Path, tmp_path: Path
) -> None:
    settings, server = private_redis
    admin = WatchlistWriter(sync_client(settings, RedisUser.ADMIN), settings.redis_key_prefix)
    admin.import_list("ofac-sdn", parse_ofac_sdn(demo_watchlist), owner_country="US", actor="test")
    feed, suffixes = many_copies(tmp_path / "feed.jsonl", copies=200)
    start = marks(settings)
    publish(settings, feed)
    with workers(settings, tmp_path / "logs", "ingest", "matcher") as running:
        # The notifier meets every match as a backlog, worked through in small batches: Redis dies
        # while it is part way through (started with the others, it could catch up with the
        # matcher between two readings and be idle when Redis dies).
        wait_until_caught_up(settings, timeout_s=300, services=("ingest", "matcher"))
        running.start("notifier")
        with ProgressReader(settings) as progress:
            wait_for(lambda: (seen := progress.of("notifier")) and seen[0] > 0, "the notifier to commit", 300, 0.02)
            # A change made just before the kill, acknowledged by Redis: it must survive.
            admin.create_list("pa-uaf", owner_country="PA", actor="ana.pa")
            version = admin.add(listed_by_panama(), actor="ana.pa")
            server.kill()
            # read once Redis is dead: work left now was left then
            done, total = wait_for(lambda: progress.of("notifier"), "the notifier's progress", 60)
        assert done < total, "the notifier had finished when Redis died: the kill proves nothing"
        server.start()
        wait_until_caught_up(settings, timeout_s=300)
        result = read_outputs(settings, start)
        assert all(running.alive(service) for service in SERVICES), "a worker gave up while Redis was away"

    assert admin.info("pa-uaf").version == version
    assert admin.get("pa-uaf:1") == listed_by_panama()
    assert [record.actor for record in admin.history(list_id="pa-uaf")] == ["ana.pa", "ana.pa"]
    expected = expected_alerts(suffixes)
    missing = expected - set(result.alert_keys())
    assert not missing, f"{len(missing)} expected alerts never arrived, e.g. {sorted(missing)[:3]}"
    assert set(result.alert_keys()) == expected
    assert_each_alert_once(result)
