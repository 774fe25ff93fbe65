"""The spare DuckDB connection a query takes (`athena/warm.py`): never handed out twice, not locked
before a query locks it to its own files, a spare never taken closed (with its scratch folder), and
a used one retired: closed off the query's path."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import duckdb
import pytest

from awstwin.endpoint.athena import sandbox
from awstwin.endpoint.athena.warm import WarmConnections


def _opener(tmp_path: Path) -> tuple[list[tuple[Path, duckdb.DuckDBPyConnection]], object]:
    made: list[tuple[Path, duckdb.DuckDBPyConnection]] = []
    lock = threading.Lock()
    numbers = itertools.count()

    def open_one() -> tuple[Path, duckdb.DuckDBPyConnection]:
        scratch = tmp_path / f"scratch-{next(numbers)}"
        scratch.mkdir()
        opened = (scratch, sandbox.connect({"threads": 1}))
        with lock:
            made.append(opened)
        return opened

    return made, open_one


def test_each_connection_is_taken_once_and_closed_after_use(tmp_path):
    made, open_one = _opener(tmp_path)
    warm = WarmConnections(open_one)
    taken = []
    for _ in range(4):
        scratch, con = warm.take()
        assert all(con is not other for _, other in taken)
        con.execute("SELECT 1")
        taken.append((scratch, con))
        con.close()
    warm.close()
    assert len(made) >= 4
    for scratch, con in made:
        if all(con is not used for _, used in taken):  # the spare made last: closed, scratch removed
            assert not scratch.exists()
        with pytest.raises(duckdb.ConnectionException):
            con.execute("SELECT 1")


def test_a_spare_is_not_locked_and_a_taken_one_locks_to_its_own_files(tmp_path):
    made, open_one = _opener(tmp_path)
    warm = WarmConnections(open_one)
    _, first = warm.take()
    first.close()
    scratch, con = warm.take()  # the spare made in the background
    allowed = tmp_path / "allowed.csv"
    allowed.write_text("a\n1\n")
    other = tmp_path / "other.csv"
    other.write_text("a\n2\n")
    assert con.execute(f"SELECT count(*) FROM read_csv('{other}')").fetchone() == (1,)  # not locked yet
    sandbox.lock(con, [scratch], [allowed])
    assert con.execute(f"SELECT a FROM read_csv('{allowed}')").fetchall() == [(1,)]
    with pytest.raises(duckdb.Error):
        con.execute(f"SELECT a FROM read_csv('{other}')").fetchall()
    con.close()
    warm.close()


def test_a_used_connection_is_retired_and_closed(tmp_path):
    """A query hands its connection back (`retire`): closed on the background thread, at the latest
    when the engine closes; after that, at once."""
    _, open_one = _opener(tmp_path)
    warm = WarmConnections(open_one)
    retired = []
    for _ in range(3):
        _, con = warm.take()
        con.execute("SELECT 1")
        warm.retire(con)
        retired.append(con)
    warm.close()  # waits for the background thread
    late = sandbox.connect({"threads": 1})
    warm.retire(late)
    for con in [*retired, late]:
        with pytest.raises(duckdb.ConnectionException):
            con.execute("SELECT 1")
