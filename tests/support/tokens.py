"""Tokens for the commands that act for someone (`interdict watchlist`, `screen`, `desk`)."""

from __future__ import annotations

import pytest
import redis

from services.admin.tokens import Role, TokenStore
from services.shared.settings import Settings

#: The administrators the watchlist command tests act as: name -> country.
ADMINS = {"ana": "CO", "luis": "MX", "tom": "US"}


def create_token(settings: Settings, name: str, role: Role, country: str) -> str:
    return TokenStore(redis.Redis.from_url(settings.redis_url), settings).create(name, role, country)


def administrators(settings: Settings, monkeypatch: pytest.MonkeyPatch, acting: str = "ana") -> dict[str, str]:
    """An admin token for each of ADMINS under settings' key prefix; `acting`'s is INTERDICT_TOKEN."""
    tokens = {name: create_token(settings, name, Role.ADMIN, country) for name, country in ADMINS.items()}
    monkeypatch.setenv("INTERDICT_TOKEN", tokens[acting])
    return tokens
