"""Every service process answers /metrics, /healthz and /readyz, and listens on the configured
host only (loopback by default): read from the running processes' sockets, not from our code."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from functools import partial
from pathlib import Path

import pytest

from services.shared.settings import Settings
from tests.support.pipeline import Workers, wait_for, workers
from tests.support.sockets import listening

pytestmark = pytest.mark.integration

SERVICES = ("ingest", "matcher", "notifier", "rescreener", "deskstore", "admin")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""  # not listening yet


def operator_ports(settings: Settings) -> dict[str, list[int]]:
    """Each service's listeners: the stage workers have a web port and a metrics port."""
    return {
        "ingest": [settings.ingest_web_port, settings.ingest_metrics_port],
        "matcher": [settings.matcher_web_port, settings.matcher_metrics_port],
        "notifier": [settings.notifier_web_port, settings.notifier_metrics_port],
        "rescreener": [settings.rescreener_metrics_port],
        "deskstore": [settings.deskstore_metrics_port],
        "admin": [settings.admin_port],
    }


def ready(port: int) -> dict[str, object] | None:
    status, body = get(f"http://127.0.0.1:{port}/readyz")
    return json.loads(body) if status == 200 else None


def test_every_service_serves_metrics_health_and_readiness_on_loopback_only(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    settings = isolated_settings
    assert settings.web_host == "127.0.0.1"
    ports = operator_ports(settings)
    with workers(settings, tmp_path / "logs", *SERVICES) as running:
        for service, service_ports in ports.items():
            for port in service_ports:
                report = wait_for(partial(ready, port), f"{service} ready on {port}", timeout_s=90)
                checks = report["checks"]
                assert isinstance(checks, dict) and checks and all(checks.values()), report
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                assert status == 200 and json.loads(body)["alive"] is True, (service, port, body)
            status, body = get(f"http://127.0.0.1:{service_ports[-1]}/metrics")
            assert status == 200 and b"interdict_" in body, (service, body[:200])
        for service, service_ports in ports.items():
            assert_listens_on_loopback_only(running, service, service_ports)


def assert_listens_on_loopback_only(running: Workers, service: str, ports: list[int]) -> None:
    sockets = listening(running.pid(service))
    assert {port for _, port in sockets} >= set(ports), f"{service} does not listen on {ports}: {sockets}"
    exposed = {(host, port) for host, port in sockets if host not in ("127.0.0.1", "::ffff:127.0.0.1", "::1")}
    assert not exposed, f"{service} listens beyond loopback: {exposed}"


def test_an_unknown_path_is_not_found_on_the_metrics_port(isolated_settings: Settings, tmp_path: Path) -> None:
    port = isolated_settings.ingest_metrics_port
    with workers(isolated_settings, tmp_path / "logs", "ingest"):
        wait_for(lambda: ready(port), "ingest ready", timeout_s=60)
        assert get(f"http://127.0.0.1:{port}/metrics")[0] == 200
        assert get(f"http://127.0.0.1:{port}/nothing-here")[0] == 404


def test_a_worker_that_cannot_reach_redis_is_alive_but_not_ready(isolated_settings: Settings, tmp_path: Path) -> None:
    from services.feed.publish import publish_file
    from services.shared.settings import PROJECT_ROOT
    from tests.support import free_port

    settings = isolated_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    port = settings.ingest_metrics_port
    with workers(settings, tmp_path / "logs", "ingest", "admin"):
        wait_for(lambda: ready(port), "ingest ready before it needs Redis", timeout_s=60)
        publish_file(PROJECT_ROOT / "feeds" / "sample-manifests.jsonl", settings)  # ingest's batch needs Redis

        def not_connected() -> dict[str, object] | None:
            status, body = get(f"http://127.0.0.1:{port}/readyz")
            report = json.loads(body) if body else {}
            return report if status == 503 and report["checks"] == {"stage": True, "connected": False} else None

        wait_for(not_connected, "ingest's /readyz saying it is not connected", timeout_s=60)
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        wait_for(lambda: get(f"http://127.0.0.1:{settings.admin_port}/healthz")[0] == 200, "admin API alive")
        admin_status, admin_body = get(f"http://127.0.0.1:{settings.admin_port}/readyz")
        assert admin_status == 503 and json.loads(admin_body)["checks"] == {"redis": False}, admin_body
