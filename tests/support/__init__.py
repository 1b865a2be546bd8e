"""Small helpers for tests (importable, unlike conftest)."""

from __future__ import annotations

import random
import socket
from contextlib import ExitStack

# Below the kernel's ephemeral range (32768 and up here), so the Kafka and Redis clients' own
# outgoing connections cannot take a port between the moment it is chosen and the moment a
# worker binds it.
_PORT_RANGE = (20000, 32000)


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that are free now; all are held open together while choosing."""
    chosen: list[int] = []
    with ExitStack() as held:
        while len(chosen) < count:
            port = random.randint(*_PORT_RANGE)
            if port in chosen:
                continue
            probe = held.enter_context(socket.socket())
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
            chosen.append(port)
    return chosen


def free_port() -> int:
    return free_ports(1)[0]
