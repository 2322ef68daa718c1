"""Ports for processes started side by side on one machine (tests, bench).

Drawn from 20000-30000, outside the kernel's ephemeral range (32768-60999
here): a port a killed process releases is then not handed to another
process's port-0 bind or outgoing connection before the process, restarted,
takes it back.
"""

from __future__ import annotations

import random
import socket

PORT_RANGE = (20000, 30000)


def is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports nobody listens on now."""
    chosen: list[int] = []
    pick = random.SystemRandom()
    while len(chosen) < count:
        port = pick.randrange(*PORT_RANGE)
        if port not in chosen and is_free(port):
            chosen.append(port)
    return chosen
