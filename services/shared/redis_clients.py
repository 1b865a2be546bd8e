"""Redis connections as a named user: each service logs in as its own Redis ACL user.

Which login a process uses, first match wins:

1. INTERDICT_REDIS_USERNAME / INTERDICT_REDIS_PASSWORD: a deployment gives each process its own.
2. The credentials file the local stack writes (`<state dir>/redis-credentials.json`, or
   INTERDICT_REDIS_CREDENTIALS_FILE): the password of the user named after the service, used only
   when the file belongs to the Redis server INTERDICT_REDIS_URL names (a test's private Redis on
   another port is not the stack's).
3. Whatever INTERDICT_REDIS_URL itself carries (no login: Redis's `default` user).

The users and what each may touch are in services/localstack/redis_security.py (README, Security).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis

from services.shared.settings import Settings


class RedisUser(StrEnum):
    """The Redis users, one per kind of process; a process logs in as the one it is."""

    INGEST = "ingest"  # manifest versions and vessel sightings
    MATCHER = "matcher"  # reads the watchlists
    RESCREENER = "rescreener"  # reads the watchlists; its lease and cursor
    NOTIFIER = "notifier"  # its alert book
    ADMIN = "admin"  # administrators: the watchlists, their audit, the tokens (API and CLI)
    CONSOLE = "console"  # screening, status and desk commands: reads watchlists and tokens, logs refusals
    STACK = "stack"  # the local stack itself and its tests: everything (never a service's login)


@dataclass(frozen=True)
class RedisCredentials:
    """The local stack's logins: which server they are for and each user's password."""

    server: str  # host:port
    passwords: dict[str, str]

    def to_json(self) -> str:
        return json.dumps({"server": self.server, "passwords": self.passwords}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RedisCredentials:
        raw = json.loads(text)
        return cls(server=str(raw["server"]), passwords={str(k): str(v) for k, v in raw["passwords"].items()})

    def write(self, path: Path) -> None:
        """Readable by its owner only: these passwords open every key."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(self.to_json())
        path.chmod(0o600)


def credentials_path(settings: Settings) -> Path:
    return settings.redis_credentials_file or settings.state_dir / "redis-credentials.json"


def server_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"


def stack_credentials(settings: Settings) -> RedisCredentials | None:
    """The local stack's credentials for the server in settings.redis_url; None if it has none."""
    try:
        credentials = RedisCredentials.from_json(credentials_path(settings).read_text())
    except FileNotFoundError:
        return None
    return credentials if credentials.server == server_of(settings.redis_url) else None


def login(settings: Settings, user: RedisUser) -> tuple[str, str] | None:
    """(username, password) for `user`, or None to connect as the URL says."""
    if settings.redis_username:
        password = settings.redis_password.get_secret_value() if settings.redis_password else ""
        return settings.redis_username, password
    credentials = stack_credentials(settings)
    if credentials is not None and user.value in credentials.passwords:
        return user.value, credentials.passwords[user.value]
    return None


def url_for(settings: Settings, user: RedisUser) -> str:
    """settings.redis_url with `user`'s login in it (URL options beat keyword arguments in redis-py)."""
    found = login(settings, user)
    if found is None:
        return settings.redis_url
    return with_login(settings.redis_url, *found)


def with_login(url: str, username: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def sync_client(settings: Settings, user: RedisUser, **options: Any) -> redis.Redis:
    return redis.Redis.from_url(url_for(settings, user), **options)


def async_client(settings: Settings, user: RedisUser, **options: Any) -> aioredis.Redis:
    return aioredis.Redis.from_url(url_for(settings, user), **options)
