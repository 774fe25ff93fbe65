"""A spare DuckDB for the next query, opened on a background thread while nobody waits.

Opening an in-memory DuckDB with the engine's settings costs tens of milliseconds, more than a
small query itself. Athena answers from warm capacity too, so here the next query's connection (and
its scratch folder) is prepared in the background each time a query takes one, and a used connection
is closed there too (the query removes its scratch folder itself before it reports its end).

The wall is the same as without a spare: every connection serves exactly one query and is never
handed out twice, it is not locked yet when it is taken (`Session` locks it to that query's files,
`sandbox.lock`), and nothing runs on a spare before it is taken. A spare never used is closed when
the engine closes.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

SPARES = 1  # queries arriving together beyond this open their connection themselves, as before

Opened = tuple[Path, Any]  # (scratch folder, its DuckDB connection)


class WarmConnections:
    """Hands out fresh (scratch, connection) pairs made by `open_one`, each exactly once."""

    def __init__(self, open_one: Callable[[], Opened], spares: int = SPARES):
        self._open_one = open_one
        self._spares = spares
        self._ready: list[Opened] = []
        self._lock = threading.Lock()
        self._pending = 0  # spares being made now
        self._closed = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="athena-warm")

    def take(self) -> Opened:
        """A never-used connection: a spare if one is ready, else one opened now; then make the next."""
        with self._lock:
            spare = self._ready.pop() if self._ready else None
        opened = spare if spare is not None else self._open_one()
        self._refill()
        return opened

    def retire(self, con: Any) -> None:
        """Close a used connection on the background thread: the query that used it has its results
        (and its scratch folder is removed), and closing a DuckDB costs about as much as opening one.
        A connection retired after `close` is closed here and now."""
        try:
            self._worker.submit(_close, con)
        except RuntimeError:  # shut down: nobody waits any more
            _close(con)

    def close(self) -> None:
        """Close the spare (and one being made), after the connections retired before."""
        with self._lock:
            self._closed = True
            spares, self._ready = self._ready, []
        self._worker.shutdown(wait=True)
        for scratch, con in spares:
            _discard(scratch, con)

    def _refill(self) -> None:
        with self._lock:
            if self._closed or len(self._ready) + self._pending >= self._spares:
                return
            self._pending += 1
        try:
            self._worker.submit(self._make_spare)
        except RuntimeError:  # shut down meanwhile
            with self._lock:
                self._pending -= 1

    def _make_spare(self) -> None:
        try:
            opened = self._open_one()
        except Exception:  # the next query opens its own and reports the error itself
            with self._lock:
                self._pending -= 1
            return
        with self._lock:
            self._pending -= 1
            if not self._closed:
                self._ready.append(opened)
                return
        _discard(*opened)


def _close(con: Any) -> None:
    with contextlib.suppress(Exception):
        con.close()


def _discard(scratch: Path, con: Any) -> None:
    _close(con)
    shutil.rmtree(scratch, ignore_errors=True)
