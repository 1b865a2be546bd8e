"""interdict status's parts that need no server: where it probes, how it reads a /readyz answer,
what fails --check, and that the screen renders whatever is missing."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from services.shared.settings import Settings
from services.status.broker import BrokerState
from services.status.render import render
from services.status.report import StatusReport, problems
from services.status.services import ServiceState, _state, probe_host
from services.status.watchlists import ListState, WatchlistsState


def test_a_wildcard_bind_is_probed_on_loopback() -> None:
    assert probe_host(Settings(web_host="0.0.0.0")) == "127.0.0.1"
    assert probe_host(Settings(web_host="::")) == "[::1]"
    assert probe_host(Settings(web_host="::1")) == "[::1]"
    assert probe_host(Settings(web_host="10.0.0.5")) == "10.0.0.5"


def test_a_readiness_answer_is_read_into_checks_and_details() -> None:
    body = b'{"ready": false, "service": "matcher", "checks": {"stage": true, "watchlists": false}, "lag": 7}'
    state = _state("matcher", "http://x/readyz", body, problem="HTTP 503")
    assert (state.up, state.ready, state.checks, state.details) == (
        True, False, {"stage": True, "watchlists": False}, {"lag": 7}
    )
    assert _state("ingest", "http://x/readyz", b"<html>").problem == "its /readyz does not answer JSON"


def a_report(services: list[ServiceState], kafka: bool = True, redis: bool = True) -> StatusReport:
    broker = BrokerState(kafka, None if kafka else "Kafka at k: NoBrokersAvailable")
    listed = ListState("ofac-sdn", "US", 3, 10, True, datetime.now(UTC), 2, True)
    watchlists = WatchlistsState(redis, None if redis else "Redis at r: refused", [listed] if redis else [])
    return StatusReport(datetime.now(UTC), services, broker, watchlists)


def test_check_fails_on_a_service_down_or_not_ready_and_on_unreachable_servers() -> None:
    ready = ServiceState("ingest", "u", True, True, {"stage": True})
    assert problems(a_report([ready])) == []
    down = ServiceState("admin", "http://h:1/readyz", False, False, problem="refused")
    waiting = ServiceState("matcher", "u", True, False, {"stage": True, "watchlists": False})
    assert problems(a_report([ready, down, waiting], kafka=False, redis=False)) == [
        "admin down (http://h:1/readyz: refused)",
        "matcher not ready (watchlists)",
        "Kafka unreachable: Kafka at k: NoBrokersAvailable",
        "Redis unreachable: Redis at r: refused",
    ]


def test_the_screen_shows_what_is_missing() -> None:
    console = Console(record=True, width=200)
    down = ServiceState("admin", "http://h:1/readyz", False, False, problem="refused")
    render(a_report([down], kafka=False), console)
    text = console.export_text()
    assert "down" in text and "Kafka unreachable" in text and "2 (behind)" in text and "problem: admin down" in text
