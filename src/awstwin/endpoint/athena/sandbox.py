"""The second wall around Athena: each query's DuckDB connection reaches only the files it was handed.

`language.py` refuses DuckDB's own functions before a statement is translated. Should anything get
past it, the connection itself cannot reach further:
- at connect: no extension is installed or loaded automatically (`autoinstall_known_extensions`,
  `autoload_known_extensions`, `allow_community_extensions`), secrets are never persisted, and Python
  variables are never scanned as tables (`python_enable_replacements`);
- before the statement runs (`lock`): `enable_external_access=false` with `allowed_paths` the catalog
  files this query reads and `allowed_directories` its own scratch folder (spill files and the result
  and table files it writes before they are put in S3), then `lock_configuration=true`. From then on a
  path, glob, `http://` or `s3://` URL, `INSTALL`/`LOAD` or `SET` fails with DuckDB's
  PermissionException or InvalidInputException, with no file opened and no connection made.
DuckDB allows `allowed_paths`/`allowed_directories` to be set only while external access is on, so
`lock` is called once per query, after the catalog tables are resolved and before any of them is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from awstwin.endpoint.athena.dialect import quote_literal

# Settings fixed when the connection is made (DuckDB 2.0 names; `verify_settings` checks them).
CONNECT_SETTINGS: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,
}
# Settings `lock` changes, in this order.
LOCK_SETTINGS = ("allowed_directories", "allowed_paths", "enable_external_access", "lock_configuration")


def verify_settings(con: duckdb.DuckDBPyConnection) -> None:
    """Fail loudly if the installed DuckDB lacks a setting the wall relies on (a DuckDB upgrade)."""
    known = {row[0] for row in con.execute("SELECT name FROM duckdb_settings()").fetchall()}
    missing = [name for name in [*CONNECT_SETTINGS, *LOCK_SETTINGS] if name not in known]
    if missing:
        raise RuntimeError(
            f"DuckDB {duckdb.__version__} has no setting {', '.join(missing)}: the Athena sandbox "
            "(awstwin/endpoint/athena/sandbox.py) cannot lock this version down; pin the DuckDB in uv.lock"
        )


def connect(config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with extension loading and secret persistence off (external access still on
    until `lock`: the engine attaches its catalog and registers helpers first)."""
    return duckdb.connect(config={**config, **CONNECT_SETTINGS})


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(quote_literal(v) for v in values) + "]"


def lock(con: duckdb.DuckDBPyConnection, directories: Iterable[Path], paths: Iterable[Path]) -> None:
    """From now on this connection reads and writes only `paths` and below `directories`, for good."""
    folders = [str(d.resolve()).rstrip("/") + "/" for d in directories]
    files = sorted({str(p) for p in paths} | {str(Path(p).resolve()) for p in paths})
    con.execute(f"SET allowed_directories = {_list(folders)}")
    con.execute(f"SET allowed_paths = {_list(files)}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
