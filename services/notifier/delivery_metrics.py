"""Feed-to-desk latency of every alert, per desk, observed when the alert's transaction commits
(before that, no desk reading committed records can see it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from services.shared import metrics
from services.shared.stage import Output


def alert_latency_observer(desk_topics: Mapping[str, str]) -> Callable[[Output, float], None]:
    """For the stage's on_committed: alerts are the outputs written to a desk topic."""
    desk_of = {topic: desk for desk, topic in desk_topics.items()}
    for desk in desk_topics:
        metrics.ALERT_LATENCY.labels(desk)  # a desk with no alert yet shows 0, not "no data"

    def observe(output: Output, seconds: float) -> None:
        desk = desk_of.get(output.topic)
        if desk is not None:
            metrics.ALERT_LATENCY.labels(desk).observe(seconds)

    return observe
