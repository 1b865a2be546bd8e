"""The desk console served over real HTTP in the test's process, for the commands that call it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import uvicorn

from services.console.app import create_app
from services.shared.settings import Settings
from tests.support.pipeline import wait_for


@contextmanager
def serving_console(settings: Settings, desks: Sequence[str]) -> Iterator[str]:
    """`interdict desk serve` on settings.console_port (uvicorn in a thread); yields its URL."""
    config = uvicorn.Config(
        create_app(settings, list(desks)), host="127.0.0.1", port=settings.console_port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-console", daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), "the console to listen", timeout_s=60)
        assert server.started, "the console stopped while starting (its log is above)"
        yield f"http://127.0.0.1:{settings.console_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
