"""What a set of processes listens on, as `ss -ltnp` reports it (the tool a reviewer would use)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable

import psutil

LOOPBACK = {"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"}


def process_tree(pids: Iterable[int]) -> set[int]:
    """`pids` and every live descendant of them (Airflow's log server is a child of the scheduler)."""
    tree: set[int] = set()
    for pid in pids:
        try:
            process = psutil.Process(pid)
            tree |= {pid, *(child.pid for child in process.children(recursive=True))}
        except psutil.NoSuchProcess:
            continue
    return tree


def listeners(pids: Iterable[int]) -> list[str]:
    """`ss -ltnpH` lines (TCP sockets in LISTEN) owned by any process of `pids`' trees."""
    tree = process_tree(pids)
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True, timeout=30).stdout
    return [line.strip() for line in out.splitlines() if any(f"pid={pid}," in line for pid in tree)]


def local_address(ss_line: str) -> str:
    """`LISTEN 0 50 [::ffff:127.0.0.1]:41234 *:* users:(...)` -> `[::ffff:127.0.0.1]`."""
    return ss_line.split()[3].rsplit(":", 1)[0]


def beyond_loopback(lines: Iterable[str]) -> list[str]:
    """The lines whose socket answers more than this machine (0.0.0.0, [::], `*`, a real address)."""
    return [line for line in lines if local_address(line) not in LOOPBACK]
