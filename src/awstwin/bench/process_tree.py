"""What a process tree uses, read from /proc: resident memory (sampled for its peak) and CPU time.

CPU seconds say what a start or a run would take on an idle core, whatever else the machine runs:
the bench records them beside wall seconds, which on a shared machine depend on the load.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def descendants(root: int) -> list[int]:
    """`root` and every process below it (by parent pid), as they are now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds of `root` and its live descendants, plus the children they reaped."""
    total = 0
    for pid in descendants(root):
        fields = _stat(pid)
        if fields is not None:  # utime, stime, cutime, cstime: fields 14-17 of stat, 11-14 after ")"
            total += sum(int(x) for x in fields[11:15])
    return total / TICKS


def rss_mb(root: int) -> float:
    """Resident memory of `root` and its descendants now, in MB."""
    total = 0
    for pid in descendants(root):
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total * PAGE / 1e6


class PeakRss:
    """Samples the tree's resident memory every `interval` seconds while in its `with` block."""

    def __init__(self, root: int, interval: float = 0.25):
        self.root = root
        self.interval = interval
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-rss", daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            self.peak_mb = max(self.peak_mb, rss_mb(self.root))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
