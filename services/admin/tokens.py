"""Bearer tokens of the admin API and the desk commands: each names a holder, a role and its country.

A token is 32 random bytes (secrets.token_urlsafe) shown once at creation; Redis keeps only its
SHA-256. A fast unsalted hash is enough here because the token has 256 bits of entropy: there is
no dictionary to try, so the slow, salted hashes that protect human passwords add nothing, and
the digest doubles as the lookup key, so a request costs one hash and one HGET.

Keys (under `settings.redis_key_prefix`):

    {p}:admin:tokens          hash  name -> TokenRecord JSON (role, country, digest, created_at)
    {p}:admin:token-digests   hash  sha256 hex -> name
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from enum import StrEnum

import redis
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.shared.models.common import CountryCode
from services.shared.settings import PARTNER_COUNTRIES, Settings

TOKEN_BYTES = 32
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


class Role(StrEnum):
    ADMIN = "admin"  # reads everything shared with its country, changes what its country owns
    READER = "reader"  # reads only
    DESK = "desk"  # an interdiction desk officer: acts on its country's alerts; reads the API like a reader


class TokenRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="the holder; the actor in the audit trail")
    role: Role
    country: CountryCode
    digest: str = Field(description="SHA-256 of the token, hex")
    created_at: AwareDatetime


class Principal(BaseModel):
    """Who is calling, once their token is verified."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    country: str


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, redis_client: redis.Redis, settings: Settings) -> None:
        self._redis = redis_client
        self._tokens_key = f"{settings.redis_key_prefix}:admin:tokens"
        self._digests_key = f"{settings.redis_key_prefix}:admin:token-digests"

    def create(self, name: str, role: Role, country: str) -> str:
        """A new token for `name`; returns the token itself, which is not stored and cannot be shown again."""
        country = country.upper()
        if country not in PARTNER_COUNTRIES:
            raise TokenError(f"{country!r} is not a partner country ({', '.join(PARTNER_COUNTRIES)})")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        record = TokenRecord(
            name=name, role=role, country=country, digest=digest_of(token), created_at=datetime.now(UTC)
        )
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.watch(self._tokens_key)
            if pipe.hexists(self._tokens_key, name):
                raise TokenError(f"a token named {name!r} exists; revoke it first")
            pipe.multi()
            pipe.hset(self._tokens_key, name, record.model_dump_json())
            pipe.hset(self._digests_key, record.digest, name)
            pipe.execute()  # WatchError if another create/revoke raced: the caller retries
        return token

    def list(self) -> list[TokenRecord]:
        records = (TokenRecord.model_validate_json(raw) for raw in self._redis.hvals(self._tokens_key))
        return sorted(records, key=lambda record: record.name)

    def revoke(self, name: str) -> None:
        raw = self._redis.hget(self._tokens_key, name)
        if raw is None:
            raise TokenError(f"no token named {name!r}")
        record = TokenRecord.model_validate_json(raw)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._tokens_key, name)
            pipe.hdel(self._digests_key, record.digest)
            pipe.execute()

    def authenticate(self, token: str) -> Principal | None:
        digest = digest_of(token)
        name = self._redis.hget(self._digests_key, digest)
        raw = self._redis.hget(self._tokens_key, name) if name else None
        if raw is None:
            return None
        record = TokenRecord.model_validate_json(raw)
        if not hmac.compare_digest(record.digest, digest):  # a stale digest index left by a crashed revoke
            return None
        return Principal(name=record.name, role=record.role, country=record.country)
