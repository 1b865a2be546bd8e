"""The HTTP listener every service process has for operators: `/metrics` (Prometheus), `/healthz`
(alive) and `/readyz` (ready for work), 404 for anything else.

It runs in threads of its own, as prometheus_client's `start_http_server` does, so a scrape never
waits for a busy event loop and any process can have one (a faust worker, the re-screener's plain
asyncio loop, a future desk console); whether the loop itself is alive is the heartbeat's to say
(see health.py). It binds the host it is given: the services pass INTERDICT_WEB_HOST, loopback
unless a deployment opens it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app

from services.shared.health import Health

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scrape in progress never holds the process open at exit


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a line per scrape and probe would drown the worker's own log


def _json(start_response: StartResponse, body: dict[str, object], ok: bool) -> list[bytes]:
    payload = json.dumps(body).encode()
    status = "200 OK" if ok else "503 Service Unavailable"
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def operator_app(health: Health, registry: CollectorRegistry = REGISTRY) -> WsgiApp:
    """The WSGI application: what each path answers."""
    metrics = make_wsgi_app(registry)

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            liveness = health.liveness()
            return _json(start_response, liveness, bool(liveness["alive"]))
        if path == "/readyz":
            readiness = health.readiness()
            return _json(start_response, readiness, bool(readiness["ready"]))
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics, /healthz or /readyz\n"]

    return app


def _server_class(host: str) -> type[_ThreadingServer]:
    """An IPv6 host needs an IPv6 socket; wsgiref's server is IPv4 unless told."""
    family = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]

    class Server(_ThreadingServer):
        address_family = family

    return Server


def serve_operator_endpoints(
    host: str, port: int, health: Health, registry: CollectorRegistry = REGISTRY
) -> WSGIServer:
    """Listen on host:port in a daemon thread until the process ends; the server is returned so
    that a test can shut it down."""
    server = make_server(host, port, operator_app(health, registry), _server_class(host), _QuietHandler)
    threading.Thread(target=server.serve_forever, name=f"operator-http-{port}", daemon=True).start()
    return server
