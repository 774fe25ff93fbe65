"""A folder's entries in S3 key order, and a cache of them that a change to the folder invalidates.

A paginated listing reads the same folder once per page: with 10,000 keys in it, reading and sorting
it again for every page of 1,000 cost more than the page itself. `FolderCache` keeps a folder's
sorted entries while the folder's inode and mtime stay the same. Adding, removing or renaming an
entry changes the folder's mtime (POSIX), whoever does it (this endpoint, Spark, DuckDB, a shell),
and a file rewritten in place is stat-ed afresh by the listing anyway (only names are cached).

A change made within the file system's timestamp granularity of the moment the folder was read
could leave its mtime unchanged, so only folders whose mtime is older than `SETTLED_NS` when they
are read are kept (git's "racily clean" rule): any later change gets a newer mtime.
"""

from __future__ import annotations

import os
import threading
import time

SETTLED_NS = 2_000_000_000  # above any local file system's timestamp granularity (FAT: 2 s)
MAX_CACHED_ENTRIES = 500_000  # over all folders; beyond it the cache starts again empty

Entry = tuple[str, str, bool]  # (name, with "/" after a folder's; its path; is a folder)


def sorted_entries(folder: str) -> list[Entry]:
    """The folder's entries sorted as S3 sorts keys: a folder `a` sorts as `a/` (so after `a.txt`)."""
    entries: list[Entry] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    continue
                entries.append((entry.name + "/" if is_dir else entry.name, entry.path, is_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    entries.sort(key=lambda item: item[0])
    return entries


class FolderCache:
    """`sorted_entries`, remembered per folder while the folder is unchanged."""

    def __init__(self, max_entries: int = MAX_CACHED_ENTRIES):
        self._max_entries = max_entries
        self._folders: dict[str, tuple[tuple[int, int, int], list[Entry]]] = {}
        self._size = 0
        self._lock = threading.Lock()

    def entries(self, folder: str) -> list[Entry]:
        try:
            info = os.stat(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        version = (info.st_dev, info.st_ino, info.st_mtime_ns)
        cached = self._folders.get(folder)
        if cached is not None and cached[0] == version:
            return cached[1]
        read_at = time.time_ns()
        entries = sorted_entries(folder)
        if read_at - info.st_mtime_ns > SETTLED_NS:
            self._keep(folder, version, entries)
        return entries

    def _keep(self, folder: str, version: tuple[int, int, int], entries: list[Entry]) -> None:
        with self._lock:
            old = self._folders.pop(folder, None)
            self._size -= len(old[1]) if old is not None else 0
            if self._size + len(entries) > self._max_entries:
                self._folders.clear()
                self._size = 0
            if len(entries) <= self._max_entries:
                self._folders[folder] = (version, entries)
                self._size += len(entries)
