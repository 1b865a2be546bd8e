"""The local Redis's ACL users, on the real server `interdict stack up` configures: each service
reaches its own keys and no others, and an anonymous connection is refused."""

from __future__ import annotations

import pytest
import redis
from pydantic import SecretStr

from services.shared.redis_clients import RedisUser, stack_credentials, sync_client
from services.shared.settings import Settings
from services.watchlist.layout import WatchlistKeys


@pytest.fixture
def acl_settings(isolated_settings: Settings) -> Settings:
    if stack_credentials(isolated_settings) is None:
        pytest.fail(
            f"the Redis at {isolated_settings.redis_url} has no stack users: start it with `interdict stack up`"
        )
    return isolated_settings


def as_user(settings: Settings, user: RedisUser) -> redis.Redis:
    return sync_client(settings, user, socket_timeout=5)


def test_an_anonymous_connection_is_refused(acl_settings: Settings) -> None:
    url = acl_settings.redis_url.replace(acl_settings.redis_url.split("//")[1].split("@")[0] + "@", "")
    anonymous = redis.Redis.from_url(url)
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.get(f"{acl_settings.redis_key_prefix}:wl:lists")


def test_a_wrong_password_is_refused(acl_settings: Settings) -> None:
    settings = acl_settings.model_copy(
        update={"redis_username": "matcher", "redis_password": SecretStr("not-the-password")}
    )
    with pytest.raises(redis.exceptions.AuthenticationError):
        as_user(settings, RedisUser.MATCHER).ping()


@pytest.mark.parametrize("user", [RedisUser.MATCHER, RedisUser.RESCREENER, RedisUser.CONSOLE, RedisUser.NOTIFIER])
def test_who_may_not_write_the_watchlists_cannot(acl_settings: Settings, user: RedisUser) -> None:
    keys = WatchlistKeys.under(acl_settings.redis_key_prefix)
    client = as_user(acl_settings, user)
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.hset(keys.lists, "planted", "{}")
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.xadd(keys.changes, {"event": "{}"})
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.delete(keys.entries("ofac-sdn"))


def test_the_readers_read_the_watchlists_and_the_administrators_write_them(acl_settings: Settings) -> None:
    keys = WatchlistKeys.under(acl_settings.redis_key_prefix)
    as_user(acl_settings, RedisUser.ADMIN).hset(keys.lists, "a-list", "{}")
    for user in (RedisUser.MATCHER, RedisUser.RESCREENER, RedisUser.CONSOLE):
        assert as_user(acl_settings, user).hget(keys.lists, "a-list") == b"{}", user


def test_the_notifier_writes_its_book_and_reads_nothing_else(acl_settings: Settings) -> None:
    prefix = acl_settings.redis_key_prefix
    notifier = as_user(acl_settings, RedisUser.NOTIFIER)
    notifier.set(f"{prefix}:alert:us:alert-1", "book entry")
    assert notifier.get(f"{prefix}:alert:us:alert-1") == b"book entry"
    for elsewhere in (f"{prefix}:wl:lists", f"{prefix}:admin:tokens", f"{prefix}:manifest:feed:m1"):
        with pytest.raises(redis.exceptions.NoPermissionError):
            notifier.get(elsewhere)


def test_the_matcher_cannot_touch_the_alert_book_nor_the_tokens(acl_settings: Settings) -> None:
    prefix = acl_settings.redis_key_prefix
    matcher = as_user(acl_settings, RedisUser.MATCHER)
    for key in (f"{prefix}:alert:us:alert-1", f"{prefix}:admin:tokens"):
        with pytest.raises(redis.exceptions.NoPermissionError):
            matcher.get(key)
    with pytest.raises(redis.exceptions.NoPermissionError):
        matcher.set(f"{prefix}:rescreener:lease", "mine")


def test_no_service_user_runs_dangerous_commands(acl_settings: Settings) -> None:
    for user in RedisUser:
        if user is RedisUser.STACK:
            continue
        client = as_user(acl_settings, user)
        for command in (("FLUSHALL",), ("KEYS", "*"), ("CONFIG", "GET", "dir"), ("ACL", "LIST")):
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.execute_command(*command)


def test_the_console_reads_tokens_and_records_refusals_but_cannot_mint_tokens(acl_settings: Settings) -> None:
    prefix = acl_settings.redis_key_prefix
    console = as_user(acl_settings, RedisUser.CONSOLE)
    assert console.hget(f"{prefix}:admin:tokens", "nobody") is None
    console.xadd(f"{prefix}:admin:denied", {"attempt": "recorded"})
    with pytest.raises(redis.exceptions.NoPermissionError):
        console.hset(f"{prefix}:admin:tokens", "mallory", "{}")
