"""Walk a bucket's folder in S3's key order, with prefix, delimiter and marker pruning.

S3 lists keys in UTF-8 byte order. A depth-first walk gives that order if siblings are sorted by
their *key* text: a folder `a` sorts as `a/`, so the file `a.txt` (`.` < `/`) comes before
everything under `a/`. Subtrees that the prefix or the marker exclude are never opened, and with a
delimiter a subtree that rolls up into one CommonPrefix is only checked for having any visible key.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from awstwin.endpoint.s3.folders import Entry, FolderCache, sorted_entries
from awstwin.endpoint.s3.keys import FOLDER_MARKER, is_addressable, is_hidden


@dataclass(frozen=True)
class Listed:
    """One listing entry: an object file, a folder marker (`path` is None), or a CommonPrefix."""

    key: str
    path: Path | None = None
    stat: os.stat_result | None = None
    is_prefix: bool = False


class TreeLister:
    """Lists one bucket: `root` is its object folder, `meta` its sidecar folder."""

    def __init__(
        self,
        root: Path,
        meta: Path,
        prefix: str = "",
        delimiter: str = "",
        marker: str = "",
        folders: FolderCache | None = None,
    ):
        self.root = root
        self.meta = meta
        self.prefix = prefix
        self.delimiter = delimiter
        self.marker = marker
        self._entries = folders.entries if folders is not None else sorted_entries

    def has_marker(self, folder_key: str) -> bool:
        return (self.meta / folder_key / FOLDER_MARKER).is_file()

    def __iter__(self) -> Iterator[Listed]:
        last_prefix = None
        for item in self._walk_from_start():
            if item.is_prefix:
                if item.key == last_prefix:
                    continue
                last_prefix = item.key
            yield item

    def _walk_from_start(self) -> Iterator[Listed]:
        start = self.prefix[: self.prefix.rfind("/") + 1]  # deepest folder the prefix names
        if start and not is_addressable(start):
            return  # `..`, `.` or `//` in the prefix: no stored key starts so (and never leave the bucket)
        if start:
            if not (self.root / start).is_dir():
                return
            if start == self.prefix and self.has_marker(start):
                yield from self._emit(start, None, None)
        yield from self._walk(self.root / start if start else self.root, start)

    def _rollup(self, key: str) -> str | None:
        """The CommonPrefix `key` rolls up into, or None when it is listed as itself."""
        if not self.delimiter:
            return None
        rest = key[len(self.prefix) :]
        at = rest.find(self.delimiter)
        if at < 0:
            return None
        return self.prefix + rest[: at + len(self.delimiter)]

    def _emit(self, key: str, path: Path | None, stat: os.stat_result | None) -> Iterator[Listed]:
        if not key.startswith(self.prefix) or key <= self.marker:
            return
        common = self._rollup(key)
        if common is not None:
            if common > self.marker:
                yield Listed(common, is_prefix=True)
            return
        yield Listed(key, path, stat)

    def _walk(self, folder: Path, rel: str) -> Iterator[Listed]:
        entries = self._entries(str(folder))
        for sort_key, path, is_dir in entries[self._first_after_marker(entries, rel) :]:
            key = rel + sort_key
            if not is_dir and (not key.startswith(self.prefix) or key <= self.marker):
                continue  # (checked before `is_hidden`, the dearer test, which cannot bring it back)
            if is_hidden(key):
                continue
            if is_dir:
                yield from self._folder(Path(path), key)
                continue
            try:
                stat = os.stat(path)
            except OSError:
                continue  # deleted while we listed
            yield from self._emit(key, Path(path), stat)

    def _first_after_marker(self, entries: list[Entry], rel: str) -> int:
        """Where the entries of folder `rel` that can come after the marker start (a page resumes
        there instead of testing every entry before it): past every entry sorting at or before the
        marker, except the folder the marker lies in, which sorts right before it."""
        if not self.marker.startswith(rel):
            return 0  # `rel` is after the marker (or the walk would not be here): everything counts
        rest = self.marker[len(rel) :]
        at = bisect.bisect_right(entries, rest, key=lambda item: item[0])
        if at and entries[at - 1][0].endswith("/") and rest.startswith(entries[at - 1][0]):
            return at - 1
        return at

    def _folder(self, path: Path, key: str) -> Iterator[Listed]:
        # Everything below starts with `key`: skip the folder if prefix or marker rule it all out.
        if not (key.startswith(self.prefix) or self.prefix.startswith(key)):
            return
        if key <= self.marker and not self.marker.startswith(key):
            return
        if key.startswith(self.prefix) and len(key) > len(self.prefix):
            common = self._rollup(key)
            if common is not None:
                # The whole subtree is one CommonPrefix: list it only if it holds a visible key.
                if common > self.marker and self._has_visible(path, key):
                    yield Listed(common, is_prefix=True)
                return
        if self.has_marker(key):
            yield from self._emit(key, None, None)
        yield from self._walk(path, key)

    def _has_visible(self, path: Path, key: str) -> bool:
        if self.has_marker(key):
            return True
        for sort_key, child_path, is_dir in self._entries(str(path)):
            child = key + sort_key
            if is_hidden(child):
                continue
            if not is_dir or self._has_visible(Path(child_path), child):
                return True
        return False
