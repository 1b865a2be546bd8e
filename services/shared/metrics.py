"""Prometheus metrics every service serves on its own HTTP port (see README, "Operators")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram, start_http_server

MESSAGES_IN = Counter("interdict_messages_in_total", "Messages consumed", ["service", "topic"])
MESSAGES_OUT = Counter("interdict_messages_out_total", "Messages produced", ["service", "topic"])
MESSAGES_REJECTED = Counter(
    "interdict_messages_rejected_total", "Messages dead-lettered or withheld, by reason", ["service", "reason"]
)
PROCESSING_SECONDS = Histogram(
    "interdict_processing_seconds",
    "Time to process one message, from receipt to confirmed output",
    ["service"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEPENDENCY_RETRIES = Counter(
    "interdict_dependency_retries_total", "Retries while Redis or Kafka was unreachable", ["service", "dependency"]
)
MATCHES = Counter("interdict_matches_total", "Manifest-entry matches found", ["list_id"])
ALERTS = Counter("interdict_alerts_total", "Alerts sent to desks", ["desk", "severity"])
WATCHLIST_ENTRIES = Gauge(
    "interdict_watchlist_entries", "Entries the matcher holds, per list and owning country", ["list_id", "owner_country"]
)
WATCHLIST_VERSION = Gauge("interdict_watchlist_version", "List version the matcher holds", ["list_id"])
WATCHLIST_STALE = Gauge(
    "interdict_watchlist_stale", "1 while the matcher cannot reach Redis and matches against its last copy"
)
WATCHLIST_APPLY_SECONDS = Histogram(
    "interdict_watchlist_apply_seconds",
    "Time from a watchlist change in Redis to its application in this matcher",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def serve_metrics(port: int) -> None:
    """Expose /metrics on all interfaces so Prometheus can scrape a worker on another host."""
    start_http_server(port)


@contextmanager
def timed(service: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        PROCESSING_SECONDS.labels(service).observe(time.perf_counter() - started)
