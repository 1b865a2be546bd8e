"""The desk's alert list pushed as it changes: /desks/{desk}/stream (the page's rows, as HTML) and
/api/desks/{desk}/stream (the alerts as JSON), with the list's filters.

Server-Sent Events rather than a WebSocket: the push goes one way (the officer acts through plain
POSTs), SSE is plain HTTP that proxies and the HttpOnly cookie pass as they are, authorised by the
same dependency as every other request, and the browser's EventSource reconnects by itself after
a network blip or a console restart.

A stream sends the list at once, then again whenever the desk's store changes and the list with
it (the desk's follower thread wakes it: no polling), and a comment every KEEPALIVE_S so proxies
keep the connection. The token is checked again at each change: a revoked token's stream ends.
The joint cases' list is pushed the same way (`sse_response`, from routers/cases.py).
"""

from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.console.auth import Reading, Token, operations
from services.console.backends import backends_of
from services.console.filters import AlertFilters, Filters
from services.console.metrics import STREAMS_OPEN
from services.console.views import templates, translator_for
from services.desk.operations import DeskOperations
from services.shared.models.desk import DeskAlert

router = APIRouter(tags=["stream"])

#: Seconds between keep-alive comments on a quiet stream.
KEEPALIVE_S = 15.0
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # no proxy may hold the events back


@router.get("/desks/{desk}/stream", include_in_schema=False)
async def page_stream(request: Request, ops: Reading, filters: AlertFilters, token: Token) -> StreamingResponse:
    translate = translator_for(backends_of(request).settings, ops.desk)
    rows = templates.get_template("rows.html")

    def render(views: list[DeskAlert]) -> str:
        return rows.render(views=views, translate=translate, desk=ops.desk.lower())

    return _response(request, ops, filters, token, render)


@router.get("/api/desks/{desk}/stream", responses={401: {}, 403: {}, 404: {}})
async def api_stream(request: Request, ops: Reading, filters: AlertFilters, token: Token) -> StreamingResponse:
    """text/event-stream: an `alerts` event with the filtered list (a JSON array) now and at every change."""

    def render(views: list[DeskAlert]) -> str:
        return "[" + ",".join(view.model_dump_json() for view in views) + "]"

    return _response(request, ops, filters, token, render)


def _response(
    request: Request, ops: DeskOperations, filters: Filters, token: str | None, render: Callable[[list[DeskAlert]], str]
) -> StreamingResponse:
    # The stream reads the store as the follower leaves it: it runs after a change, not before a read.
    unsynced = operations(request, ops.desk, ops.officer, synced=False)
    return sse_response(request, ops, token, "alerts", lambda: render(unsynced.alerts(filters.query)))


def sse_response(
    request: Request, ops: DeskOperations, token: str | None, name: str, read: Callable[[], str]
) -> StreamingResponse:
    """`name` events with what `read` gives (from the store, without a sync: it runs in a thread after a
    change): at once, then at each change of the desk's store that changes it (the joint cases' list too)."""
    events = _events(request, ops, token, name, read)
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)


async def _events(
    request: Request, ops: DeskOperations, token: str | None, name: str, read: Callable[[], str]
) -> AsyncIterator[str]:
    backends = backends_of(request)
    last: str | None = None
    STREAMS_OPEN.inc()
    try:
        while True:
            generation = backends.desks.generation(ops.desk)  # before the read: a change during it is not missed
            body = await run_in_threadpool(read)
            if body != last:
                yield event(name, body)
                last = body
            while not await backends.desks.changed(ops.desk, generation, KEEPALIVE_S):
                yield ": keep-alive\n\n"
            if not await run_in_threadpool(_still_valid, request, ops, token):
                yield event("refused", "")
                return
    finally:
        STREAMS_OPEN.dec()


def _still_valid(request: Request, ops: DeskOperations, token: str | None) -> bool:
    principal = backends_of(request).tokens.authenticate(token) if token else None
    return principal is not None and principal.country == ops.desk


def event(name: str, data: str) -> str:
    """One SSE event: each line of `data` is a `data:` line, the client joins them with newlines."""
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {name}\n{lines}\n"
