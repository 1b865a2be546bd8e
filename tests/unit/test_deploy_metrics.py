"""deploy/ cannot run here, but what it queries can be checked: every metric that a Prometheus
rule or a Grafana panel reads must be one the services export, or the panel shows "No data"."""

from __future__ import annotations

import re

from prometheus_client import REGISTRY

# Every module that defines metrics, imported here: what other tests happened to import before
# must not decide whether this one passes.
import services.admin.metrics
import services.console.metrics
import services.desk.metrics
import services.matcher.rescreen
import services.shared.metrics  # noqa: F401
from services.shared.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def exported_names() -> set[str]:
    names: set[str] = set()
    for collector in list(REGISTRY._collector_to_names):
        for metric in collector.describe() if hasattr(collector, "describe") else []:
            names.add(metric.name)
    return names


def queried_names() -> set[str]:
    files = [*DEPLOY.glob("prometheus/*.yml"), *DEPLOY.glob("grafana/dashboards/*.json")]
    found = {name for path in files for name in re.findall(r"\binterdict_[a-z_]+", path.read_text())}
    return {name for name in found if not name.endswith(":")}


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def test_every_metric_deploy_queries_is_exported() -> None:
    exported = exported_names()
    unknown = sorted(name for name in queried_names() if base_name(name) not in exported and name not in exported)
    assert not unknown, f"deploy/ queries metrics no service exports: {unknown}"
