"""Who a process is on the broker, and what the local stack lets each principal do (no broker)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from kafka.admin import ACLOperation, ResourceType
from pydantic import SecretStr

from services.localstack.config import render_server_properties, stack_paths
from services.localstack.security import (
    SUPERUSER,
    Grant,
    broker_properties,
    ensure_credentials,
    global_grants,
    namespace_grants,
    principals,
    storage_format_arguments,
)
from services.shared.kafka_security import (
    ANY_FEED,
    OPERATOR,
    KafkaCredentialsMissing,
    aiokafka_options,
    credentials,
    desk_principal,
    feed_principal,
    kafka_python_options,
)
from services.shared.settings import Settings


def _settings(tmp_path: Path, **update: object) -> Settings:
    return Settings().model_copy(
        update={
            "state_dir": tmp_path,
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_username": "",
            "kafka_password": None,
            "kafka_credentials_file": None,
            "kafka_ssl_cafile": None,
            "topic_prefix": "",
            "app_id_prefix": "interdict",
            **update,
        }
    )


def test_a_process_takes_its_principals_password_from_the_credentials_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    (tmp_path / "kafka-credentials.json").write_text(json.dumps({"ingest": "s3cret"}))
    found = credentials(settings, "ingest")
    assert found is not None and (found.username, found.password) == ("ingest", "s3cret")
    assert "s3cret" not in repr(found)
    with pytest.raises(KafkaCredentialsMissing, match="matcher"):
        credentials(settings, "matcher")


def test_the_environment_wins_over_the_principal_the_code_names(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_username="ingest-eu-1", kafka_password=SecretStr("pw"))
    found = credentials(settings, "ingest")
    assert found is not None and (found.username, found.password) == ("ingest-eu-1", "pw")


def test_plaintext_has_no_credentials(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_security_protocol="PLAINTEXT")
    assert credentials(settings, "ingest") is None
    assert "sasl_mechanism" not in kafka_python_options(settings, "ingest")


def test_sasl_ssl_options_trust_the_configured_ca(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, kafka_security_protocol="SASL_SSL", kafka_username="x", kafka_password=SecretStr("y")
    )
    options = kafka_python_options(settings.model_copy(update={"kafka_ssl_cafile": tmp_path / "ca.pem"}), "x")
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["ssl_cafile"] == str(tmp_path / "ca.pem") and options["ssl_check_hostname"]
    assert aiokafka_options(settings, "x")["ssl_context"] is not None


def test_the_credentials_file_is_private_and_keeps_existing_passwords(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = ensure_credentials(settings, [SUPERUSER, "ingest"])
    again = ensure_credentials(settings, [SUPERUSER, "ingest", "matcher"])
    assert again[SUPERUSER] == first[SUPERUSER] and again["ingest"] == first["ingest"] and again["matcher"]
    mode = stat.S_IMODE((tmp_path / "kafka-credentials.json").stat().st_mode)
    assert mode == 0o600


def test_every_service_desk_and_configured_feed_has_a_principal(tmp_path: Path) -> None:
    names = principals(_settings(tmp_path))
    assert {SUPERUSER, OPERATOR, "ingest", "matcher", "notifier", "rescreener", "deskstore", ANY_FEED} <= set(names)
    assert desk_principal("MX") in names and feed_principal("customs-anam-mx") in names
    assert not any("*" in name for name in names)  # a pattern names a family of feeds, not a login


def _rights(grants: list[Grant], principal: str) -> set[tuple[ResourceType, str, ACLOperation]]:
    return {(g.resource, g.name, g.operation) for g in grants if g.principal == principal}


def test_a_desk_reads_its_own_alerts_and_writes_its_own_actions_only(tmp_path: Path) -> None:
    rights = _rights(namespace_grants(_settings(tmp_path, topic_prefix="ns.")), "desk-mx")
    assert rights == {
        (ResourceType.TOPIC, "ns.alerts.mx", ACLOperation.READ),
        (ResourceType.TOPIC, "ns.actions.mx", ACLOperation.READ),
        (ResourceType.TOPIC, "ns.actions.mx", ACLOperation.WRITE),
    }


def test_a_feed_only_writes_manifests_and_dead_letters(tmp_path: Path) -> None:
    grants = namespace_grants(_settings(tmp_path))
    for feed in (ANY_FEED, feed_principal("customs-anam-mx")):
        assert _rights(grants, feed) == {
            (ResourceType.TOPIC, "manifests.raw", ACLOperation.WRITE),
            (ResourceType.TOPIC, "manifests.dlq", ACLOperation.WRITE),
        }


def test_only_the_notifier_writes_alerts_and_only_the_operator_has_everything(tmp_path: Path) -> None:
    grants = namespace_grants(_settings(tmp_path)) + global_grants()
    writers = {g.principal for g in grants if g.name == "alerts.us" and g.operation is ACLOperation.WRITE}
    assert writers == {"notifier"}
    assert {g.principal for g in grants if g.name == "*"} == {OPERATOR}


def test_joint_cases_are_written_by_the_console_only_and_read_by_no_desk(tmp_path: Path) -> None:
    grants = namespace_grants(_settings(tmp_path))
    on_cases = {(g.principal, g.operation) for g in grants if g.name == "cases"}
    assert on_cases == {
        ("console", ACLOperation.READ),
        ("console", ACLOperation.WRITE),
        ("deskstore", ACLOperation.READ),
    }


def test_the_secured_broker_has_no_anonymous_client_listener(tmp_path: Path) -> None:
    settings = _settings(tmp_path, kafka_bootstrap="127.0.0.1:29092", kafka_controller_port=29093)
    security = broker_properties("127.0.0.1:29092", "127.0.0.1:29094", "127.0.0.1:29093", tmp_path, "pw")
    text = render_server_properties(settings, stack_paths(settings), security)
    assert "listeners=SASL_PLAINTEXT://127.0.0.1:29092,SASL_SSL://127.0.0.1:29094,CONTROLLER://127.0.0.1:29093" in text
    assert "PLAINTEXT://127.0.0.1:29092" not in text.replace("SASL_PLAINTEXT://", "")
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in text
    assert "allow.everyone.if.no.acl.found=false" in text
    assert storage_format_arguments("pw") == ["--add-scram", "SCRAM-SHA-512=[name=superuser,password=pw]"]
