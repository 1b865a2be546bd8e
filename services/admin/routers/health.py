"""/metrics, /healthz and /readyz: the admin API answers, and it can reach Redis (where
everything it serves lives). No token: Prometheus, an orchestrator or `interdict status` read
them, and they tell nothing about the watchlists."""

from typing import cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services.shared.health import Health

router = APIRouter(tags=["operations"])


def _health(request: Request) -> Health:
    return cast(Health, request.app.state.health)


@router.get("/healthz")
async def alive(request: Request) -> JSONResponse:
    """200 while the process and its event loop answer (this runs in the loop)."""
    report = _health(request).liveness()
    return JSONResponse(report, status_code=200 if report["alive"] else 503)


@router.get("/readyz")
def ready(request: Request) -> JSONResponse:
    """200 when Redis answers, 503 otherwise (a plain def: the check is a blocking Redis call)."""
    report = _health(request).readiness()
    return JSONResponse(report, status_code=200 if report["ready"] else 503)


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    """Prometheus text format, at /metrics itself (a mounted app would answer a redirect first)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
