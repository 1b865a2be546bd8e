"""The local Redis's ACL users: who may read and write which keys (README, Security).

Each kind of process logs in as its own user (services/shared/redis_clients.py picks the login),
whose key patterns are built from the key prefix:

    ingest      its manifest versions and vessel sightings          {p}:manifest:*  {p}:vessel:*
    matcher     the watchlists, read only                          %R~{p}:wl:*
    rescreener  the watchlists, read only; its lease and cursor    %R~{p}:wl:*  {p}:rescreener:*
    notifier    its alert book, nothing else                        {p}:alert:*  {p}:sighting:*
    admin       the watchlists and their audit, the tokens          {p}:wl:*  {p}:admin:*
    console     screening, status, desk commands: read watchlists  %R~{p}:wl:*  %R~ the tokens,
                and tokens, record refusals                         {p}:admin:denied
    stack       the stack's own checks, the demo's reset, tests     every key and command

The `default` user (an anonymous connection) is off; it keeps every permission only because Redis
replays its append-only file as `default` (see render_acl_lines). No service user may run dangerous or
administrative commands (KEYS, FLUSHALL, CONFIG, ACL, ...). Passwords are drawn once by
`interdict stack up` into <state dir>/redis-credentials.json (mode 0600); redis.conf holds only
their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import redis

from services.shared.redis_clients import RedisCredentials, RedisUser, credentials_path, server_of
from services.shared.settings import Settings

#: What a user that writes its own keys may run: data commands, transactions (WATCH/MULTI) and
#: Lua scripts (whose keys Redis checks against the same patterns), never dangerous ones.
WRITER_COMMANDS = "+@read +@write +@keyspace +@transaction +@scripting +@connection -@dangerous -@admin"
#: A pure reader: no command that writes, whatever the key.
READER_COMMANDS = "+@read +@connection +@transaction -@dangerous -@admin"


def key_patterns(user: RedisUser, prefix: str) -> list[str]:
    """The ACL key selectors of `user` under the key prefix `prefix` (a glob such as `test-*` works)."""
    watchlists, admin = f"{prefix}:wl:*", f"{prefix}:admin"
    return {
        RedisUser.INGEST: [f"~{prefix}:manifest:*", f"~{prefix}:vessel:*"],
        RedisUser.MATCHER: [f"%R~{watchlists}"],
        RedisUser.RESCREENER: [f"%R~{watchlists}", f"~{prefix}:rescreener:*"],
        RedisUser.NOTIFIER: [f"~{prefix}:alert:*", f"~{prefix}:sighting:*"],
        RedisUser.ADMIN: [f"~{watchlists}", f"~{admin}:*"],
        RedisUser.CONSOLE: [
            f"%R~{watchlists}",
            f"%R~{admin}:tokens",
            f"%R~{admin}:token-digests",
            f"~{admin}:denied",  # XADD reads as well as writes its key, for Redis
        ],
        RedisUser.STACK: ["~*"],
    }[user]


def commands(user: RedisUser) -> str:
    if user is RedisUser.STACK:
        return "&* +@all"
    return READER_COMMANDS if user is RedisUser.MATCHER else WRITER_COMMANDS


def new_credentials(settings: Settings) -> RedisCredentials:
    return RedisCredentials(
        server=server_of(settings.redis_url),
        passwords={user.value: secrets.token_urlsafe(24) for user in RedisUser},
    )


def ensure_credentials(settings: Settings) -> RedisCredentials:
    """The stack's credentials, drawn on first use and kept (a restarted Redis keeps its users)."""
    path = credentials_path(settings)
    try:
        existing = RedisCredentials.from_json(path.read_text())
    except FileNotFoundError:
        existing = None
    wanted = server_of(settings.redis_url)
    if existing is not None and existing.server == wanted and set(existing.passwords) == {u.value for u in RedisUser}:
        return existing
    credentials = new_credentials(settings)
    credentials.write(path)
    return credentials


def acl_rule(user: RedisUser, password: str, prefix: str) -> str:
    """One `user` line of redis.conf: on, the password's SHA-256 only, its keys and commands."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    return " ".join(["on", f"#{digest}", "resetchannels", *key_patterns(user, prefix), commands(user)])


def render_acl_lines(credentials: RedisCredentials, prefix: str) -> list[str]:
    # `default` is off (no password logs in as it, and an anonymous connection is refused), but it
    # keeps every permission: Redis 7.0 replays the append-only file as `default` and re-checks
    # each MULTI/EXEC against its ACL, so a `default` without commands would silently drop every
    # transaction (watchlist changes, the alert book) on restart (redis/redis#14541).
    lines = ["user default off resetpass ~* &* +@all"]
    for user in RedisUser:
        lines.append(f"user {user.value} {acl_rule(user, credentials.passwords[user.value], prefix)}")
    return lines


def grant_namespace(admin: redis.Redis, prefix: str) -> None:
    """Let every service user reach the keys of another prefix too, as it does the stack's own.

    For tests, which each run under a prefix of their own (`test-…`): called with a superuser
    connection, it adds that prefix's patterns to the running server's users (not to redis.conf:
    a restart forgets them).
    """
    for user in RedisUser:
        if user is not RedisUser.STACK:
            admin.execute_command("ACL", "SETUSER", user.value, *key_patterns(user, prefix))


def redis_conf_has_acl(conf: Path) -> bool:
    return conf.exists() and "user default off" in conf.read_text()
