"""Metrics of the admin API (its own, not the pipeline's services/shared/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter

#: Every refused request: reason is missing-token, invalid-token, read-only, not-owner or not-shared.
DENIED = Counter("interdict_admin_denied_total", "Admin API requests refused with 401 or 403, by reason", ["reason"])
