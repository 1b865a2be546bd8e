"""Health, readiness and the operator listener, on a real loopback socket (no Kafka or Redis)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter

from services.shared.health import LIVENESS_LIMIT_S, Health, Heartbeat
from services.shared.operator_http import serve_operator_endpoints
from tests.support import free_port


class StoppedHeartbeat(Heartbeat):
    def age(self) -> float:
        return LIVENESS_LIMIT_S + 1


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_ready_only_when_every_check_passes() -> None:
    health = Health("ingest")
    state = {"stage": False, "connected": True}
    health.require("stage", lambda: state["stage"])
    health.require("connected", lambda: state["connected"])
    health.describe(lambda: {"batches": 3})
    assert health.readiness() == {
        "ready": False, "service": "ingest", "checks": {"stage": False, "connected": True}, "batches": 3
    }
    state["stage"] = True
    assert health.readiness()["ready"] is True
    state["connected"] = False
    assert health.readiness()["ready"] is False


def test_a_stopped_loop_is_not_alive() -> None:
    assert Health("matcher").alive
    assert not Health("matcher", StoppedHeartbeat()).alive


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, bool], CollectorRegistry]]:
    registry = CollectorRegistry()
    Counter("interdict_example_total", "an example", registry=registry).inc()
    state = {"ready": False}
    health = Health("example")
    health.require("example", lambda: state["ready"])
    port = free_port()
    server = serve_operator_endpoints("127.0.0.1", port, health, registry)
    yield f"http://127.0.0.1:{port}", state, registry
    server.shutdown()
    server.server_close()


def test_operator_listener_answers_each_path(served: tuple[str, dict[str, bool], CollectorRegistry]) -> None:
    base, state, _ = served
    status, body = get(f"{base}/readyz")
    assert status == 503 and json.loads(body)["checks"] == {"example": False}
    state["ready"] = True
    assert get(f"{base}/readyz")[0] == 200
    status, body = get(f"{base}/healthz")
    assert status == 200 and json.loads(body)["alive"] is True
    status, body = get(f"{base}/metrics")
    assert status == 200 and b"interdict_example_total 1.0" in body
    assert get(f"{base}/")[0] == 404


def test_a_stuck_loop_fails_healthz() -> None:
    port = free_port()
    server = serve_operator_endpoints("127.0.0.1", port, Health("example", StoppedHeartbeat()), CollectorRegistry())
    try:
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 503 and json.loads(body)["alive"] is False
    finally:
        server.shutdown()
        server.server_close()
