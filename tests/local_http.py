"""A real HTTP server on 127.0.0.1 serving a folder, standing in for a watchlist publisher in tests."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support import free_port


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files as they are, without a log line per request on the test's stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Publisher:
    root: Path  # the files served
    base_url: str  # where they are served: base_url + file name

    def publish(self, source: Path, name: str | None = None) -> Path:
        """Serve a copy of `source` under `name` (default: its own name)."""
        target = self.root / (name or source.name)
        target.write_bytes(source.read_bytes())
        return target


@contextmanager
def serving(root: Path, handler: type[SimpleHTTPRequestHandler] = QuietHandler) -> Iterator[Publisher]:
    """Serve `root` over HTTP on a free port below the ephemeral range until the block ends.

    Files put in the yielded Publisher's root (`root/exports`) are at its base_url, so a client
    is tested with a base URL that has a path, as the real publishers' have.
    """
    files = root / "exports"
    files.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(handler, directory=str(root)))
    server.daemon_threads = True  # a handler stuck on purpose (stall tests) must not block shutdown
    thread = threading.Thread(target=server.serve_forever, name="test-http-publisher", daemon=True)
    thread.start()
    try:
        yield Publisher(root=files, base_url=f"http://127.0.0.1:{server.server_port}/exports/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
