"""An exclusive OS lock on a file (fcntl.flock), for work one process at a time may do: migrating
Airflow's database, installing LocalStack, building the Spark class archive. The kernel drops it when
its holder's file closes, however the holder ends. (`runlock.py` is the run lock, which also records
and reports its holder.)"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the lock on `path` (made if missing) for the block; yields True once held. With
    `wait=False` it yields False at once when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
