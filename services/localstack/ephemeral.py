"""Refusing server ports inside the kernel's ephemeral port range.

The kernel gives every outgoing connection a local port from that range. A client that keeps
reconnecting to a dead server on such a port (every worker does, while the broker is away) can be
given that very port as its own: it connects to itself (a TCP self-connect) and holds the port,
so the server cannot bind it when it comes back. Measured here: a broker on such a port could not
start again for about a minute after a restart. Below the range this cannot happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from services.localstack.config import StackConfigError

RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: Linux's default, for systems that do not say (no /proc): refusing too much beats a silent stall.
DEFAULT_RANGE = (32768, 60999)


def ephemeral_range(range_file: Path = RANGE_FILE) -> tuple[int, int]:
    """The kernel's (first, last) ephemeral port, read from /proc; Linux's default if unreadable."""
    try:
        first, last = (int(field) for field in range_file.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_RANGE
    return first, last


def refuse_ephemeral_ports(ports: Iterable[tuple[str, int]], port_range: tuple[int, int]) -> None:
    """Raise StackConfigError naming every (what, port) inside `port_range`, and how to avoid it."""
    first, last = port_range
    inside = [(what, port) for what, port in ports if first <= port <= last]
    if not inside:
        return
    listed = "; ".join(f"{what} port {port}" for what, port in inside)
    raise StackConfigError(
        f"{listed}: inside the kernel's ephemeral port range {first}-{last} ({RANGE_FILE}). Clients "
        "reconnecting to a stopped server can take such a port for themselves (a TCP self-connect) "
        f"and keep the server from starting again. Choose ports below {first} (the defaults are) in "
        "INTERDICT_KAFKA_BOOTSTRAP, INTERDICT_KAFKA_CONTROLLER_PORT and INTERDICT_REDIS_URL, or "
        "reserve them with net.ipv4.ip_local_reserved_ports"
    )
