"""The desk console: FastAPI over the desk operations, for officers in a browser and for programs.

Rules: a desk token of a country reads and acts on that country's alerts only (services/desk/
operations.py decides, as for the CLI); every refusal is recorded in the admin API's denied log.
The console keeps the desks' stores current from their topics itself (desks.py) and pushes each
desk's list as it changes (routers/stream.py).

This module builds the app; the endpoints are in routers/, one module per resource, the token
checks in auth.py, the refusals' answers in errors.py, what the pages show in views.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.admin.denied import DeniedLog
from services.admin.routers import health
from services.admin.tokens import TokenStore
from services.console.backends import Backends, attach
from services.console.desks import ConsoleDesks
from services.console.errors import add_error_handlers
from services.console.routers import alerts, cases, login, pages, stream
from services.console.views import STATIC
from services.shared.codes.ports import port_directory
from services.shared.health import Health
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import PARTNER_COUNTRIES, Settings, get_settings
from services.watchlist.reader import WatchlistReader

DESCRIPTION = """
The interdiction desks' console: each desk's alerts, live, with their evidence, route and history,
and the desk's actions on them (acknowledge, investigate, close), published on `actions.<cc>`;
the joint cases the desk takes part in, and the case actions (open, note, state, priority,
invite), published on `cases`.

Authenticate with `Authorization: Bearer <token>` (a desk token: `interdict admin token create
--role desk --country mx`), or log in at /login in a browser. A token acts for its own country's
desk only: 401 no or unknown token; 403 another desk, or a reader's action; 404 no such alert on
this desk (a case: one this desk takes no part in); 409 the alert's or case's state does not allow
the action, or the invited desk did not receive the case's alerts (403 if an entry's sharing scope
excludes it); 422 a case action asked wrongly. A token's refusals are recorded in the denied log,
a refused invitation on the case.
"""


def create_app(
    settings: Settings | None = None, desks: Sequence[str] = PARTNER_COUNTRIES, redis_client: redis.Redis | None = None
) -> FastAPI:
    settings = settings or get_settings()
    client = redis_client or sync_client(settings, RedisUser.CONSOLE)
    console_desks = ConsoleDesks(settings, [desk.upper() for desk in desks])
    app_health = console_health(console_desks)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        console_desks.start()
        pulse = asyncio.ensure_future(app_health.heartbeat.run())
        yield
        pulse.cancel()
        console_desks.close()

    app = FastAPI(title="Interdict desk console", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.health = app_health
    attach(
        app,
        Backends(
            settings,
            console_desks,
            TokenStore(client, settings),
            DeniedLog(client, settings),
            WatchlistReader(client, settings.redis_key_prefix),
            port_directory(settings.unlocode_file),
        ),
    )
    add_error_handlers(app)
    for router in (login.router, pages.router, alerts.router, stream.router, cases.pages, cases.api, health.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def console_health(desks: ConsoleDesks) -> Health:
    """Ready while every desk's store answers and its topics are being read (Kafka reachable)."""
    result = Health("console")
    result.require("desk_stores", desks.readable)
    result.require("kafka", lambda: desks.following and desks.heartbeat.age() < FOLLOWER_STALL_S)
    result.describe(lambda: {"desks": sorted(desks.stores)})
    return result


#: The follower thread beats at every poll (a fraction of a second); this long without a beat, it is stuck.
FOLLOWER_STALL_S = 60.0
