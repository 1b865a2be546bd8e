"""The watchlist administration API: FastAPI over WatchlistWriter, with per-country bearer tokens.

Rules: any valid token reads the lists and entries shared with its country; an `admin` token
also changes the lists and entries its country owns, and nothing else. Every refusal (401 or
403) is recorded in the denied-attempts stream and counted in interdict_admin_denied_total.
The audit trail names the token as the actor. Store calls are blocking Redis calls, so the
endpoints are plain `def` functions that FastAPI runs in its thread pool.

This module builds the app; the endpoints are in routers/, one module per resource, the token
checks in auth.py, the answers to the watchlist's errors in errors.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI

from services.admin import backends
from services.admin.denied import DeniedLog
from services.admin.errors import add_error_handlers
from services.admin.metrics import STORE_COLLECTOR
from services.admin.routers import entries, health, history, lists, screening
from services.admin.tokens import TokenStore
from services.shared.health import Health
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings, get_settings
from services.watchlist.expiry import sweep_expired_forever
from services.watchlist.writer import WatchlistWriter

DESCRIPTION = """
Administer the interdiction watchlists held in Redis: read lists and entries, import a whole
list, add, replace, remove or expire entries, enable or disable lists, and read the audit trail.

Authenticate with `Authorization: Bearer <token>` (tokens: `interdict admin token create`).
A token acts for one partner country. `reader` tokens read what is shared with their country;
`admin` tokens also change the lists and entries their country owns. 401: no or unknown token;
403: the token may not do this (every refusal is recorded).
"""


def create_app(settings: Settings | None = None, redis_client: redis.Redis | None = None) -> FastAPI:
    settings = settings or get_settings()
    client = redis_client or sync_client(settings, RedisUser.ADMIN)
    app_health = admin_health(client)

    store = WatchlistWriter(client, settings.redis_key_prefix)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pulse = asyncio.ensure_future(app_health.heartbeat.run())
        # The one kind of process that writes the watchlists also announces their expiries.
        sweeper = asyncio.ensure_future(sweep_expired_forever(store))
        yield
        sweeper.cancel()
        pulse.cancel()

    app = FastAPI(title="Interdict watchlist administration", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.health = app_health
    app.state.settings = settings  # the screening endpoint builds its engine from them
    STORE_COLLECTOR.store = store
    backends.attach(app, store, TokenStore(client, settings), DeniedLog(client, settings))
    add_error_handlers(app)
    for router in (lists.router, entries.router, history.router, screening.router, health.router):
        app.include_router(router)
    return app


def admin_health(client: redis.Redis) -> Health:
    """Ready while Redis answers: every list, entry, token and audit record is there."""
    result = Health("admin")
    result.require("redis", lambda: _answers(client))
    return result


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
