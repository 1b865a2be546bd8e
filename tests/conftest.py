"""Fixtures shared by the integration and end-to-end tests.

They need the real local Kafka broker and Redis server that `make test` starts. A test that finds
them missing fails (it does not skip): a skipped integration test proves nothing.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.localstack import redis_security
from services.localstack.config import is_secured
from services.localstack.security import grant_namespace, revoke_namespace
from services.shared.kafka_admin import delete_topics, ensure_topics, probe_kafka
from services.shared.kafka_security import credentials_file
from services.shared.redis_clients import RedisUser, credentials_path, stack_credentials, with_login
from services.shared.settings import PROJECT_ROOT, Settings
from services.shared.topics import all_topics
from services.watchlist.demo_source import demo_ofac_dir
from tests.support import free_ports

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
#: The key prefixes tests run under (each test's own: test-<run>), granted to the Redis users.
TEST_KEY_PREFIXES = "test-*"


def _log_in_as_the_stack() -> None:
    """Where the local Redis has ACL users, tests and their fixtures connect as the stack's own
    user (set up and inspect any key), while the services they start log in as their own users
    from the same credentials file, pinned here since tests move the state dir."""
    settings = Settings()
    credentials = stack_credentials(settings)
    if credentials is None:
        return  # a Redis without the stack's users: connect as the URL says
    password = credentials.passwords[RedisUser.STACK.value]
    os.environ["INTERDICT_REDIS_URL"] = with_login(settings.redis_url, RedisUser.STACK.value, password)
    os.environ["INTERDICT_REDIS_CREDENTIALS_FILE"] = str(credentials_path(settings).resolve())
    with contextlib.suppress(redis.exceptions.ConnectionError):  # stack_settings fails the tests, saying so
        redis_security.grant_namespace(redis.Redis.from_url(os.environ["INTERDICT_REDIS_URL"]), TEST_KEY_PREFIXES)


_log_in_as_the_stack()


@pytest.fixture(scope="session")
def demo_watchlist() -> Path:
    """The OFAC SDN files the demo uses: the full list beside the checkout, else the bundled subset."""
    return demo_ofac_dir()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "ofac-sdn" / "sdn.csv").exists():
        pytest.fail(f"reference data missing: {SHARED_DATA} (the repository expects shared/ beside it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def stack_settings() -> Settings:
    settings = Settings()
    # the stack's principals, for every test's settings wherever it keeps its own state
    settings = settings.model_copy(update={"kafka_credentials_file": credentials_file(settings)})
    reason = probe_kafka(settings)
    if reason is not None:
        pytest.fail(f"no Kafka at {settings.kafka_bootstrap} ({reason}); run the tests with `make test`")
    try:
        redis.Redis.from_url(settings.redis_url).ping()
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"no Redis at {settings.redis_url} ({error}); run the tests with `make test`")
    return settings


@pytest.fixture
def isolated_settings(stack_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A private namespace on the shared stack: own topics, Redis keys, consumer groups and ports."""
    run = uuid.uuid4().hex[:10]
    ports = free_ports(10)
    settings = stack_settings.model_copy(
        update={
            "topic_prefix": f"test-{run}.",
            "topic_partitions": 2,
            "redis_key_prefix": f"test-{run}",
            "app_id_prefix": f"test-{run}",
            "state_dir": tmp_path / "state",
            "ingest_web_port": ports[0],
            "matcher_web_port": ports[1],
            "notifier_web_port": ports[2],
            "ingest_metrics_port": ports[3],
            "matcher_metrics_port": ports[4],
            "notifier_metrics_port": ports[5],
            "rescreener_metrics_port": ports[6],
            "admin_port": ports[7],
            "deskstore_metrics_port": ports[8],
            "console_port": ports[9],
        }
    )
    secured = is_secured(settings)
    if secured:  # every principal's rights on this namespace's topics and groups, as on the stack's
        grant_namespace(settings)
    ensure_topics(settings)
    yield settings
    delete_topics(settings, all_topics(settings))
    if secured:
        revoke_namespace(settings)
    client = redis.Redis.from_url(settings.redis_url)
    for key in client.scan_iter(match=f"{settings.redis_key_prefix}*", count=1000):
        client.delete(key)
