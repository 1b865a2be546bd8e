"""deploy/'s monitoring on a real Prometheus (Debian's) scraping a real, healthy pipeline of the
test's own namespace: every target up, every rule evaluating without error on data that exists,
none of them firing, and every Grafana panel query answering with data (so no panel of a healthy
system shows "No data")."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from services.feed.generate import encoded_feed
from services.feed.publish import publish_file
from services.shared.models import EntityKind, EntryName, WatchlistEntry
from services.shared.progress import wait_until_caught_up
from services.shared.settings import PROJECT_ROOT, Settings
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from services.watchlist.writer import WatchlistWriter
from tests.support.pipeline import wait_for, workers
from tests.support.prometheus import DEPLOY_PROMETHEUS, Prometheus, finite_values, now, running_prometheus

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

DASHBOARDS = sorted((PROJECT_ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
SERVICES = ("ingest", "matcher", "notifier", "rescreener", "deskstore", "admin", "console")
#: A series selector in PromQL: a metric of ours (or a recorded one, or `up`) and its matchers.
SELECTOR = re.compile(r"(?<![\w:])(interdict_[a-z0-9_]+|interdict:[a-z0-9_:]+|up)(\{[^}]*\})?")


def panel_queries() -> list[tuple[str, str]]:
    """(panel title, expression) of every query of every dashboard."""
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            found += [(f"{path.name}: {panel['title']}", target["expr"]) for target in panel.get("targets", [])]
    return found


def rule_expressions() -> list[tuple[str, str]]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY_PROMETHEUS / "rules.yml").read_text())
    return [(rule.get("alert") or rule["record"], rule["expr"]) for g in document["groups"] for rule in g["rules"]]


def alert_expressions() -> list[tuple[str, str]]:
    return [(name, expr) for name, expr in rule_expressions() if not name.startswith("interdict:")]


def as_grafana_would(expr: str, window_s: float) -> str:
    """Grafana's variables, as it fills them for a 1 s scrape interval over the test's window."""
    return expr.replace("$__rate_interval", "10s").replace("$__range", f"{int(window_s)}s")


def start_pipeline(settings: Settings, demo_watchlist: Path) -> WatchlistWriter:
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    store.import_list("ofac-sdn", parse_ofac_sdn(demo_watchlist), owner_country="US", actor="test")
    return store


def publish_generated(settings: Settings, path: Path, count: int, seed: int) -> int:
    """Valid manifests, some carrying a listed identity: a healthy day's traffic (no dead letters)."""
    with path.open("wb") as sink:
        for _, encoded in encoded_feed("json", count, hit_rate=0.05, seed=seed):
            sink.write(encoded)
    return publish_file(path, settings, format_name="json")


def steady_traffic(settings: Settings, prometheus: Prometheus, workdir: Path, chunks: int = 4) -> None:
    """Traffic over several scrapes, as a running system has it (one burst between two scrapes
    would show no rate at all): each chunk is processed and scraped before the next is sent."""
    sent = 0
    for chunk in range(chunks):
        sent += publish_generated(settings, workdir / f"feed-{chunk}.jsonl", count=75, seed=11 + chunk)
        wait_until_caught_up(settings)
        scraped = partial(scraped_inputs, prometheus, sent)
        wait_for(scraped, f"Prometheus scraping {sent} inputs", timeout_s=30)


def scraped_inputs(prometheus: Prometheus, at_least: int) -> bool:
    ingest = prometheus.query('sum(interdict_messages_in_total{job="ingest"})')
    return bool(ingest) and float(ingest[0]["value"][1]) >= at_least


def a_watchlist_change(store: WatchlistWriter) -> None:
    """A healthy system's watchlists change too: the apply-latency panel and the re-screener need one."""
    entry = WatchlistEntry(
        entry_id="ofac-sdn:test-1", list_id="ofac-sdn", kind=EntityKind.ORGANIZATION,
        names=[EntryName(name="PROMETHEUS TEST TRADING S.A.")], owner_country="US",
    )
    store.add(entry, actor="test")


def every_target_up(prometheus: Prometheus) -> list[dict[str, Any]] | None:
    targets = prometheus.targets()
    jobs = {target["labels"]["job"] for target in targets if target["health"] == "up"}
    return targets if jobs >= {*SERVICES, "prometheus"} and all(t["health"] == "up" for t in targets) else None


def every_rule_evaluated(prometheus: Prometheus) -> list[dict[str, Any]] | None:
    rules = prometheus.rules()
    done = all(rule["health"] == "ok" and not rule["lastEvaluation"].startswith("0001") for rule in rules)
    return rules if done and len(rules) == len(rule_expressions()) else None


def test_deploy_monitoring_on_a_healthy_pipeline(
    isolated_settings: Settings, demo_watchlist: Path, tmp_path: Path
) -> None:
    settings = isolated_settings.model_copy(update={"lag_interval_seconds": 1.0})
    store = start_pipeline(settings, demo_watchlist)
    with workers(settings, tmp_path / "logs", *SERVICES), running_prometheus(settings, tmp_path / "prom") as prom:
        started = now()
        wait_for(lambda: every_target_up(prom), "every scrape target up", timeout_s=120)
        steady_traffic(settings, prom, tmp_path)
        a_watchlist_change(store)
        wait_for(lambda: every_rule_evaluated(prom), "every rule evaluated without error", timeout_s=60)

        for title, expr in panel_queries():
            def answered(expr: str = expr) -> int:
                return finite_values(prom.query_range(as_grafana_would(expr, now() - started), started, now()))

            wait_for(answered, f"data for the panel {title!r}: {expr}", timeout_s=60, poll_s=1)

        for name, expr in rule_expressions():
            for selector in {match.group(0) for match in SELECTOR.finditer(expr)}:
                assert prom.query(selector), f"rule {name} reads {selector}, which has no data"

        matching: dict[str, list[dict[str, Any]]] = {}

        def quiet() -> bool:
            matching.clear()
            matching.update({name: found for name, expr in alert_expressions() if (found := prom.query(expr))})
            return not matching

        try:
            wait_for(quiet, "no alert rule matching on a healthy pipeline", timeout_s=60, poll_s=1)
        except AssertionError as error:
            raise AssertionError(f"alert rules matching on a healthy pipeline: {matching}") from error
