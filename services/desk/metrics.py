"""The desk store service's metrics (README, "For operators"): every desk's series from the start, at 0."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from services.shared.models import Programme, Severity
from services.shared.models.case import CaseState
from services.shared.models.desk import AlertState

ESCALATIONS = Counter(
    "interdict_desk_escalations_total",
    "Alerts escalated: still new past their severity's deadline",
    ["desk", "severity"],
)
ALERTS = Gauge(
    "interdict_desk_alerts", "Alerts in each desk's store, by state and severity", ["desk", "state", "severity"]
)
#: An alert of two programmes counts under each; one of none (an identity conflict) under "none".
NO_PROGRAMME = "none"
ALERTS_BY_PROGRAMME = Gauge(
    "interdict_desk_alerts_by_programme",
    "Alerts in each desk's store, by programme, state and severity (an alert counts under each of its programmes)",
    ["desk", "programme", "state", "severity"],
)
TIME_TO_ACKNOWLEDGE = Histogram(
    "interdict_desk_time_to_acknowledge_seconds",
    "From an alert raised to an officer's first action on it (acknowledge, or investigate or close from new)",
    ["desk", "severity"],
    buckets=(60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600),
)
CASES = Gauge("interdict_desk_cases", "Joint cases each desk takes part in, by state", ["desk", "state"])
RECORDS_APPLIED = Counter(
    "interdict_desk_records_applied_total",
    "Alerts, actions and case events applied to each desk's store",
    ["desk", "kind"],
)

PROGRAMMES = [*(programme.value for programme in Programme), NO_PROGRAMME]


def desk_series_at_zero(desks: Iterable[str]) -> None:
    """Every series of every desk exists from the start: a desk with nothing yet shows 0, not "no data"."""
    for desk in desks:
        for kind in ("alert", "action", "case"):
            RECORDS_APPLIED.labels(desk, kind)
        for state in CaseState:
            CASES.labels(desk, state.value)
        for severity in Severity:
            ESCALATIONS.labels(desk, severity.value)
            TIME_TO_ACKNOWLEDGE.labels(desk, severity.value)
            for alert_state in AlertState:
                ALERTS.labels(desk, alert_state.value, severity.value)
                for programme in PROGRAMMES:
                    ALERTS_BY_PROGRAMME.labels(desk, programme, alert_state.value, severity.value)
