"""Prometheus metrics every service serves on its own HTTP port (see README, "Operators").

The stage counters move when a batch commits, so at every scrape
`interdict_messages_in_total = interdict_messages_processed_total + interdict_messages_rejected_total`
per service.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

MESSAGES_IN = Counter("interdict_messages_in_total", "Input records done with (committed)", ["service", "topic"])
MESSAGES_PROCESSED = Counter(
    "interdict_messages_processed_total", "Input records processed, their outputs acknowledged", ["service"]
)
MESSAGES_OUT = Counter("interdict_messages_out_total", "Records produced and acknowledged", ["service", "topic"])
MESSAGES_REJECTED = Counter(
    "interdict_messages_rejected_total", "Input records dead-lettered, by reason", ["service", "reason"]
)
PROCESSING_SECONDS = Histogram(
    "interdict_processing_seconds",
    "Time to process one batch, from receipt to committed input",
    ["service"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "interdict_batch_records",
    "Input records per batch",
    ["service"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)
STAGE_LATENCY = Histogram(
    "interdict_stage_latency_seconds",
    "Time from the feed's publish to this stage's committed output (the notifier's is feed to desk)",
    ["service"],
    buckets=_LATENCY_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "interdict_consumer_lag",
    "Records of its input a consumer group has not committed yet, read from the broker (services/shared/lag.py)",
    ["group", "topic", "partition"],
)
STAGE_STALLED = Gauge(
    "interdict_stage_stalled", "1 while the stage retries a batch because Redis or Kafka is away", ["service"]
)
STAGE_REDONE = Counter(
    "interdict_stage_redone_total", "Input records read again after their batch could not be committed", ["service"]
)
DEPENDENCY_RETRIES = Counter(
    "interdict_dependency_retries_total", "Retries while Redis or Kafka was unreachable", ["service", "dependency"]
)
MANIFESTS_DUPLICATE = Counter(
    "interdict_manifests_duplicate_total", "Manifests sent again unchanged: processed once, not passed on", ["feed"]
)
MANIFEST_WARNINGS = Counter(
    "interdict_manifest_warnings_total", "Doubtful codes kept with a warning on the manifest's alerts", ["code"]
)
IDENTITY_CONFLICTS = Counter(
    "interdict_identity_conflicts_total", "Vessel identities that disagree with what was known", ["kind"]
)
MATCHES = Counter("interdict_matches_total", "Manifest-entry matches found", ["list_id"])
ALERTS = Counter("interdict_alerts_total", "Alerts sent to desks", ["desk", "severity"])
ALERT_LATENCY = Histogram(
    "interdict_alert_latency_seconds",
    "Time from the feed's publish of a manifest (its raw record's Kafka timestamp) to its alert committed on the "
    "desk's topic; the count is the alerts each desk received",
    ["desk"],
    buckets=_LATENCY_BUCKETS,
)
ALERTS_WITHHELD = Counter(
    "interdict_alerts_withheld_total", "Alerts a desk did not receive because of the entry's sharing scope", ["desk"]
)
ALERTS_REPEATED = Counter(
    "interdict_alerts_repeated_total", "Alerts not sent again because the desk already received them", ["desk"]
)
WATCHLIST_ENTRIES = Gauge(
    "interdict_watchlist_entries",
    "Entries the matcher holds, per list and owning country",
    ["list_id", "owner_country"],
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



#: Reasons any stage may dead-letter for; a service's own reasons appear when they first happen.
STAGE_REJECTION_REASONS = ("processing_error", "output_too_large", "output_rejected")


def stage_series_at_zero(service: str) -> None:
    """The series the dashboard and the alert rules read exist from a stage's start, at 0: a panel
    showing "No data" or a rule with nothing to compare reads as broken, not as "none yet"."""
    for reason in STAGE_REJECTION_REASONS:
        MESSAGES_REJECTED.labels(service, reason)
    for dependency in ("kafka", "redis"):
        DEPENDENCY_RETRIES.labels(service, dependency)
    STAGE_STALLED.labels(service).set(0)
    STAGE_REDONE.labels(service)
    # a histogram's first sample at 0, or a first batch before the second scrape shows no increase
    for histogram in (PROCESSING_SECONDS, BATCH_SIZE, STAGE_LATENCY):
        histogram.labels(service)
    MESSAGES_PROCESSED.labels(service)
