"""How the watchlist's errors answer over HTTP: 404 not found, 409 conflict, 422 rejected file."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.admin.models import Problem, RejectedBody
from services.watchlist.errors import WatchlistError, WatchlistFileError, WatchlistNotFound

#: Literal: starlette renamed the constant (UNPROCESSABLE_ENTITY -> _CONTENT) across versions.
HTTP_422 = 422


def add_error_handlers(app: FastAPI) -> None:
    # Starlette picks the handler of the error's most specific class: WatchlistNotFound is a
    # WatchlistError, yet answers 404.
    app.exception_handler(WatchlistNotFound)(_not_found)
    app.exception_handler(WatchlistError)(_conflict)
    app.exception_handler(WatchlistFileError)(_rejected)


def _not_found(_request: Request, error: WatchlistNotFound) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)


def _conflict(_request: Request, error: WatchlistError) -> JSONResponse:
    # EntryConflict (exists, missing, id used by another list) and give-ups under contention.
    return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)


def _rejected(_request: Request, error: WatchlistFileError) -> JSONResponse:
    body = RejectedBody(
        detail=f"{len(error.problems)} problem(s); nothing was imported",
        problems=[Problem(line=problem.line, message=problem.message) for problem in error.problems],
    )
    return JSONResponse(body.model_dump(), status_code=HTTP_422)
