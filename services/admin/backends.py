"""What the admin API's endpoints work on: the stores create_app puts on app.state, as dependencies.

They live on the app rather than in module globals so that each app (a test's, under its own key
prefix) serves from its own Redis keys.
"""

# No `from __future__ import annotations`: FastAPI reads the aliases' annotations at runtime.
from typing import Annotated, cast

from fastapi import Depends, FastAPI, Request

from services.admin.denied import DeniedLog
from services.admin.tokens import TokenStore
from services.watchlist.writer import WatchlistWriter


def attach(app: FastAPI, store: WatchlistWriter, tokens: TokenStore, denied: DeniedLog) -> None:
    app.state.store, app.state.tokens, app.state.denied = store, tokens, denied


def watchlist_store(request: Request) -> WatchlistWriter:
    return cast(WatchlistWriter, request.app.state.store)


def token_store(request: Request) -> TokenStore:
    return cast(TokenStore, request.app.state.tokens)


def denied_log(request: Request) -> DeniedLog:
    return cast(DeniedLog, request.app.state.denied)


Store = Annotated[WatchlistWriter, Depends(watchlist_store)]
