"""The local Redis's ACL users as redis.conf states them, and the credentials file beside it."""

from __future__ import annotations

import stat
from pathlib import Path

from services.localstack.config import render_redis_conf, stack_paths
from services.localstack.redis_security import ensure_credentials, key_patterns, render_acl_lines
from services.shared.redis_clients import RedisUser, login, url_for
from services.shared.settings import Settings


def settings_in(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", redis_url="redis://127.0.0.1:26399/0", redis_credentials_file=None)


def test_the_conf_holds_each_users_rules_and_no_password(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    credentials = ensure_credentials(settings)
    conf = render_redis_conf(settings, stack_paths(settings), render_acl_lines(credentials, "interdict"))
    for password in credentials.passwords.values():
        assert password not in conf
    users = {line.split()[1]: line for line in conf.splitlines() if line.startswith("user ")}
    assert set(users) == {"default", *(user.value for user in RedisUser)}
    assert " off " in users["default"] and "nopass" not in users["default"]
    assert "%R~interdict:wl:*" in users["matcher"] and "+@write" not in users["matcher"]
    assert "~interdict:alert:*" in users["notifier"] and ":wl:" not in users["notifier"]
    assert "appendonly yes" in conf


def test_the_credentials_are_private_and_kept(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    first = ensure_credentials(settings)
    path = tmp_path / "state" / "redis-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_credentials(settings) == first  # a restarted stack keeps its users' passwords
    moved = settings.model_copy(update={"redis_url": "redis://127.0.0.1:26400/0"})
    assert ensure_credentials(moved) != first  # another server: new ones


def test_each_service_logs_in_as_itself_and_settings_win(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    credentials = ensure_credentials(settings)
    assert login(settings, RedisUser.MATCHER) == ("matcher", credentials.passwords["matcher"])
    assert url_for(settings, RedisUser.NOTIFIER).startswith("redis://notifier:")
    other_server = settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    assert login(other_server, RedisUser.MATCHER) is None  # the file is not that server's
    deployed = Settings.model_validate(
        {"redis_username": "matcher-3", "redis_password": "pw", "state_dir": tmp_path / "state"}
    )
    assert login(deployed, RedisUser.MATCHER) == ("matcher-3", "pw")


def test_a_glob_prefix_gives_patterns_for_every_namespace_under_it() -> None:
    assert key_patterns(RedisUser.MATCHER, "test-*") == ["%R~test-*:wl:*"]
