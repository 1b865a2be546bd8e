"""The notifier's own metrics beside the stage's (services/shared/metrics.py): rules, updates, suppression."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SEVERITY_RULES_VERSION = Gauge("interdict_severity_rules_version", "Version of the severity rules in force")
SEVERITY_RULES_REJECTED = Counter(
    "interdict_severity_rules_rejected_total", "Edits of the severity rule file refused (the rules in force stay)"
)
ALERT_UPDATES = Counter(
    "interdict_alert_updates_total", "New versions of alerts a desk already had (later hits on the manifest)", ["desk"]
)
ALERTS_SUPPRESSED = Counter(
    "interdict_alerts_suppressed_total",
    "Hits counted on an earlier alert of the same voyage or bill of lading instead of raising one",
    ["desk"],
)
