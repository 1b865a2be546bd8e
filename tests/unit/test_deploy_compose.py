"""deploy/docker-compose.yml cannot start here (no Docker engine), but what it tells the services
can be checked: every INTERDICT_* variable it sets is a setting, with a value the settings accept."""

from __future__ import annotations

from typing import Any

import yaml

from services.shared.settings import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "deploy" / "docker-compose.yml"


def interdict_environments() -> list[dict[str, str]]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    found = []
    for service in document["services"].values():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        variables = {k: str(v) for k, v in environment.items() if k.startswith("INTERDICT_")}
        if variables:
            found.append(variables)
    return found


def test_every_interdict_variable_in_compose_is_a_valid_setting() -> None:
    environments = interdict_environments()
    assert environments, "no service in the compose file sets INTERDICT_* variables"
    known = {f"INTERDICT_{name.upper()}" for name in Settings.model_fields}
    for environment in environments:
        unknown = sorted(set(environment) - known)
        assert not unknown, f"compose sets variables no setting reads: {unknown}"
        Settings.model_validate({key.removeprefix("INTERDICT_").lower(): value for key, value in environment.items()})
