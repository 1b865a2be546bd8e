"""Metrics of the admin API (its own, not the pipeline's services/shared/metrics.py).

Besides its refusals, the admin API is where the watchlist store's own state is exported: each
enabled list's live version and when it last changed, read from Redis at every scrape. Beside
the versions the matchers hold (`interdict_watchlist_version`), they show a matcher behind the
store, and a list nobody has refreshed for weeks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import redis
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.watchlist.reader import WatchlistReader

log = logging.getLogger(__name__)

#: Every refused request: reason is missing-token, invalid-token, read-only, not-owner or not-shared.
DENIED = Counter("interdict_admin_denied_total", "Admin API requests refused with 401 or 403, by reason", ["reason"])


class WatchlistStoreCollector(Collector):
    """The store's lists at scrape time; nothing while Redis is away (the admin API is not ready then)."""

    def __init__(self) -> None:
        self.store: WatchlistReader | None = None

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        version, updated = self._families()
        try:
            lists = self.store.lists() if self.store is not None else []
        except redis.RedisError as error:
            log.warning("watchlist metrics unavailable: %s", error)
            lists = []
        for info in lists:
            if info.enabled:  # a disabled list is matched by nobody: its age is nobody's concern
                version.add_metric([info.list_id], info.version)
                updated.add_metric([info.list_id], info.updated_at.timestamp())
        yield version
        yield updated

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "interdict_watchlist_store_version", "Live version of each enabled list in Redis", labels=["list_id"]
            ),
            GaugeMetricFamily(
                "interdict_watchlist_updated_timestamp_seconds",
                "When each enabled list last changed in Redis (Unix time)",
                labels=["list_id"],
            ),
        )


#: One per process (a registry refuses two collectors of the same names); create_app points it at its store.
STORE_COLLECTOR = WatchlistStoreCollector()
REGISTRY.register(STORE_COLLECTOR)
