"""What a process listens on, read from /proc (Linux): its TCP sockets in LISTEN state, matched to
the process by the socket inodes among its open file descriptors."""

from __future__ import annotations

import os
import socket
from pathlib import Path

_LISTEN = "0A"


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process `pid` listens on, IPv4 and IPv6."""
    inodes = _socket_inodes(pid)
    found: set[tuple[str, int]] = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and inode in inodes:
                found.add(_address(local, family))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed since the listing
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _address(local: str, family: int) -> tuple[str, int]:
    """/proc's hex address:port; the address in the kernel's byte order, 32 bits at a time."""
    hex_address, hex_port = local.split(":")
    raw = bytes.fromhex(hex_address)
    host_order = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, host_order), int(hex_port, 16)
