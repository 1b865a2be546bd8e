"""The notifier's metrics per desk: feed-to-desk latency of every alert, observed when the alert's
transaction commits (before that, no desk reading committed records can see it), and every desk's
series from the start, at 0 (a desk with no alert yet is 0, not "no data")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from services.shared import metrics
from services.shared.models.alert import Severity
from services.shared.stage import Output


def desk_series_at_zero(desks: Iterable[str]) -> None:
    for desk in desks:
        metrics.ALERT_LATENCY.labels(desk)
        metrics.ALERTS_WITHHELD.labels(desk)
        metrics.ALERTS_REPEATED.labels(desk)
        for severity in Severity:
            metrics.ALERTS.labels(desk, severity.value)


def alert_latency_observer(desk_topics: Mapping[str, str]) -> Callable[[Output, float], None]:
    """For the stage's on_committed: alerts are the outputs written to a desk topic."""
    desk_of = {topic: desk for desk, topic in desk_topics.items()}
    desk_series_at_zero(desk_topics)

    def observe(output: Output, seconds: float) -> None:
        desk = desk_of.get(output.topic)
        if desk is not None:
            metrics.ALERT_LATENCY.labels(desk).observe(seconds)

    return observe
