"""deploy/'s Kafka carries the same principals and ACLs as the local stack, over TLS.

No Docker engine here, so: the compose file is read for what it gives each container, and the
brokers' start script runs for real with the Kafka jars the local stack fetched, formatting a
storage from deploy/kafka/server.properties with the super user (Kafka checks the whole
configuration when it formats).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.localstack.config import stack_paths
from services.localstack.security import SUPERUSER, principals, write_deploy_secrets
from services.shared.kafka_security import OPERATOR
from services.shared.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
#: Who each interdict container is on the brokers: the one credentials file it is given.
PRINCIPAL_OF = {
    "ingest": "ingest",
    "matcher": "matcher",
    "notifier": "notifier",
    "rescreener": "rescreener",
    "deskstore": "deskstore",
    "console": "console",
    "topics": "operator",
    "cli": "operator",
    "kafka-principals": "all",
}
#: Containers with the common environment that never connect to Kafka (the admin API: Redis only).
USES_NO_KAFKA = {"admin"}


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return document


def _template() -> dict[str, str]:
    lines = (DEPLOY / "kafka" / "server.properties").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_every_interdict_container_uses_tls_and_only_its_own_credentials() -> None:
    compose = _compose()
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        if "INTERDICT_KAFKA_BOOTSTRAP" not in environment or name in USES_NO_KAFKA:
            continue
        assert name in PRINCIPAL_OF, f"{name}: which principal is it? (PRINCIPAL_OF)"
        assert environment["INTERDICT_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name
        assert environment["INTERDICT_KAFKA_SSL_CAFILE"] == "/run/secrets/kafka-ca", name
        secrets = {s["target"]: s["source"] for s in service["secrets"] if isinstance(s, dict)}
        assert secrets == {"kafka-credentials": f"kafka-{PRINCIPAL_OF[name]}"}, name
    workers = {n for n, s in compose["services"].items() if (s.get("command") or [""])[0] in PRINCIPAL_OF}
    assert {"ingest", "matcher", "notifier", "rescreener"} <= workers


def test_no_password_is_written_in_deploy() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text() + (DEPLOY / "kafka" / "server.properties").read_text()
    for line in text.splitlines():
        if "password=" in line.lower():
            assert 'password="${' in line, line  # a placeholder filled in from a secret


def test_the_brokers_accept_no_anonymous_client_and_enforce_acls() -> None:
    properties = _template()
    protocols = dict(pair.split(":") for pair in properties["listener.security.protocol.map"].split(","))
    assert set(protocols.values()) == {"SASL_SSL"}
    assert properties["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    assert properties["super.users"] == f"User:{SUPERUSER};User:controller"
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"


def test_deploy_secrets_give_each_principal_a_file_of_its_own(tmp_path: Path) -> None:
    settings = Settings()
    secrets = tmp_path / "secrets"
    names = write_deploy_secrets(settings, secrets)
    assert set(principals(settings)) <= set(names)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    everything = json.loads((secrets / "kafka-credentials.json").read_text())
    for principal in (OPERATOR, "ingest", "desk-mx", "feed"):
        assert json.loads((secrets / "kafka" / f"{principal}.json").read_text()) == {principal: everything[principal]}
    compose_files = {s["file"] for s in _compose()["secrets"].values()}
    for path in compose_files:
        assert (DEPLOY / path).resolve().relative_to(DEPLOY.resolve())
        assert (secrets / Path(path).relative_to("secrets")).exists(), path
    again = write_deploy_secrets(settings, secrets)  # a second run keeps every password
    assert json.loads((secrets / "kafka-credentials.json").read_text()) == everything and again == names


def test_the_broker_start_script_formats_a_storage_kafka_accepts(tmp_path: Path) -> None:
    libs = stack_paths(Settings()).kafka_libs
    if not (libs / ".complete").exists():
        pytest.fail(f"no Kafka jars in {libs}: run the tests with `make test` (the stack fetches them)")
    secrets = tmp_path / "secrets"
    write_deploy_secrets(Settings(), secrets)
    fake_home = tmp_path / "kafka"
    (fake_home / "bin").mkdir(parents=True)
    storage_tool = fake_home / "bin" / "kafka-storage.sh"
    storage_tool.write_text(f'#!/bin/bash\nexec java -cp "{libs}/*" kafka.tools.StorageTool "$@"\n')
    server_start = fake_home / "bin" / "kafka-server-start.sh"
    server_start.write_text('#!/bin/bash\necho "would start with $1"\n')
    for script in (storage_tool, server_start):
        script.chmod(0o755)
    environment = {
        **os.environ,
        "SECRETS_DIR": str(secrets),
        "TEMPLATE": str(DEPLOY / "kafka" / "server.properties"),
        "KAFKA_HOME": str(fake_home),
        "CONFIG_DIR": str(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "NODE_ID": "2",
        "HOST": "kafka-2",
        "EXTERNAL_PORT": "29094",
        "CLUSTER_ID": _compose()["x-kafka-env"]["CLUSTER_ID"],
    }
    result = subprocess.run(
        [str(DEPLOY / "kafka" / "start.sh")], env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would start with" in result.stdout
    written = (tmp_path / "server.properties").read_text()
    assert "node.id=2" in written and "INTERNAL://kafka-2:19092" in written and "${" not in written
    superuser_password = (secrets / "kafka-superuser").read_text()
    assert f'password="{superuser_password}"' in written
    assert stat.S_IMODE((tmp_path / "server.properties").stat().st_mode) == 0o600
    assert (tmp_path / "data" / "meta.properties").exists()
