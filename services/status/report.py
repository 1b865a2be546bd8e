"""The status report: services, broker and watchlists gathered at one moment, and what in it is
wrong enough to fail `interdict status --check`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from services.shared.settings import Settings
from services.status.broker import BrokerState, read_broker
from services.status.services import ServiceState, probe_all
from services.status.watchlists import WatchlistsState, read_watchlists


@dataclass
class StatusReport:
    at: datetime
    services: list[ServiceState]
    broker: BrokerState
    watchlists: WatchlistsState


def collect(settings: Settings, sample_s: float) -> StatusReport:
    services = probe_all(settings)
    broker = read_broker(settings, sample_s)
    return StatusReport(datetime.now(UTC), services, broker, read_watchlists(settings, services))


def problems(report: StatusReport) -> list[str]:
    """What --check fails on: a service down or not ready, Kafka or Redis out of reach."""
    found = [_service_problem(state) for state in report.services if not state.ready]
    if not report.broker.reachable:
        found.append(f"Kafka unreachable: {report.broker.problem}")
    if not report.watchlists.reachable:
        found.append(f"Redis unreachable: {report.watchlists.problem}")
    return found


def _service_problem(state: ServiceState) -> str:
    if not state.up:
        return f"{state.service} down ({state.url}: {state.problem})"
    failing = [name for name, passed in state.checks.items() if not passed]
    return f"{state.service} not ready ({', '.join(failing) or state.problem})"


def as_json(report: StatusReport) -> bytes:
    """The report as one JSON document (dataclasses and times as orjson writes them)."""
    document: dict[str, Any] = orjson.loads(orjson.dumps(report))
    document["problems"] = problems(report)
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)
