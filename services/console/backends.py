"""What the console's endpoints work on, put on app.state by create_app, as dependencies.

On the app rather than in module globals, so that each app (a test's, under its own prefixes)
serves its own desks, tokens and watchlists.
"""

# No `from __future__ import annotations`: FastAPI reads the aliases' annotations at runtime.
from dataclasses import dataclass
from typing import cast

from fastapi import FastAPI, Request

from services.admin.denied import DeniedLog
from services.admin.tokens import TokenStore
from services.console.desks import ConsoleDesks
from services.shared.codes.ports import PortDirectory
from services.shared.settings import Settings
from services.watchlist.reader import WatchlistReader


@dataclass(frozen=True)
class Backends:
    settings: Settings
    desks: ConsoleDesks
    tokens: TokenStore
    denied: DeniedLog
    watchlists: WatchlistReader
    ports: PortDirectory


def attach(app: FastAPI, backends: Backends) -> None:
    app.state.backends = backends


def backends_of(request: Request) -> Backends:
    return cast(Backends, request.app.state.backends)
