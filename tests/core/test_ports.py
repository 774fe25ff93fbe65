"""free_port picks ports the kernel does not hand out by itself, and port_is_free sees a listener."""

from __future__ import annotations

import random
import socket

from awstwin.core.ports import _ephemeral_low, free_port, port_is_free


def test_free_ports_are_below_the_ephemeral_range_and_can_be_listened_on() -> None:
    low = _ephemeral_low()
    for _ in range(20):
        port = free_port()
        assert port < low
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", port))
            server.listen()
            assert not port_is_free("127.0.0.1", port)


def test_a_seeded_random_module_does_not_make_two_picks_alike() -> None:
    random.seed(7)
    first = [free_port() for _ in range(5)]
    random.seed(7)
    assert [free_port() for _ in range(5)] != first
