"""Choosing ports for local workers, tests and benchmarks.

Only below the kernel's ephemeral range (32768 and up on Linux): there, no client connection of
a worker, a test or the Kafka and Redis clients can take a port between the moment it is chosen
and the moment it is bound, and a client reconnecting to a dead server on such a port cannot end
up connected to itself.
"""

from __future__ import annotations

import random
import socket
from contextlib import ExitStack

PORT_RANGE = (20000, 32000)


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that are free now; all are held open together while choosing."""
    chosen: list[int] = []
    with ExitStack() as held:
        while len(chosen) < count:
            port = random.randint(*PORT_RANGE)
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
