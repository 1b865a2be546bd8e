"""The desk store service's metrics (README, "For operators")."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

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
