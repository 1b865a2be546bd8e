"""The broker locked down per principal, on the real secured local broker (README, Security).

Every test works in its own namespace (isolated_settings), whose ACLs the fixture grants as
`interdict stack up` grants the default namespace's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import TopicPartition
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailedError,
)
from pydantic import SecretStr

from services.localstack.config import stack_paths, tls_endpoint
from services.localstack.security import SUPERUSER, add_principal, remove_principal, rotate_password
from services.shared import topics
from services.shared.kafka_clients import kafka_admin, kafka_consumer, kafka_producer, make_consumer
from services.shared.kafka_security import (
    ANY_FEED,
    OPERATOR,
    credentials_file,
    desk_principal,
    read_credentials_file,
)
from services.shared.outputs import marks, read_outputs
from services.shared.progress import wait_until_caught_up
from services.shared.settings import PROJECT_ROOT, Settings
from tests.e2e.test_pipeline import expected_alerts, import_watchlist
from tests.support.pipeline import workers

pytestmark = pytest.mark.integration

SAMPLE_FEED = PROJECT_ROOT / "feeds" / "sample-manifests.jsonl"


@pytest.fixture
def secured(isolated_settings: Settings) -> Settings:
    if isolated_settings.kafka_security_protocol == "PLAINTEXT":
        pytest.fail("these tests need the secured local stack (INTERDICT_KAFKA_SECURITY_PROTOCOL is PLAINTEXT)")
    return isolated_settings


def _read_one(settings: Settings, principal: str, topic: str) -> None:
    """Fetch from `topic` as `principal`: raises the broker's refusal, if any.

    A principal with no right at all on a topic is refused even its offsets (kafka-python then
    never fetches, so the refusal is seen there); one that may only write it is refused the fetch.
    """
    partition = TopicPartition(topic, 0)
    consumer = kafka_consumer(settings, principal, enable_auto_commit=False, request_timeout_ms=10_000)
    try:
        consumer.assign([partition])
        consumer.end_offsets([partition])
        consumer.seek_to_beginning()
        for _ in range(3):
            consumer.poll(timeout_ms=1000)  # an authorisation error of the fetch surfaces here
    finally:
        consumer.close()


def _write_one(settings: Settings, principal: str, topic: str) -> None:
    # retried: a topic just created may not have its leader yet (NotLeaderForPartition); a refusal
    # (TopicAuthorizationFailed) is not retriable, so it still surfaces at once
    producer = kafka_producer(settings, principal, max_block_ms=10_000, retries=5)
    try:
        producer.send(topic, value=b"{}", key=b"k").get(timeout=15)
    finally:
        producer.close()


def test_an_anonymous_client_is_refused(secured: Settings) -> None:
    anonymous = secured.model_copy(update={"kafka_security_protocol": "PLAINTEXT"})
    with pytest.raises(KafkaError):
        admin = kafka_admin(anonymous, OPERATOR, bootstrap_timeout_ms=5000, request_timeout_ms=5000)
        admin.list_topics()


def test_a_wrong_password_is_refused(secured: Settings) -> None:
    impostor = secured.model_copy(update={"kafka_username": OPERATOR, "kafka_password": SecretStr("not-the-password")})
    with pytest.raises(KafkaError):
        admin = kafka_admin(impostor, OPERATOR, bootstrap_timeout_ms=5000, request_timeout_ms=5000)
        admin.list_topics()


def test_the_mexican_desk_reads_its_alerts_and_not_the_us_ones(secured: Settings) -> None:
    mx = desk_principal("MX")
    _read_one(secured, mx, topics.desk_topic(secured, "MX"))  # its own: allowed
    with pytest.raises(TopicAuthorizationFailedError):
        _read_one(secured, mx, topics.desk_topic(secured, "US"))


def test_a_desk_writes_its_own_actions_only(secured: Settings) -> None:
    mx = desk_principal("MX")
    _write_one(secured, mx, topics.actions_topic(secured, "MX"))
    with pytest.raises(TopicAuthorizationFailedError):
        _write_one(secured, mx, topics.actions_topic(secured, "US"))
    with pytest.raises(TopicAuthorizationFailedError):
        _write_one(secured, mx, topics.desk_topic(secured, "MX"))  # alerts are the notifier's


def test_joint_cases_are_the_consoles_no_desk_reads_or_forges_them(secured: Settings) -> None:
    cases = topics.cases_topic(secured)
    _write_one(secured, "console", cases)
    _read_one(secured, "console", cases)
    mx = desk_principal("MX")
    with pytest.raises(TopicAuthorizationFailedError):
        _write_one(secured, mx, cases)  # an event claiming another desk's officer
    with pytest.raises(TopicAuthorizationFailedError):
        _read_one(secured, mx, cases)  # cases between other desks


def test_a_feed_writes_manifests_and_reads_no_alert_nor_writes_matches(secured: Settings) -> None:
    for feed in (ANY_FEED, "feed-customs-anam-mx"):
        _write_one(secured, feed, topics.qualified(secured, topics.MANIFESTS_RAW))
        for country in ("MX", "US"):
            with pytest.raises(TopicAuthorizationFailedError):
                _read_one(secured, feed, topics.desk_topic(secured, country))
        with pytest.raises(TopicAuthorizationFailedError):
            _write_one(secured, feed, topics.qualified(secured, topics.MATCHES))
        with pytest.raises(TopicAuthorizationFailedError):
            _read_one(secured, feed, topics.qualified(secured, topics.MANIFESTS_RAW))


def test_a_service_has_its_own_rights_only(secured: Settings) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        _write_one(secured, "ingest", topics.qualified(secured, topics.MATCHES))
    with pytest.raises(TopicAuthorizationFailedError):
        _read_one(secured, "matcher", topics.desk_topic(secured, "US"))
    with pytest.raises(TopicAuthorizationFailedError):
        _write_one(secured, "matcher", topics.desk_topic(secured, "US"))
    with pytest.raises(TopicAuthorizationFailedError):
        _read_one(secured, "notifier", topics.qualified(secured, topics.MANIFESTS_RAW))


def test_only_the_notifier_may_use_the_notifiers_transactional_ids(secured: Settings) -> None:
    transactional_id = f"{topics.group_id(secured, 'notifier')}-{topics.qualified(secured, topics.MATCHES)}-0"
    producer = kafka_producer(secured, "matcher", transactional_id=transactional_id, max_block_ms=10_000)
    try:
        with pytest.raises(TransactionalIdAuthorizationFailedError):
            producer.init_transactions()
    finally:
        producer.close(timeout=5)


def test_no_service_may_create_a_topic_or_grant(secured: Settings) -> None:
    with kafka_admin(secured, "ingest") as admin:
        from kafka.admin import NewTopic

        response = admin.create_topics([NewTopic(f"{secured.topic_prefix}stray", 1, 1)], raise_errors=False)
    assert response["topics"][0]["error_code"] != 0  # TOPIC_AUTHORIZATION_FAILED


def test_tls_listener_with_the_stacks_ca(secured: Settings) -> None:
    """SASL_SSL on the TLS listener: the broker's certificate checks out against the stack's CA,
    and not without it."""
    tls = tls_endpoint(secured)
    ca = stack_paths(secured.model_copy(update={"state_dir": credentials_file(secured).parent})).kafka_ca
    over_tls = secured.model_copy(
        update={"kafka_bootstrap": str(tls), "kafka_security_protocol": "SASL_SSL", "kafka_ssl_cafile": ca}
    )
    with kafka_admin(over_tls, OPERATOR, bootstrap_timeout_ms=10_000) as admin:
        assert topics.qualified(secured, topics.MANIFESTS_RAW) in admin.list_topics()
    _write_one(over_tls, ANY_FEED, topics.qualified(secured, topics.MANIFESTS_RAW))
    untrusted = over_tls.model_copy(update={"kafka_ssl_cafile": None})  # the system's CAs do not know it
    with pytest.raises(KafkaError):
        kafka_admin(untrusted, OPERATOR, bootstrap_timeout_ms=5000, request_timeout_ms=5000).list_topics()


def test_every_service_works_with_only_its_own_rights(secured: Settings, demo_watchlist: Path, tmp_path: Path) -> None:
    """The pipeline, each worker and the feed given nothing but their own credentials."""
    everything = read_credentials_file(credentials_file(secured))
    own = {name: everything[name] for name in ("ingest", "matcher", "notifier", ANY_FEED)}
    assert OPERATOR not in own and SUPERUSER not in own
    narrow_file = tmp_path / "own-credentials.json"
    narrow_file.write_text(json.dumps(own))
    narrow = secured.model_copy(update={"kafka_credentials_file": narrow_file})
    import_watchlist(secured, demo_watchlist)
    with workers(narrow, tmp_path / "logs", "ingest", "matcher", "notifier"):
        start = marks(secured)
        from services.feed.publish import publish_file

        publish_file(SAMPLE_FEED, narrow)
        wait_until_caught_up(secured)
        result = read_outputs(secured, start)
    assert set(result.alert_keys()) == expected_alerts()


def test_a_new_principal_logs_in_and_a_rotated_password_replaces_the_old(secured: Settings) -> None:
    principal = f"feed-test-{secured.app_id_prefix}"
    add_principal(secured, principal)
    try:
        first = read_credentials_file(credentials_file(secured))[principal]
        with kafka_admin(secured, principal) as admin:  # it logs in (it has no ACL yet, so sees nothing)
            assert topics.qualified(secured, topics.MANIFESTS_RAW) not in admin.list_topics()
        rotate_password(secured, principal)
        assert read_credentials_file(credentials_file(secured))[principal] != first
        with kafka_admin(secured, principal) as admin:
            admin.list_topics()
        old = secured.model_copy(update={"kafka_username": principal, "kafka_password": SecretStr(first)})
        with pytest.raises(KafkaError):
            kafka_admin(old, principal, bootstrap_timeout_ms=5000, request_timeout_ms=5000).list_topics()
    finally:
        remove_principal(secured, principal)
    assert principal not in read_credentials_file(credentials_file(secured))
    with pytest.raises(KafkaError):
        kafka_admin(secured.model_copy(update={"kafka_username": principal, "kafka_password": SecretStr(first)}),
                    principal, bootstrap_timeout_ms=5000, request_timeout_ms=5000).list_topics()  # fmt: skip


def test_a_desk_resumes_in_groups_of_its_own_only(secured: Settings) -> None:
    mx, alerts = desk_principal("MX"), topics.desk_topic(secured, "MX")
    _write_one(secured, OPERATOR, alerts)

    def first_poll(group: str) -> int:
        consumer = make_consumer(secured, mx, [alerts], group_id=group, idle_timeout_ms=15_000)
        try:
            return len(next(iter(consumer)).value)
        finally:
            consumer.close()

    assert first_poll(f"{mx}-{secured.app_id_prefix}") > 0
    with pytest.raises(GroupAuthorizationFailedError):
        first_poll(f"desk-us-{secured.app_id_prefix}")
