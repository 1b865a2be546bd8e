"""The desk store service's metrics (README, "For operators")."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge

from services.shared.models.alert import Severity

ESCALATIONS = Counter(
    "interdict_desk_escalations_total",
    "Alerts escalated: still new past their severity's deadline",
    ["desk", "severity"],
)
ALERTS = Gauge(
    "interdict_desk_alerts", "Alerts in each desk's store, by state and severity", ["desk", "state", "severity"]
)
RECORDS_APPLIED = Counter(
    "interdict_desk_records_applied_total", "Alerts and actions applied to each desk's store", ["desk", "kind"]
)


def desk_series_at_zero(desks: Iterable[str]) -> None:
    """Every desk's escalations at 0 from the start: a desk with none is 0, not "no data"."""
    for desk in desks:
        for severity in Severity:
            ESCALATIONS.labels(desk, severity.value)
