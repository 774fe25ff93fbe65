"""What a process tree uses, read from /proc: resident memory (sampled for its peak) and CPU time.

CPU seconds say what a start or a run would take on an idle core, whatever else the machine runs:
the bench records them beside wall seconds, which on a shared machine depend on the load.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _table() -> dict[int, list[str]]:
    """Every live process's stat fields (after the command name), read from /proc once."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                table[int(entry.name)] = fields
    return table


def tree(roots: Iterable[int] = (), sessions: Iterable[int] = ()) -> set[int]:
    """The processes of `roots` and of the `sessions` (by session id), and every process below them,
    as they are now. A stack `make up` started is sessions of its own (its services lead them) and a
    Postgres whose postmaster is no child of the caller: neither is below the process that measures."""
    table = _table()
    children: dict[int, list[int]] = {}
    for pid, fields in table.items():
        children.setdefault(int(fields[1]), []).append(pid)
    wanted = set(sessions)
    todo = [*roots, *(pid for pid, fields in table.items() if int(fields[3]) in wanted)]
    found: set[int] = set()
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def descendants(root: int) -> list[int]:
    """`root` and every process below it (by parent pid), as they are now."""
    return sorted(tree([root]))


def cpu_seconds(root: int, also: Iterable[int] = (), sessions: Iterable[int] = ()) -> float:
    """User + system CPU seconds of `root` and its live descendants, plus the children they reaped
    (and of `also`'s and `sessions`' trees, as `tree` finds them)."""
    total = 0
    for pid in tree([root, *also], sessions):
        fields = _stat(pid)
        if fields is not None:  # utime, stime, cutime, cstime: fields 14-17 of stat, 11-14 after ")"
            total += sum(int(x) for x in fields[11:15])
    return total / TICKS


def rss_mb(root: int, also: Iterable[int] = (), sessions: Iterable[int] = ()) -> float:
    """Resident memory of `root` and its descendants now (and of `also`'s and `sessions`' trees), in MB."""
    total = 0
    for pid in tree([root, *also], sessions):
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total * PAGE / 1e6


class PeakRss:
    """Samples the tree's resident memory every `interval` seconds while in its `with` block: `root`'s
    tree, plus the trees of `also` and of the `sessions` (a stack's processes, which are no children
    of `root`)."""

    def __init__(
        self, root: int, interval: float = 0.25, also: Iterable[int] = (), sessions: Iterable[int] = ()
    ):
        self.root = root
        self.also = tuple(also)
        self.sessions = tuple(sessions)
        self.interval = interval
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-rss", daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            self.peak_mb = max(self.peak_mb, rss_mb(self.root, self.also, self.sessions))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
