"""Is each service up and ready: its /readyz, probed on the port the settings give it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from services.shared.settings import Settings

#: Probed in this order, and shown in it: the pipeline's order, then its companions.
SERVICES = ("ingest", "matcher", "notifier", "rescreener", "deskstore", "admin", "console")


@dataclass(frozen=True)
class ServiceState:
    service: str
    url: str
    #: something answered on the port
    up: bool
    ready: bool
    checks: dict[str, bool] = field(default_factory=dict)
    #: the rest of the readiness report (batches, lag, the matcher's watchlists, the re-screener's role)
    details: dict[str, object] = field(default_factory=dict)
    problem: str | None = None


def operator_ports(settings: Settings) -> dict[str, int]:
    """The port where each service answers /readyz (README, For operators)."""
    return {
        "ingest": settings.ingest_metrics_port,
        "matcher": settings.matcher_metrics_port,
        "notifier": settings.notifier_metrics_port,
        "rescreener": settings.rescreener_metrics_port,
        "deskstore": settings.deskstore_metrics_port,
        "admin": settings.admin_port,
        "console": settings.console_port,
    }


def probe_host(settings: Settings) -> str:
    """Where to reach a listener bound to the configured host: a wildcard is reached on loopback."""
    host = settings.web_host
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def probe(service: str, url: str, timeout_s: float) -> ServiceState:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return _state(service, url, response.read())
    except urllib.error.HTTPError as error:  # 503: up, not ready, with its report
        return _state(service, url, error.read(), problem=f"HTTP {error.code}")
    except (OSError, ValueError) as error:
        return ServiceState(service, url, up=False, ready=False, problem=_reason(error))


def _state(service: str, url: str, body: bytes, problem: str | None = None) -> ServiceState:
    try:
        report = json.loads(body)
        checks = {str(name): bool(passed) for name, passed in dict(report.pop("checks", {})).items()}
    except (ValueError, TypeError, AttributeError):
        return ServiceState(service, url, up=True, ready=False, problem="its /readyz does not answer JSON")
    ready = report.pop("ready", False) is True
    report.pop("service", None)
    return ServiceState(service, url, up=True, ready=ready, checks=checks, details=report, problem=problem)


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    return str(reason) or type(reason).__name__


def probe_all(settings: Settings, timeout_s: float = 2.0) -> list[ServiceState]:
    """Every service at once: a service that hangs costs `timeout_s`, not that times five."""
    host = probe_host(settings)
    ports = operator_ports(settings)
    urls = {service: f"http://{host}:{ports[service]}/readyz" for service in SERVICES}
    with ThreadPoolExecutor(len(SERVICES)) as pool:
        return list(pool.map(lambda service: probe(service, urls[service], timeout_s), SERVICES))
