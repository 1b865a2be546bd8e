"""A real Prometheus for tests: Debian's binary, run by the test itself on loopback with its own
storage, scraping the services of the test's pipeline with deploy/'s configuration (its jobs, its
rules), the compose DNS names replaced by the test's ports.

Debian's package may also have started a system service; it is never used here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.shared.settings import PROJECT_ROOT, Settings
from tests.support import free_port
from tests.support.pipeline import wait_for

DEPLOY_PROMETHEUS = PROJECT_ROOT / "deploy" / "prometheus"
#: Short, so that a test of a minute has rates and rule evaluations to look at.
INTERVAL = "1s"


def service_targets(settings: Settings) -> dict[str, int]:
    """The port each deploy/ scrape job reads, for this test's services."""
    return {
        "ingest": settings.ingest_metrics_port,
        "matcher": settings.matcher_metrics_port,
        "notifier": settings.notifier_metrics_port,
        "rescreener": settings.rescreener_metrics_port,
        "deskstore": settings.deskstore_metrics_port,
        "console": settings.console_port,
        "admin": settings.admin_port,
    }


def config_for(settings: Settings, own_port: int) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with static loopback targets instead of compose's DNS."""
    config: dict[str, Any] = yaml.safe_load((DEPLOY_PROMETHEUS / "prometheus.yml").read_text())
    config["global"].update({"scrape_interval": INTERVAL, "evaluation_interval": INTERVAL})
    ports = {**service_targets(settings), "prometheus": own_port}
    for job in config["scrape_configs"]:
        job.pop("dns_sd_configs", None)
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
    return config


@dataclass
class Prometheus:
    url: str

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=30) as response:
                document = json.load(response)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"Prometheus refused {path} {params}: {error.read().decode()}") from error
        assert document["status"] == "success", document
        return document["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=expr)["result"])

    def query_range(self, expr: str, start: float, end: float, step: str = INTERVAL) -> list[dict[str, Any]]:
        return list(self.api("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=step)["result"])

    def targets(self) -> list[dict[str, Any]]:
        return list(self.api("targets", state="active")["activeTargets"])

    def rules(self) -> list[dict[str, Any]]:
        return [rule for group in self.api("rules")["groups"] for rule in group["rules"]]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running_prometheus(settings: Settings, workdir: Path) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: `make setup` installs it (Debian: sudo apt-get install -y prometheus)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    shutil.copy(DEPLOY_PROMETHEUS / "rules.yml", workdir / "rules.yml")  # rule_files is relative to the config
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(config_for(settings, port)))
    with (workdir / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is None and _ready(url), "Prometheus ready", timeout_s=60)
        yield Prometheus(url)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def finite_values(series: list[dict[str, Any]]) -> int:
    """How many finite sample values a query answered (NaN and infinities are no data on a panel)."""
    values = [value for item in series for _, value in item.get("values", [item.get("value", (0, "NaN"))])]
    return sum(1 for value in values if value not in ("NaN", "+Inf", "-Inf"))


def now() -> float:
    return time.time()
