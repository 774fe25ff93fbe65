"""TCP ports on this machine: one free-port probe for every service the stacks start."""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Below the kernel's ephemeral range (Linux: 32768-60999) and above the well-known services' ports.
PICK_FROM = 20000
PICK_ATTEMPTS = 50
_RANDOM = random.SystemRandom()  # not the module's generator: code that seeds it must not pick ports


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now; port 0 in settings means this.

    Picked at random below the kernel's ephemeral range: a port the kernel chose (`bind(host, 0)`)
    is also what it gives every outgoing connection and every other `bind(0)` on the machine, so in
    the seconds before a slow server (LocalStack, a JVM) binds it, another process may take it. Ports
    outside that range are only ever taken on purpose. The kernel's pick is the fallback."""
    low = _ephemeral_low()
    if low - PICK_FROM > 1000:
        for port in _RANDOM.sample(range(PICK_FROM, low), PICK_ATTEMPTS):
            if port_is_free(host, port):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """True when a server could listen on host:port now (SO_REUSEADDR, as servers themselves bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
