"""deploy/prometheus checked by promtool (Debian's prometheus package, installed by `make setup`):
the configuration, the rules, and the rules' own unit tests, which must cover every alert."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from services.shared.settings import PROJECT_ROOT

PROMETHEUS_DIR = PROJECT_ROOT / "deploy" / "prometheus"


def promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    program = shutil.which("promtool")
    if program is None:
        pytest.fail("promtool is missing: `make setup` installs it (Debian: sudo apt-get install -y prometheus)")
    return subprocess.run(
        [program, *arguments], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120, check=False
    )


def assert_succeeds(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_configuration_and_its_rules_are_valid() -> None:
    assert_succeeds(promtool("check", "config", "prometheus.yml"))
    assert_succeeds(promtool("check", "rules", "rules.yml"))


def test_the_rules_pass_their_unit_tests() -> None:
    assert_succeeds(promtool("test", "rules", "rules_test.yml"))


def test_every_alert_has_a_unit_test() -> None:
    rules: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "rules.yml").read_text())
    tests: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "rules_test.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule}
    tested = {case["alertname"] for test in tests["tests"] for case in test.get("alert_rule_test", [])}
    assert not alerts - tested, f"alerts without a promtool test: {sorted(alerts - tested)}"
